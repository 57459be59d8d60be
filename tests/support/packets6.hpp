// IPv6 test packets, built byte by byte, independently of the stack's own writers: the IPv6 header (RFC 8200 §3),
// extension headers (§4), ICMPv6 (RFC 4443) with the pseudo-header checksum (§8.1), neighbor discovery (RFC 4861
// §4.3, §4.4), and reads of what the stack sends.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packets.hpp"
#include "stack/wire/address.hpp"

namespace packets6 {

using ministack::Ipv6Address;
using packets::ByteView;
using packets::Frame;

inline Ipv6Address address(const char* text) { return *Ipv6Address::parse(text); }

inline const Ipv6Address kOurGlobal = address("fd00:3::12");
inline const Ipv6Address kOurLinkLocal = address("fe80::ff:fe00:1");  // EUI-64 of 02:00:00:00:00:01
inline const Ipv6Address kPeerGlobal = address("fd00:3::11");
inline const Ipv6Address kPeerLinkLocal = address("fe80::5054:ff:fe12:3456");
inline const Ipv6Address kAllNodes = address("ff02::1");

inline void put_address(Frame& f, std::size_t offset, const Ipv6Address& a) {
  for (std::size_t i = 0; i < 16; ++i) f[offset + i] = a.bytes[i];
}
inline Ipv6Address get_address(ByteView b, std::size_t offset) {
  Ipv6Address a;
  for (std::size_t i = 0; i < 16; ++i) a.bytes[i] = b[offset + i];
  return a;
}

struct Ipv6 {
  Ipv6Address source = kPeerGlobal;
  Ipv6Address destination = kOurGlobal;
  std::uint8_t next_header = 58;
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;
};

// The header and `payload` (which starts with whatever `next_header` says).
inline Frame ipv6(const Ipv6& h, ByteView payload) {
  Frame f(40 + payload.size());
  packets::put32(f, 0, 0x60000000u | (std::uint32_t{h.traffic_class} << 20));
  packets::put16(f, 4, static_cast<std::uint16_t>(payload.size()));
  f[6] = h.next_header;
  f[7] = h.hop_limit;
  put_address(f, 8, h.source);
  put_address(f, 24, h.destination);
  packets::put_bytes(f, 40, payload);
  return f;
}

// The checksum of an upper-layer message over the IPv6 pseudo-header (RFC 8200 §8.1), the field taken as zero.
inline std::uint16_t checksum6(ByteView message, const Ipv6Address& source, const Ipv6Address& destination,
                               std::uint8_t next_header, std::size_t checksum_offset) {
  Frame sum;
  sum.insert(sum.end(), source.bytes.begin(), source.bytes.end());
  sum.insert(sum.end(), destination.bytes.begin(), destination.bytes.end());
  const Frame length = packets::be32(static_cast<std::uint32_t>(message.size()));
  sum.insert(sum.end(), length.begin(), length.end());
  sum.insert(sum.end(), {0, 0, 0, next_header});
  Frame copy(message.begin(), message.end());
  packets::put16(copy, checksum_offset, 0);
  sum.insert(sum.end(), copy.begin(), copy.end());
  return packets::reference_checksum(sum);
}

// An ICMPv6 message (type, code, the 4 bytes after the checksum, body), checksummed for source -> destination.
inline Frame icmpv6(std::uint8_t type, std::uint8_t code, std::uint32_t word, ByteView body, const Ipv6& h) {
  Frame m(8 + body.size());
  m[0] = type;
  m[1] = code;
  packets::put32(m, 4, word);
  packets::put_bytes(m, 8, body);
  packets::put16(m, 2, checksum6(m, h.source, h.destination, 58, 2));
  return m;
}

inline Frame echo_request6(const Ipv6& h = {}, std::size_t data = 56, std::uint16_t id = 0x1234,
                           std::uint16_t seq = 1) {
  return ipv6(h, icmpv6(128, 0, (std::uint32_t{id} << 16) | seq, packets::pattern(data), h));
}

// A neighbor solicitation for `target`, with a source link-layer address option when `slla` (RFC 4861 §4.3).
inline Frame neighbor_solicitation(const Ipv6Address& target, const Ipv6& h, bool slla = true) {
  Frame body(16 + (slla ? 8 : 0));
  put_address(body, 0, target);
  if (slla) {
    body[16] = 1;
    body[17] = 1;
    packets::put_mac(body, 18, packets::kPeerMac);
  }
  return ipv6(h, icmpv6(135, 0, 0, body, h));
}

// A neighbor advertisement for `target` at `mac`, flags in the first byte (RFC 4861 §4.4).
inline Frame neighbor_advertisement(const Ipv6Address& target, const ministack::MacAddress& mac, std::uint8_t flags,
                                    const Ipv6& h) {
  Frame body(24);
  put_address(body, 0, target);
  body[16] = 2;
  body[17] = 1;
  packets::put_mac(body, 18, mac);
  return ipv6(h, icmpv6(136, 0, std::uint32_t{flags} << 24, body, h));
}

// An Ethernet frame of IPv6 `packet` to `destination` (our MAC unless said).
inline Frame frame6(ByteView packet, const ministack::MacAddress& destination = packets::kOurMac) {
  return packets::ethernet({.destination = destination, .source = packets::kPeerMac, .type = 0x86dd}, packet);
}

// The Ethernet group address of an IPv6 multicast address (RFC 2464 §7).
inline ministack::MacAddress group_mac(const Ipv6Address& a) {
  return {{0x33, 0x33, a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]}};
}

}  // namespace packets6
