// ICMP error messages (RFC 792): when ministack may send one (RFC 1122 §3.2.2), and how the message is built.
//
// An error message quotes the datagram that caused it, after its own 8-byte header:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                             unused (0)                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      Internet Header + as much of the original datagram's     |
//  |      data as fits in 576 bytes (at least 64 bits of it)       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/ipv4.hpp"

namespace ministack {

// Destination unreachable (RFC 792) and the codes a host sends (RFC 1122 §3.2.2.1).
namespace icmp_unreachable {
inline constexpr std::uint8_t type = 3;
inline constexpr std::uint8_t protocol = 2;  // code: protocol unreachable, no handler for the IP protocol
inline constexpr std::uint8_t port = 3;      // code: port unreachable, nothing listens on the UDP port
}  // namespace icmp_unreachable

// The longest error datagram ministack writes: RFC 1812 §4.3.2.3 "SHOULD NOT exceed 576 bytes" (Linux: the same
// cap). A buffer of this size always suffices for write_icmp_error().
inline constexpr std::size_t kIcmpErrorMaxLength = 576;

// TOS of an error: precedence 6, internetwork control (RFC 1812 §4.3.2.5), with the default TOS bits
// (RFC 1349 §5.1). This is IPTOS_PREC_INTERNETCONTROL, what Linux sends; Linux also copies the offending
// datagram's TOS bits (iph->tos & IPTOS_TOS_MASK, 0x1e), which are 0 in everything the project has recorded.
inline constexpr std::uint8_t kIcmpErrorTos = 0xc0;

// Whether an ICMP message of this type reports an error, for RFC 1122 §3.2.2's "no error about an error". The
// queries and their replies are not errors: echo (0, 8), timestamp (13, 14), information (15, 16), address mask
// (17, 18). Every other type is taken as an error, the unassigned ones included, as Linux does (icmp_pointers[]
// and "type > NR_ICMP_TYPES" in __icmp_send: "Assume any unknown ICMP type is an error").
bool is_icmp_error_type(std::uint8_t type);

// RFC 1122 §3.2.2: may an ICMP error be sent about `offending` (an IPv4 datagram addressed to us), on interface
// `us`? False for an ICMP error message, a datagram to a broadcast or multicast address or received as a
// link-layer broadcast, a non-first fragment, and a source that does not name a single host. Rate limiting
// (IcmpRateLimiter) is a separate, later step.
bool may_send_icmp_error(const IpContext& offending, const Ipv4Interface& us);

// The longest ICMP error message (header and quote) that fits a 576-byte datagram behind a 20-byte IP header.
inline constexpr std::size_t kIcmpErrorMaxMessage = kIcmpErrorMaxLength - kIpv4MinHeaderLength;

// Writes into `out` the ICMP error message (type, code) about `offending`, and returns its length in bytes (at most
// kIcmpErrorMaxMessage). It quotes the offending datagram as received (its header with any options, then its data,
// up to its total length), cut so that the whole error datagram, sent behind a 20-byte header, is at most 576
// bytes (RFC 1812 §4.3.2.3); RFC 792's minimum, the header plus the first 64 bits of data, always fits. The IP
// header is the IPv4 layer's to write. `out` must not overlap the offending datagram's bytes and must be large
// enough (asserted).
std::size_t write_icmp_error(MutableBytes out, std::uint8_t type, std::uint8_t code, const IpContext& offending);

}  // namespace ministack
