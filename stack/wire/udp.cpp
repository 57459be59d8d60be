#include "stack/wire/udp.hpp"

#include <cassert>

#include "stack/wire/checksum.hpp"

namespace ministack {

namespace {

// The one's complement sum of the pseudo-header and `datagram` (whose checksum field is either 0, to compute the
// checksum, or the received value, to verify it: then a correct datagram gives 0). RFC 768: the pseudo-header's
// length is the UDP length, which is `datagram.size()` here.
std::uint16_t udp_checksum(Bytes datagram, const IpAddress& source, const IpAddress& destination) {
  Checksum sum;
  add_pseudo_header(sum, source, destination, ip_protocol::udp, datagram.size());
  sum.add(datagram);
  return sum.finish();
}

}  // namespace

Parsed<UdpView> UdpView::parse(Bytes datagram, const IpAddress& source, const IpAddress& destination) {
  if (datagram.size() < kUdpHeaderLength) return DropReason::udp_truncated;
  const std::size_t length = load_be16(datagram.data() + 4);
  if (length < kUdpHeaderLength || length > datagram.size()) return DropReason::udp_truncated;
  datagram = datagram.first(length);
  // RFC 768: "An all zero transmitted checksum value means that the transmitter generated no checksum". RFC 1122
  // §4.1.3.4 lets a host accept those; Linux does too.
  // RFC 8200 §8.1: over IPv6 the checksum is mandatory, and a zero one is discarded.
  if (load_be16(datagram.data() + 6) == 0 && source.is_v6()) return DropReason::udp_bad_checksum;
  if (load_be16(datagram.data() + 6) != 0 && udp_checksum(datagram, source, destination) != 0) {
    return DropReason::udp_bad_checksum;
  }
  return UdpView{datagram};
}

void finish_udp(MutableBytes datagram, const IpAddress& source, const IpAddress& destination, std::uint16_t source_port,
                std::uint16_t destination_port) {
  assert(datagram.size() >= kUdpHeaderLength && datagram.size() <= 0xffff);
  std::uint8_t* p = datagram.data();
  store_be16(p, source_port);
  store_be16(p + 2, destination_port);
  store_be16(p + 4, static_cast<std::uint16_t>(datagram.size()));
  store_be16(p + 6, 0);
  const std::uint16_t checksum = udp_checksum(datagram, source, destination);
  // RFC 768: "If the computed checksum is zero, it is transmitted as all ones (the equivalent in one's complement
  // arithmetic)": 0 on the wire would mean that no checksum was computed.
  store_be16(p + 6, checksum == 0 ? 0xffff : checksum);
}

void turn_udp_around(MutableBytes datagram) {
  assert(datagram.size() >= kUdpHeaderLength && load_be16(datagram.data() + 6) != 0);
  std::uint8_t* p = datagram.data();
  const std::uint16_t source_port = load_be16(p);
  store_be16(p, load_be16(p + 2));
  store_be16(p + 2, source_port);
}

}  // namespace ministack
