#include "ipv4.hpp"

#include <algorithm>
#include <cassert>

#include "checksum.hpp"

namespace ministack {

Parsed<Ipv4View> Ipv4View::parse(Bytes packet) {
  if (packet.size() < kIpv4MinHeaderLength) return DropReason::ip_truncated;
  if ((packet[0] >> 4) != 4) return DropReason::ip_bad_version;
  const std::size_t header_length = std::size_t{packet[0] & 0x0fu} * 4;
  if (header_length < kIpv4MinHeaderLength) return DropReason::ip_bad_ihl;
  const std::size_t total_length = load_be16(packet.data() + 2);
  if (header_length > packet.size() || total_length > packet.size()) return DropReason::ip_truncated;
  if (total_length < header_length) return DropReason::ip_bad_total_length;
  if (internet_checksum(packet.first(header_length)) != 0) return DropReason::ip_bad_checksum;
  return Ipv4View{packet.first(total_length)};
}

std::size_t write_ipv4_header(MutableBytes out, const Ipv4Fields& f, Bytes options) {
  const std::size_t length = kIpv4MinHeaderLength + options.size();
  assert(options.size() % 4 == 0 && options.size() <= 40 && out.size() >= length);
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(0x40 | (length / 4));  // version 4, IHL
  p[1] = f.tos;
  store_be16(p + 2, f.total_length);
  store_be16(p + 4, f.identification);
  store_be16(p + 6, f.dont_fragment ? 0x4000 : 0);
  p[8] = f.ttl;
  p[9] = f.protocol;
  store_be16(p + 10, 0);
  store_be32(p + 12, f.source.value);
  store_be32(p + 16, f.destination.value);
  std::copy(options.begin(), options.end(), p + kIpv4MinHeaderLength);
  store_be16(p + 10, internet_checksum(Bytes{p, length}));
  return length;
}

bool is_martian_source(Ipv4Address a) {
  const std::uint32_t first = a.value >> 24;
  return first == 0 || first == 127 || (first & 0xf0) == 0xe0 || a.value == 0xffffffff;
}

}  // namespace ministack
