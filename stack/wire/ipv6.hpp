// The IPv6 header (RFC 8200 §3) and its extension headers (§4).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version| Traffic Class |           Flow Label                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     Source Address (16 bytes)                 |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  Destination Address (16 bytes)               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kIpv6HeaderLength = 40;
inline constexpr std::size_t kIpv6FragmentHeaderLength = 8;  // RFC 8200 §4.5
// RFC 8200 §5: every link carries packets of 1280 bytes; an ICMPv6 error never exceeds that (RFC 4443 §2.4 (c)).
inline constexpr std::size_t kIpv6MinMtu = 1280;
inline constexpr std::uint8_t kIpv6DefaultHopLimit = 64;  // Linux's net.ipv6.conf.*.hop_limit

// Byte offsets of the fields, for writers and for the pointer of a parameter problem (RFC 4443 §3.4).
namespace ipv6_field {
inline constexpr std::size_t payload_length = 4;
inline constexpr std::size_t next_header = 6;
inline constexpr std::size_t hop_limit = 7;
inline constexpr std::size_t source = 8;
inline constexpr std::size_t destination = 24;
}  // namespace ipv6_field

inline Ipv6Address load_ipv6(const std::uint8_t* p) {
  Ipv6Address a;
  for (std::size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = p[i];
  return a;
}
inline void store_ipv6(std::uint8_t* p, const Ipv6Address& a) {
  for (std::size_t i = 0; i < a.bytes.size(); ++i) p[i] = a.bytes[i];
}

class Ipv6View {
 public:
  // Checks the version (6), that the 40-byte header arrived, and that the payload length fits in what arrived
  // (RFC 8200 §3); bytes past it are link padding. A payload length of 0 (a jumbogram, RFC 2675, which ministack
  // does not take) is refused as ipv6_bad_length.
  static Parsed<Ipv6View> parse(Bytes packet);

  std::uint8_t traffic_class() const { return static_cast<std::uint8_t>(load_be16(packet_.data()) >> 4); }
  std::uint32_t flow_label() const { return load_be32(packet_.data()) & 0xfffff; }
  std::uint16_t payload_length() const { return load_be16(packet_.data() + ipv6_field::payload_length); }
  std::uint8_t next_header() const { return packet_[ipv6_field::next_header]; }
  std::uint8_t hop_limit() const { return packet_[ipv6_field::hop_limit]; }
  Ipv6Address source() const { return load_ipv6(packet_.data() + ipv6_field::source); }
  Ipv6Address destination() const { return load_ipv6(packet_.data() + ipv6_field::destination); }
  // The packet up to its payload length, header first.
  Bytes bytes() const { return packet_; }
  std::size_t total_length() const { return packet_.size(); }

 private:
  explicit Ipv6View(Bytes packet) : packet_(packet) {}
  Bytes packet_;
};

struct Ipv6HeaderFields {
  std::uint8_t traffic_class = 0;
  std::uint16_t payload_length = 0;  // bytes after the 40-byte header
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = kIpv6DefaultHopLimit;
  Ipv6Address source;
  Ipv6Address destination;
};

// Writes the 40-byte header at `out` (which holds at least that); the flow label is 0.
void write_ipv6_header(MutableBytes out, const Ipv6HeaderFields& fields);

// The Fragment header (RFC 8200 §4.5): Next Header, reserved, Fragment Offset (13 bits, 8-byte units), Res, M flag,
// Identification (32 bits).
struct Ipv6FragmentHeader {
  std::uint8_t next_header = 0;
  std::size_t offset = 0;  // bytes, a multiple of 8
  bool more_fragments = false;
  std::uint32_t identification = 0;

  // Reads the 8 bytes at `p`, which the caller has checked are there.
  static Ipv6FragmentHeader read(const std::uint8_t* p) {
    const std::uint16_t offset_flags = load_be16(p + 2);
    return {p[0], static_cast<std::size_t>(offset_flags & 0xfff8u), (offset_flags & 1u) != 0, load_be32(p + 4)};
  }
  void write(std::uint8_t* p) const {
    p[0] = next_header;
    p[1] = 0;
    store_be16(p + 2, static_cast<std::uint16_t>(offset | (more_fragments ? 1u : 0u)));
    store_be32(p + 4, identification);
  }
};

// Whether `next` names an extension header of RFC 8200 §4.1 that ministack walks: hop-by-hop options, routing,
// fragment or destination options.
bool is_ipv6_extension(std::uint8_t next);

// The length in bytes of the extension header `next` at the start of `rest`: (Hdr Ext Len + 1) * 8 for hop-by-hop,
// routing and destination options (RFC 8200 §4.3-4.4, §4.6), 8 for the Fragment header (§4.5). nullopt if `next` is
// not an extension header or `rest` does not hold that header whole.
std::optional<std::size_t> ipv6_extension_length(std::uint8_t next, Bytes rest);

}  // namespace ministack
