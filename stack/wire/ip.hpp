// What the layers above IP see of it, whatever the version: an address, the protocol numbers, the pseudo-header of
// the transport checksums, and IpContext, the one value a transport handler receives about its datagram. IPv4 is
// the one version spoken today; IPv6 (RFC 8200) adds an alternative to IpAddress and fills the same IpContext.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include <fmt/format.h>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/checksum.hpp"

namespace ministack {

enum class IpVersion { v4 = 4 };

class IpAddress {
 public:
  constexpr IpAddress() = default;
  // An IPv4 address is an IP address: implicit, so that IPv4 code reads naturally.
  constexpr IpAddress(Ipv4Address a) : v4_(a) {}  // NOLINT(google-explicit-constructor)

  constexpr IpVersion version() const { return version_; }
  // The IPv4 address; asserts the version.
  constexpr Ipv4Address v4() const {
    assert(version_ == IpVersion::v4);
    return v4_;
  }

  friend constexpr bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  // A tag and the address, not a std::variant: this is copied on every packet's path, and IPv6 adds one member.
  IpVersion version_ = IpVersion::v4;
  Ipv4Address v4_;
};

// Protocol numbers (IPv4 Protocol, IPv6 Next Header; IANA "Assigned Internet Protocol Numbers").
namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
}  // namespace ip_protocol

// Adds the pseudo-header of a transport checksum to `sum`: for IPv4 (RFC 768, RFC 793 §3.1) the source and
// destination addresses, a zero byte, the protocol and the transport length (header and data, in bytes).
inline void add_pseudo_header(Checksum& sum, const IpAddress& source, const IpAddress& destination,
                              std::uint8_t protocol, std::size_t length) {
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
  bool to_broadcast = false;            // the destination was a broadcast or multicast address, not ours alone
  bool link_broadcast = false;          // it arrived as a link-layer broadcast (RFC 1122 §3.3.6)
  Bytes datagram;                       // the whole datagram as received, header first, up to its total length
  std::size_t header_length = 0;        // of the IP header within `datagram`, options included (bytes)
  std::size_t fixed_header_length = 0;  // the part before options or extension headers: 20 for IPv4
  std::size_t fragment_offset = 0;      // bytes; 0 for a whole datagram, which is all a transport handler is given

  Bytes header() const { return datagram.first(header_length); }
  Bytes payload() const { return datagram.subspan(header_length); }
  // IPv4 options (RFC 791 §3.1): the header past its fixed part; empty when there are none.
  Bytes options() const { return datagram.subspan(fixed_header_length, header_length - fixed_header_length); }
};

}  // namespace ministack

template <>
struct fmt::formatter<ministack::IpAddress> : fmt::formatter<ministack::Ipv4Address> {
  auto format(const ministack::IpAddress& a, format_context& ctx) const {
    return fmt::formatter<ministack::Ipv4Address>::format(a.v4(), ctx);
  }
};
