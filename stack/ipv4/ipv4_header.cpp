#include "stack/ipv4/ipv4_header.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/checksum.hpp"

namespace ministack {

std::size_t write_ipv4_header(MutableBytes out, const Ipv4Fields& f, Bytes options) {
  const std::size_t length = kIpv4MinHeaderLength + options.size();
  assert(options.size() % 4 == 0 && options.size() <= kIpv4MaxHeaderLength - kIpv4MinHeaderLength &&
         out.size() >= length);
  std::uint8_t* p = out.data();
  p[ipv4_field::version_ihl] = static_cast<std::uint8_t>(0x40 | (length / 4));  // version 4, IHL
  p[ipv4_field::tos] = f.tos;
  store_be16(p + ipv4_field::total_length, f.total_length);
  store_be16(p + ipv4_field::identification, f.identification);
  store_be16(p + ipv4_field::flags_fragment_offset, f.dont_fragment ? ipv4_flags::dont_fragment : 0);
  p[ipv4_field::ttl] = f.ttl;
  p[ipv4_field::protocol] = f.protocol;
  store_be32(p + ipv4_field::source, f.source.value);
  store_be32(p + ipv4_field::destination, f.destination.value);
  if (!options.empty()) std::copy(options.begin(), options.end(), p + kIpv4MinHeaderLength);
  Ipv4Header{p}.update_checksum();
  return length;
}

void Ipv4Header::update_checksum() {
  store_be16(p_ + ipv4_field::header_checksum, 0);
  store_be16(p_ + ipv4_field::header_checksum, internet_checksum(Bytes{p_, header_length()}));
}

}  // namespace ministack
