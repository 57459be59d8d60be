// ARP for IPv4 over Ethernet (RFC 826).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Hardware type (1)         |     Protocol type (0x0800)    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  HLEN (6)     |  PLEN (4)     |  Operation (1 req, 2 reply)   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Sender hardware address (6) | Sender protocol address (4)    |
//  |  Target hardware address (6) | Target protocol address (4)    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kArpLength = 28;  // Ethernet/IPv4 only

namespace arp_op {
inline constexpr std::uint16_t request = 1;
inline constexpr std::uint16_t reply = 2;
}  // namespace arp_op

class ArpView {
 public:
  // Accepts only Ethernet (htype 1, hlen 6) / IPv4 (ptype 0x0800, plen 4) packets that are long enough.
  static Parsed<ArpView> parse(Bytes packet);

  std::uint16_t operation() const { return load_be16(packet_.data() + 6); }
  MacAddress sender_mac() const { return load_mac(packet_.data() + 8); }
  Ipv4Address sender_ip() const { return {load_be32(packet_.data() + 14)}; }
  MacAddress target_mac() const { return load_mac(packet_.data() + 18); }
  Ipv4Address target_ip() const { return {load_be32(packet_.data() + 24)}; }

 private:
  explicit ArpView(Bytes packet) : packet_(packet) {}
  Bytes packet_;
};

struct ArpFields {
  std::uint16_t operation;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;
};

// Writes a 28-byte Ethernet/IPv4 ARP packet at the start of `out`.
void write_arp(MutableBytes out, const ArpFields& fields);

}  // namespace ministack
