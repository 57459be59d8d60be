// Ethernet framing and padding, or none on raw IP, and the hand-off to the network layer.
#include "stack/link/link.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/ethernet.hpp"

namespace ministack {

Link::Link(StackContext& context, NeighborLimits neighbor_limits)
    : context_(context), neighbors_(neighbor_limits), arp_tx_(kEthernetMinFrameLength) {}

Verdict Link::receive(PacketBuffer& frame, FrameContext& context) {
  if (context_.config.link == LinkLayer::ethernet) return receive_ethernet(frame, context);
  // On TUN the first nibble is all there is to tell IPv4 from IPv6.
  const std::size_t length = frame.size();
  const unsigned version = length ? frame.data()[0] >> 4 : 0;
  context_.trace(Layer::link, "TUN: an IP packet of {} bytes, version {}", length, version);
  if (version == 6) return context_.drop(DropReason::ipv6_not_spoken, context);
  context_.counters.count(Counter::ifInUcastPkts);  // no link addresses on TUN: every packet is ours alone
  return ipv4_->receive(frame, context);
}

Verdict Link::receive_ethernet(PacketBuffer& frame, FrameContext& context) {
  const auto eth = EthernetView::parse(frame.bytes());
  if (!eth) return context_.drop(eth.reason(), context);
  const MacAddress destination = eth->destination();
  const MacAddress& us = context_.config.mac;
  context_.trace(Layer::link, "Ethernet {} > {}, type 0x{:04x}, {} bytes", eth->source(), destination, eth->ethertype(),
                 frame.size());
  if (destination != us && !destination.is_broadcast()) return context_.drop(DropReason::eth_not_for_us, context);
  context_.trace(Layer::link, "{}: type 0x{:04x} goes to {}", destination.is_broadcast() ? "broadcast" : "our MAC",
                 eth->ethertype(),
                 eth->ethertype() == ethertype::arp    ? "ARP"
                 : eth->ethertype() == ethertype::ipv4 ? "IPv4"
                                                       : "nobody");
  // A group address is never a valid source, and an answer to one would go to every host on the link.
  const MacAddress source = eth->source();
  if (source.is_group()) return context_.drop(DropReason::eth_bad_source, context);
  context.peer = LinkPeer{source, destination.is_broadcast()};  // answers go back where the request came from

  const std::uint16_t type = eth->ethertype();
  if (type != ethertype::arp && type != ethertype::ipv4)
    return context_.drop(DropReason::eth_unsupported_type, context);
  context_.counters.count(destination.is_broadcast() ? Counter::ifInBroadcastPkts : Counter::ifInUcastPkts);
  if (type == ethertype::arp) return receive_arp(frame, context);
  frame.pull(kEthernetHeaderLength);
  return ipv4_->receive(frame, context);
}

void Link::frame_ethernet(PacketBuffer& packet, const MacAddress& destination, std::uint16_t type) const {
  write_ethernet_header(packet.push(kEthernetHeaderLength), destination, context_.config.mac, type);
}

bool Link::send_ip(PacketBuffer& packet, const NextHop& next_hop, FrameContext& context) {
  if (context_.config.link == LinkLayer::ip) {
    transmit(packet, context);
    return true;
  }
  std::optional<MacAddress> mac = next_hop.link_address;
  if (!mac) mac = neighbors_.lookup_fresh(next_hop.address, context.now);
  if (mac) {
    frame_ethernet(packet, *mac, ethertype::ipv4);
    transmit(packet, context);
    return true;
  }
  // RFC 1122 §2.3.2.2: keep the packet while ARP resolves its next hop.
  switch (neighbors_.enqueue(next_hop.address, packet.bytes(), context.now)) {
    case NeighborCache::Queued::full: context_.counters.count(DropReason::arp_queue_full); return false;
    case NeighborCache::Queued::first_for_destination:
      send_arp_request(next_hop.address.v4(), context.sink);
      return true;
    case NeighborCache::Queued::behind_others: return true;
  }
  return true;
}

void Link::transmit(PacketBuffer& frame, FrameContext& context, bool broadcast) {
  Bytes wire = frame.bytes();
  if (context_.config.link == LinkLayer::ethernet && frame.size() < kEthernetMinFrameLength) {
    // Pad in place where the buffer has room behind the frame; else in arp_tx_ (never the case for a frame
    // already there: it is the minimum size).
    MutableBytes room = frame.to_end();
    if (room.size() < kEthernetMinFrameLength) {
      assert(room.data() != arp_tx_.data());
      std::copy_n(frame.data(), frame.size(), arp_tx_.begin());
      room = arp_tx_;
    }
    wire = room.first(pad_ethernet_frame(room, frame.size()));
  }
  context_.counters.count(broadcast ? Counter::ifOutBroadcastPkts : Counter::ifOutUcastPkts);
  if (context_.tracer) context_.tracer->sent(wire);
  context.sink.send(wire);
  ++context.frames_sent;
}

void Link::poll(Instant now, FrameSink& sink) {
  for (;;) {
    std::size_t dropped = 0;
    const auto due = neighbors_.due_request(now, dropped);
    for (std::size_t i = 0; i < dropped; ++i) context_.counters.count(DropReason::arp_unresolved);
    if (!due) break;
    send_arp_request(due->v4(), sink);
  }
}

}  // namespace ministack
