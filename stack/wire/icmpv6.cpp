#include "stack/wire/icmpv6.hpp"

#include <cassert>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv6.hpp"

namespace ministack {

namespace {

std::uint16_t icmpv6_checksum(Bytes message, const Ipv6Address& source, const Ipv6Address& destination) {
  Checksum sum;
  add_pseudo_header(sum, source, destination, ip_protocol::icmpv6, message.size());
  sum.add(message);
  return sum.finish();
}

}  // namespace

Parsed<Icmpv6View> Icmpv6View::parse(Bytes message, const Ipv6Address& source, const Ipv6Address& destination) {
  if (message.size() < kIcmpv6HeaderLength) return DropReason::icmp6_truncated;
  if (icmpv6_checksum(message, source, destination) != 0) return DropReason::icmp6_bad_checksum;
  return Icmpv6View(message);
}

Parsed<NdMessage> parse_nd(const Icmpv6View& message) {
  const Bytes m = message.bytes();
  if (message.code() != 0 || m.size() < kNdMessageLength) return DropReason::nd_invalid;
  NdMessage nd{.target = load_ipv6(m.data() + 8), .flags = m[4], .link_address = std::nullopt};
  if (nd.target.is_multicast()) return DropReason::nd_invalid;
  const std::uint8_t wanted = message.type() == icmpv6_type::neighbor_solicitation ? nd_option::source_link_address
                                                                                   : nd_option::target_link_address;
  // RFC 4861 §4.6: type, length in units of 8 bytes (0 is invalid), value. Unknown options are skipped (§4.6).
  for (std::size_t at = kNdMessageLength; at < m.size();) {
    if (m.size() - at < 2 || m[at + 1] == 0) return DropReason::nd_invalid;
    const std::size_t length = std::size_t{m[at + 1]} * 8;
    if (length > m.size() - at) return DropReason::nd_invalid;
    if (m[at] == wanted && length == kNdLinkAddressOptionLength) nd.link_address = load_mac(m.data() + at + 2);
    at += length;
  }
  return nd;
}

void finish_icmpv6(MutableBytes message, const Ipv6Address& source, const Ipv6Address& destination) {
  store_be16(message.data() + 2, 0);
  store_be16(message.data() + 2, icmpv6_checksum(message, source, destination));
}

std::size_t write_neighbor_advertisement(MutableBytes out, const Ipv6Address& target, const MacAddress& mac,
                                         std::uint8_t flags, const Ipv6Address& source,
                                         const Ipv6Address& destination) {
  const std::size_t length = kNdMessageLength + kNdLinkAddressOptionLength;
  assert(out.size() >= length);
  std::uint8_t* p = out.data();
  p[0] = icmpv6_type::neighbor_advertisement;
  p[1] = 0;
  store_be32(p + 4, std::uint32_t{flags} << 24);
  store_ipv6(p + 8, target);
  p[24] = nd_option::target_link_address;
  p[25] = 1;
  store_mac(p + 26, mac);
  finish_icmpv6(out.first(length), source, destination);
  return length;
}

std::size_t write_neighbor_solicitation(MutableBytes out, const Ipv6Address& target, std::optional<MacAddress> mac,
                                        const Ipv6Address& source, const Ipv6Address& destination) {
  const std::size_t length = kNdMessageLength + (mac ? kNdLinkAddressOptionLength : 0);
  assert(out.size() >= length);
  std::uint8_t* p = out.data();
  p[0] = icmpv6_type::neighbor_solicitation;
  p[1] = 0;
  store_be32(p + 4, 0);
  store_ipv6(p + 8, target);
  if (mac) {
    p[24] = nd_option::source_link_address;
    p[25] = 1;
    store_mac(p + 26, *mac);
  }
  finish_icmpv6(out.first(length), source, destination);
  return length;
}

}  // namespace ministack
