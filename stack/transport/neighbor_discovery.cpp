// Neighbor discovery for a host that answers (RFC 4861 §7): solicitations for our addresses answered, solicitations
// and advertisements merged into the neighbor cache, our own solicitations, and duplicate address detection at
// start (RFC 4862 §5.4).
#include "stack/transport/icmpv6_layer.hpp"

namespace ministack {

Verdict Icmpv6::neighbor_solicitation(PacketBuffer& message, const Icmpv6View& ns, const IpContext& ip,
                                      FrameContext& frame) {
  context_.counters.count(Counter::Icmp6InNeighborSolicits);
  if (context_.config.link != LinkLayer::ethernet) return context_.drop(DropReason::nd_no_link_layer, frame);
  // RFC 4861 §7.1.1: hop limit 255 proves it was not forwarded.
  if (ip.hop_limit != kNdHopLimit) return context_.drop(DropReason::nd_invalid, frame);
  const auto nd = parse_nd(ns);
  if (!nd) return context_.drop(nd.reason(), frame);
  const Ipv6Address source = ip.source.v6();
  const bool probe = source.is_unspecified();  // duplicate address detection by another node (RFC 4862 §5.4.2)
  if (probe && (nd->link_address || ip.destination.v6() != nd->target.solicited_node())) {
    return context_.drop(DropReason::nd_invalid, frame);  // §7.1.1: from ::, only to the solicited-node group
  }
  context_.trace(Layer::icmpv6, "neighbor solicitation from {}: who has {}?{}", source, nd->target,
                 nd->link_address ? fmt::format(" (it is at {})", *nd->link_address) : std::string{});
  if (!ip_.is_ours(nd->target)) return context_.drop(DropReason::nd_not_for_us, frame);
  // §7.2.3: the solicitation's source link-layer address creates or refreshes its entry.
  if (!probe && nd->link_address) {
    link_.learn(source, *nd->link_address, Link::Learn::create, frame);
    context_.trace(Layer::icmpv6, "neighbor cache: {} is at {} (RFC 4861 §7.2.3)", source, *nd->link_address);
  }
  // §7.2.4: a solicited advertisement back to the sender; to a probe, an unsolicited one to all nodes, which
  // defends our address (RFC 4862 §5.4.3). Override set: the address is ours, not an anycast one.
  const Ipv6Address target = nd->target;
  const Ipv6Address destination = probe ? kIpv6AllNodes : source;
  const std::uint8_t flags = probe ? na_flag::override_ : (na_flag::solicited | na_flag::override_);
  context_.trace(Layer::icmpv6, "{} is ours: advertisement to {}, flags{}{}, target link-layer address {}", target,
                 destination, probe ? "" : " solicited", " override", context_.config.mac);
  message.resize(
      write_neighbor_advertisement(message.to_end(), target, context_.config.mac, flags, target, destination));
  context_.counters.count(Counter::Icmp6OutNeighborAdvertisements);
  send_nd(message, target, destination,
          probe ? NextHop{destination, std::nullopt} : NextHop::answering(ip.source, frame), frame);
  return StackContext::handled(frame);
}

Verdict Icmpv6::neighbor_advertisement(const Icmpv6View& na, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::Icmp6InNeighborAdvertisements);
  if (context_.config.link != LinkLayer::ethernet) return context_.drop(DropReason::nd_no_link_layer, frame);
  if (ip.hop_limit != kNdHopLimit) return context_.drop(DropReason::nd_invalid, frame);
  const auto nd = parse_nd(na);
  if (!nd) return context_.drop(nd.reason(), frame);
  // §7.1.2: to a multicast address, the Solicited flag is 0.
  if (ip.destination.v6().is_multicast() && (nd->flags & na_flag::solicited)) {
    return context_.drop(DropReason::nd_invalid, frame);
  }
  context_.trace(Layer::icmpv6, "neighbor advertisement: {} is at {}", nd->target,
                 nd->link_address ? fmt::format("{}", *nd->link_address) : std::string{"(no address given)"});
  if (ip_.is_ours(nd->target)) return context_.drop(DropReason::nd_duplicate_address, frame);
  // §7.2.5: an advertisement updates an entry, or completes a resolution; it creates nothing else.
  if (nd->link_address) {
    link_.learn(nd->target, *nd->link_address,
                (nd->flags & na_flag::override_) ? Link::Learn::with_override : Link::Learn::without_override, frame);
  }
  return StackContext::handled(frame);
}

void Icmpv6::solicit(const Ipv6Address& target, FrameSink& sink) {
  FrameContext frame{Instant{}, sink, {}, 0};
  const Ipv6Address source = ip_.source_for(target);
  const Ipv6Address group = target.solicited_node();
  context_.trace(Layer::icmpv6, "neighbor solicitation to {}: who has {}? (RFC 4861 §7.2.2)", group, target);
  PacketBuffer message(tx_, Network::kHeadroom, 0);
  message.resize(write_neighbor_solicitation(message.to_end(), target, context_.config.mac, source, group));
  context_.counters.count(Counter::Icmp6OutNeighborSolicits);
  send_nd(message, source, group, NextHop{group, std::nullopt}, frame);
}

void Icmpv6::announce(FrameSink& sink) {
  if (context_.config.link != LinkLayer::ethernet) return;  // no neighbors to ask on TUN
  FrameContext frame{Instant{}, sink, {}, 0};
  for (const Ipv6Address& address : {ip_.link_local(), ip_.global()}) {
    const Ipv6Address group = address.solicited_node();
    context_.trace(Layer::icmpv6, "duplicate address detection for {}: a solicitation from :: (RFC 4862 §5.4.2)",
                   address);
    PacketBuffer message(tx_, Network::kHeadroom, 0);
    message.resize(write_neighbor_solicitation(message.to_end(), address, std::nullopt, Ipv6Address{}, group));
    context_.counters.count(Counter::Icmp6OutNeighborSolicits);
    send_nd(message, Ipv6Address{}, group, NextHop{group, std::nullopt}, frame);
  }
}

void Icmpv6::send_nd(PacketBuffer& message, const Ipv6Address& source, const Ipv6Address& destination,
                     const NextHop& next_hop, FrameContext& frame) {
  context_.counters.count(Counter::Icmp6OutMsgs);
  IpSend send = IpSend::control(destination, ip_protocol::icmpv6, 0, source);
  send.hop_limit = kNdHopLimit;
  ip_.send(message, send, next_hop, frame);
}

}  // namespace ministack
