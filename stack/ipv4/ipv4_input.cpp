// IPv4 input: the checks of RFC 1122 §3.2.1, addressing, options, reassembly, and dispatch by protocol.
#include <cassert>

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv4/ipv4_options.hpp"

namespace ministack {

namespace {
constexpr Ipv4Address kLimitedBroadcast{0xffffffff};
constexpr Ipv4Address kAllHostsGroup{0xe0000001};  // 224.0.0.1, which every host belongs to (RFC 1112 §4)
}  // namespace

IpContext ipv4_context(const Ipv4View& ip, bool to_broadcast, bool link_broadcast) {
  return IpContext{.source = ip.source(),
                   .destination = ip.destination(),
                   .protocol = ip.protocol(),
                   .tos = ip.tos(),
                   .hop_limit = ip.ttl(),
                   .to_broadcast = to_broadcast,
                   .link_broadcast = link_broadcast,
                   .datagram = ip.bytes(),
                   .header_length = ip.header_length(),
                   .fixed_header_length = kIpv4MinHeaderLength,
                   .fragment_offset = ip.fragment_offset()};
}

Ipv4::Ipv4(StackContext& context, Link& link)
    : context_(context),
      link_(link),
      reassembler_(context.config.reassembly, context.counters),
      // Sized for the largest MTU, not the one at start: the MTU may grow while the stack runs (Stack::set_mtu).
      fragment_tx_(kEthernetHeaderLength + FragmentStore::kMaxDatagramLength) {}

Verdict Ipv4::receive(PacketBuffer& packet, FrameContext& frame) {
  context_.counters.count(Counter::ipInReceives);
  const auto ip = Ipv4View::parse(packet.bytes());
  if (!ip) return context_.drop(ip.reason(), frame);

  const std::size_t slack = packet.size() - ip->total_length();
  context_.trace(Layer::ipv4,
                 "{} > {}: header {} bytes, checksum 0x{:04x} verified, total length {}, TTL {}, protocol {}",
                 ip->source(), ip->destination(), ip->header_length(), ip->header_checksum(), ip->total_length(),
                 ip->ttl(), ip->protocol());
  if (slack) context_.trace(Layer::ipv4, "{} bytes after the total length are link padding: ignored", slack);
  const Ipv4Interface& us = context_.config.interface;
  const Ipv4Address destination = ip->destination();
  const bool to_broadcast = destination == kLimitedBroadcast || destination == us.subnet_broadcast() ||
                            destination == kAllHostsGroup;
  if (destination != us.address && !to_broadcast) return context_.drop(DropReason::ip_not_for_us, frame);
  if (frame.peer.broadcast && !to_broadcast) return context_.drop(DropReason::ip_link_broadcast, frame);
  const Ipv4Address source = ip->source();
  if (is_martian_source(source) || source == us.address || source == us.subnet_broadcast()) {
    return context_.drop(DropReason::ip_bad_source, frame);
  }
  if (!ip->options().empty()) {  // rare: most datagrams have none, and skip the walk
    if (const auto bad = check_options(ip->options())) return context_.drop(*bad, frame);
    context_.trace(Layer::ipv4, "{} bytes of options, well formed", ip->options().size());
  }

  if (!ip->is_fragment()) {
    packet.resize(ip->total_length());
    return deliver(packet, *ip, to_broadcast, frame);
  }
  context_.trace(Layer::ipv4, "fragment: id 0x{:04x}, offset {}, {} data bytes, {}", ip->identification(),
                 ip->fragment_offset(), ip->payload().size(), ip->more_fragments() ? "more follow" : "the last");
  const auto result = reassembler_.add(*ip, frame.now);
  if (result.drop) return context_.drop(*result.drop, frame);
  if (!result.datagram) {
    context_.trace(Layer::ipv4, "held for reassembly ({} datagrams in progress, {} bytes held)",
                   reassembler_.datagrams_in_progress(), reassembler_.bytes_held());
    return StackContext::held(frame);
  }
  context_.trace(Layer::ipv4, "reassembled: the datagram is whole, {} bytes (RFC 815)", result.datagram->size());
  // The whole datagram lives in the reassembler, with room for a link header in front of it and for padding.
  const auto reassembled = Ipv4View::parse(*result.datagram);
  assert(reassembled);
  PacketBuffer whole = result.packet();
  return deliver(whole, *reassembled, to_broadcast, frame);
}

Verdict Ipv4::deliver(PacketBuffer& datagram, const Ipv4View& ip, bool to_broadcast, FrameContext& frame) {
  TransportInput* const input = protocols_[ip.protocol()];
  context_.trace(Layer::ipv4, "for {}: protocol {} goes to {}", to_broadcast ? "a broadcast address" : "us",
                 ip.protocol(),
                 ip.protocol() == ip_protocol::icmp  ? "ICMP"
                 : ip.protocol() == ip_protocol::udp ? "UDP"
                 : ip.protocol() == ip_protocol::tcp ? "TCP"
                                                     : "nobody");
  const IpContext context = ipv4_context(ip, to_broadcast, frame.peer.broadcast);
  if (!input) {
    if (errors_) errors_->protocol_unreachable(context, frame);
    return context_.drop(DropReason::ip_unknown_protocol, frame);
  }
  context_.counters.count(Counter::ipInDelivers);
  datagram.pull(ip.header_length());
  return input->receive(datagram, context, frame);
}

}  // namespace ministack
