// What the layers above IP see of it, whatever the version: an address, the protocol numbers, the pseudo-header of
// the transport checksums, and IpContext, the one value a transport handler receives about its datagram, from IPv4
// (RFC 791) or IPv6 (RFC 8200).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include <fmt/format.h>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/checksum.hpp"

namespace ministack {

enum class IpVersion { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  constexpr IpAddress() = default;
  // An IPv4 address is an IP address: implicit, so that IPv4 code reads naturally.
  constexpr IpAddress(Ipv4Address a) : v4_(a) {}                                  // NOLINT(google-explicit-constructor)
  constexpr IpAddress(const Ipv6Address& a) : version_(IpVersion::v6), v6_(a) {}  // NOLINT(google-explicit-constructor)

  constexpr IpVersion version() const { return version_; }
  // The IPv4 address; asserts the version.
  constexpr Ipv4Address v4() const {
    assert(version_ == IpVersion::v4);
    return v4_;
  }
  // The IPv6 address; asserts the version.
  constexpr const Ipv6Address& v6() const {
    assert(version_ == IpVersion::v6);
    return v6_;
  }
  constexpr bool is_v6() const { return version_ == IpVersion::v6; }

  friend constexpr bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  // A tag and the addresses, not a std::variant: this is copied on every packet's path. The unused one stays zero,
  // so the defaulted == compares right.
  IpVersion version_ = IpVersion::v4;
  Ipv4Address v4_;
  Ipv6Address v6_;
};

// Protocol numbers (IPv4 Protocol, IPv6 Next Header; IANA "Assigned Internet Protocol Numbers").
namespace ip_protocol {
inline constexpr std::uint8_t hop_by_hop = 0;  // IPv6 extension headers (RFC 8200 §4)
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t ipv6_routing = 43;
inline constexpr std::uint8_t ipv6_fragment = 44;
inline constexpr std::uint8_t icmpv6 = 58;  // RFC 4443
inline constexpr std::uint8_t ipv6_no_next_header = 59;
inline constexpr std::uint8_t ipv6_destination_options = 60;
}  // namespace ip_protocol

// Adds the pseudo-header of a transport checksum to `sum`: for IPv4 (RFC 768, RFC 793 §3.1) the source and
// destination addresses, a zero byte, the protocol and the transport length (header and data, in bytes); for IPv6
// (RFC 8200 §8.1) the addresses, the 32-bit upper-layer length and the next header. The sums are the same words.
inline void add_pseudo_header(Checksum& sum, const IpAddress& source, const IpAddress& destination,
                              std::uint8_t protocol, std::size_t length) {
  if (source.is_v6()) {
    sum.add(source.v6().bytes);
    sum.add(destination.v6().bytes);
    sum.add32(static_cast<std::uint32_t>(length));
    sum.add16(protocol);
    return;
  }
  sum.add32(source.v4().value);
  sum.add32(destination.v4().value);
  sum.add16(protocol);
  sum.add16(static_cast<std::uint16_t>(length));
}

// What a transport handler (ICMP, UDP; later TCP, ICMPv6) is told about the datagram that carried its message,
// without naming the IP version. Valid while the handler runs: the byte spans point into the received buffer.
struct IpContext {
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::uint8_t tos = 0;                 // IPv4 Type of Service; IPv6 Traffic Class
  std::uint8_t hop_limit = 0;           // IPv4 TTL; IPv6 Hop Limit (neighbor discovery insists on 255)
  bool to_broadcast = false;            // the destination was a broadcast or multicast address, not ours alone
  bool link_broadcast = false;          // it arrived as a link-layer broadcast (RFC 1122 §3.3.6)
  Bytes datagram;                       // the whole datagram as received, header first, up to its total length
  std::size_t header_length = 0;        // of the IP header within `datagram`, options included (bytes)
  std::size_t fixed_header_length = 0;  // the part before options or extension headers: 20 for IPv4, 40 for IPv6
  std::size_t fragment_offset = 0;      // bytes; 0 for a whole datagram, which is all a transport handler is given

  Bytes header() const { return datagram.first(header_length); }
  Bytes payload() const { return datagram.subspan(header_length); }
  // IPv4 options (RFC 791 §3.1), or IPv6 extension headers: the header past its fixed part; empty when there are none.
  Bytes options() const { return datagram.subspan(fixed_header_length, header_length - fixed_header_length); }
};

}  // namespace ministack

template <>
struct fmt::formatter<ministack::IpAddress> : fmt::formatter<std::string_view> {
  auto format(const ministack::IpAddress& a, format_context& ctx) const {
    if (a.is_v6()) return fmt::format_to(ctx.out(), "{}", a.v6());
    return fmt::format_to(ctx.out(), "{}", a.v4());
  }
};
