#include "stack/network.hpp"

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv6/ipv6_layer.hpp"

namespace ministack {

bool Network::send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame) {
  if (request.destination.is_v6()) return ipv6_.send(payload, request, next_hop, frame);
  return ipv4_.send(payload, request, next_hop, frame);
}

Ipv6Address Network::reply_source6(const IpContext& ip) const {
  return ipv6_.reply_source(ip.destination.v6(), ip.source.v6());
}

}  // namespace ministack
