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

#include "address.hpp"
#include "bytes.hpp"
#include "parsed.hpp"

namespace ministack {

inline constexpr std::size_t kIpv4MinHeaderLength = 20;
inline constexpr std::uint8_t kDefaultTtl = 64;  // RFC 1700; what Linux uses (net.ipv4.ip_default_ttl)

namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t udp = 17;
}

class Ipv4View {
 public:
  // Checks, in the order of RFC 1122 §3.2.1.1-2: at least 20 bytes, version 4, IHL >= 5, header and total length
  // within what arrived, total length >= header length, header checksum. The view then ends at the total length,
  // so link-layer padding or trailers never reach the layer above.
  static Parsed<Ipv4View> parse(Bytes packet);

  std::size_t header_length() const { return std::size_t{packet_[0] & 0x0fu} * 4; }
  std::uint8_t tos() const { return packet_[1]; }
  std::uint16_t total_length() const { return load_be16(packet_.data() + 2); }
  std::uint16_t identification() const { return load_be16(packet_.data() + 4); }
  bool dont_fragment() const { return (packet_[6] & 0x40) != 0; }
  bool more_fragments() const { return (packet_[6] & 0x20) != 0; }
  std::size_t fragment_offset() const { return std::size_t{load_be16(packet_.data() + 6) & 0x1fffu} * 8; }
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  std::uint8_t ttl() const { return packet_[8]; }
  std::uint8_t protocol() const { return packet_[9]; }
  std::uint16_t header_checksum() const { return load_be16(packet_.data() + 10); }
  Ipv4Address source() const { return {load_be32(packet_.data() + 12)}; }
  Ipv4Address destination() const { return {load_be32(packet_.data() + 16)}; }
  Bytes options() const { return packet_.subspan(kIpv4MinHeaderLength, header_length() - kIpv4MinHeaderLength); }
  Bytes payload() const { return packet_.subspan(header_length()); }
  Bytes bytes() const { return packet_; }  // header and payload, up to the total length

 private:
  explicit Ipv4View(Bytes packet) : packet_(packet) {}
  Bytes packet_;
};

struct Ipv4Fields {
  std::uint8_t tos = 0;
  std::uint16_t total_length = kIpv4MinHeaderLength;
  std::uint16_t identification = 0;
  bool dont_fragment = false;
  std::uint8_t ttl = kDefaultTtl;
  std::uint8_t protocol = 0;
  Ipv4Address source;
  Ipv4Address destination;
};

// Writes a header at the start of `out`: 20 bytes, then `options` (a multiple of 4 bytes, at most 40; IHL set to
// match), checksum included. Returns the header length.
std::size_t write_ipv4_header(MutableBytes out, const Ipv4Fields& fields, Bytes options = {});

// Addresses that must never appear as a source (RFC 1122 §3.2.1.3): "this network" 0/8, loopback 127/8, multicast
// 224/4, limited broadcast. The directed broadcast of our subnet and our own address are checked by the caller.
bool is_martian_source(Ipv4Address address);

}  // namespace ministack
