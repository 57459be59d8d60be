// IPv4 (RFC 791 §3.1).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options (IHL > 5)                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kIpv4MinHeaderLength = 20;
inline constexpr std::size_t kIpv4MaxHeaderLength = 60;  // IHL 15
inline constexpr std::uint8_t kDefaultTtl = 64;          // RFC 1700; what Linux uses (net.ipv4.ip_default_ttl)

// Where each field lies in the header (byte offsets), so that no code reads or writes a header by a bare number.
namespace ipv4_field {
inline constexpr std::size_t version_ihl = 0;
inline constexpr std::size_t tos = 1;
inline constexpr std::size_t total_length = 2;
inline constexpr std::size_t identification = 4;
inline constexpr std::size_t flags_fragment_offset = 6;  // 3 flag bits, then the offset in 8-byte units
inline constexpr std::size_t ttl = 8;
inline constexpr std::size_t protocol = 9;
inline constexpr std::size_t header_checksum = 10;
inline constexpr std::size_t source = 12;
inline constexpr std::size_t destination = 16;
}  // namespace ipv4_field

// The flags/fragment offset word (RFC 791 §3.1): bit 0 reserved, DF, MF, then 13 bits of offset.
namespace ipv4_flags {
inline constexpr std::uint16_t reserved = 0x8000;
inline constexpr std::uint16_t dont_fragment = 0x4000;
inline constexpr std::uint16_t more_fragments = 0x2000;
inline constexpr std::uint16_t offset_mask = 0x1fff;
}  // namespace ipv4_flags

class Ipv4View {
 public:
  // Checks, in the order of RFC 1122 §3.2.1.1-2: at least 20 bytes, version 4, IHL >= 5, header and total length
  // within what arrived, total length >= header length, header checksum. The view then ends at the total length,
  // so link-layer padding or trailers never reach the layer above.
  static Parsed<Ipv4View> parse(Bytes packet);

  std::size_t header_length() const { return std::size_t{packet_[ipv4_field::version_ihl] & 0x0fu} * 4; }
  std::uint8_t tos() const { return packet_[ipv4_field::tos]; }
  std::uint16_t total_length() const { return load_be16(packet_.data() + ipv4_field::total_length); }
  std::uint16_t identification() const { return load_be16(packet_.data() + ipv4_field::identification); }
  std::uint16_t flags_fragment_offset() const { return load_be16(packet_.data() + ipv4_field::flags_fragment_offset); }
  bool dont_fragment() const { return (flags_fragment_offset() & ipv4_flags::dont_fragment) != 0; }
  bool more_fragments() const { return (flags_fragment_offset() & ipv4_flags::more_fragments) != 0; }
  std::size_t fragment_offset() const {
    return static_cast<std::size_t>(flags_fragment_offset() & ipv4_flags::offset_mask) * 8;
  }
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  std::uint8_t ttl() const { return packet_[ipv4_field::ttl]; }
  std::uint8_t protocol() const { return packet_[ipv4_field::protocol]; }
  std::uint16_t header_checksum() const { return load_be16(packet_.data() + ipv4_field::header_checksum); }
  Ipv4Address source() const { return {load_be32(packet_.data() + ipv4_field::source)}; }
  Ipv4Address destination() const { return {load_be32(packet_.data() + ipv4_field::destination)}; }
  Bytes options() const { return packet_.subspan(kIpv4MinHeaderLength, header_length() - kIpv4MinHeaderLength); }
  Bytes payload() const { return packet_.subspan(header_length()); }
  Bytes bytes() const { return packet_; }  // header and payload, up to the total length

 private:
  explicit Ipv4View(Bytes packet) : packet_(packet) {}
  Bytes packet_;
};

// Addresses that must never appear as a source (RFC 1122 §3.2.1.3): "this network" 0/8, loopback 127/8, multicast
// 224/4, limited broadcast. The directed broadcast of our subnet and our own address are checked by the caller.
bool is_martian_source(Ipv4Address address);

}  // namespace ministack
