#include "stack/wire/ipv4.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/checksum.hpp"

namespace ministack {

Parsed<Ipv4View> Ipv4View::parse(Bytes packet) {
  if (packet.size() < kIpv4MinHeaderLength) return DropReason::ip_truncated;
  if ((packet[ipv4_field::version_ihl] >> 4) != 4) return DropReason::ip_bad_version;
  const std::size_t header_length = std::size_t{packet[ipv4_field::version_ihl] & 0x0fu} * 4;
  if (header_length < kIpv4MinHeaderLength) return DropReason::ip_bad_ihl;
  const std::size_t total_length = load_be16(packet.data() + ipv4_field::total_length);
  if (header_length > packet.size() || total_length > packet.size()) return DropReason::ip_truncated;
  if (total_length < header_length) return DropReason::ip_bad_total_length;
  if (internet_checksum(packet.first(header_length)) != 0) return DropReason::ip_bad_checksum;
  return Ipv4View{packet.first(total_length)};
}

bool is_martian_source(Ipv4Address a) {
  const std::uint32_t first = a.value >> 24;
  return first == 0 || first == 127 || (first & 0xf0) == 0xe0 || a.value == 0xffffffff;
}

}  // namespace ministack
