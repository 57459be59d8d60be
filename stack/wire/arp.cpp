#include "stack/wire/arp.hpp"

#include <cassert>

#include "stack/wire/ethernet.hpp"

namespace ministack {

namespace {
constexpr std::uint16_t kHardwareEthernet = 1;
}

Parsed<ArpView> ArpView::parse(Bytes packet) {
  // The fixed part says how long the rest is; check it before trusting the lengths (RFC 826 "Packet format").
  if (packet.size() < 8) return DropReason::arp_truncated;
  const std::uint8_t* p = packet.data();
  if (load_be16(p) != kHardwareEthernet || load_be16(p + 2) != ethertype::ipv4 || p[4] != 6 || p[5] != 4) {
    return DropReason::arp_unsupported_format;
  }
  if (packet.size() < kArpLength) return DropReason::arp_truncated;
  return ArpView{packet.first(kArpLength)};
}

void write_arp(MutableBytes out, const ArpFields& f) {
  assert(out.size() >= kArpLength);
  std::uint8_t* p = out.data();
  store_be16(p, kHardwareEthernet);
  store_be16(p + 2, ethertype::ipv4);
  p[4] = 6;
  p[5] = 4;
  store_be16(p + 6, f.operation);
  store_mac(p + 8, f.sender_mac);
  store_be32(p + 14, f.sender_ip.value);
  store_mac(p + 18, f.target_mac);
  store_be32(p + 24, f.target_ip.value);
}

}  // namespace ministack
