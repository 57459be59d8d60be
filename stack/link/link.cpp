// Ethernet framing and padding, or none on raw IP, and the hand-off to the network layer.
#include "stack/link/link.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv6.hpp"

namespace ministack {

Link::Link(StackContext& context, NeighborLimits neighbor_limits)
    : context_(context), neighbors_(neighbor_limits), arp_tx_(kEthernetMinFrameLength) {}

void Link::join(const MacAddress& group) {
  if (std::find(groups_.begin(), groups_.end(), group) == groups_.end()) groups_.push_back(group);
}

bool Link::speaks_ipv6() const {
  // RFC 8200 §5: IPv6 needs links of 1280 bytes; Linux turns it off on a device with a smaller MTU.
  return ipv6_ != nullptr && context_.config.mtu >= kIpv6MinMtu;
}

bool Link::joined(const MacAddress& destination) const {
  if (destination == context_.config.mac || destination.is_broadcast()) return true;
  return std::find(groups_.begin(), groups_.end(), destination) != groups_.end();
}

Verdict Link::receive(PacketBuffer& frame, FrameContext& context) {
  if (context_.config.link == LinkLayer::ethernet) return receive_ethernet(frame, context);
  // On TUN the first nibble is all there is to tell IPv4 from IPv6.
  const std::size_t length = frame.size();
  const unsigned version = length ? frame.data()[0] >> 4 : 0;
  context_.trace(Layer::link, "TUN: an IP packet of {} bytes, version {}", length, version);
  if (version == 6 && !speaks_ipv6()) return context_.drop(DropReason::ipv6_not_spoken, context);
  context_.counters.count(Counter::ifInUcastPkts);  // no link addresses on TUN: every packet is ours alone
  return version == 6 ? ipv6_->receive(frame, context) : ipv4_->receive(frame, context);
}

Verdict Link::receive_ethernet(PacketBuffer& frame, FrameContext& context) {
  const auto eth = EthernetView::parse(frame.bytes());
  if (!eth) return context_.drop(eth.reason(), context);
  const MacAddress destination = eth->destination();
  const MacAddress& us = context_.config.mac;
  context_.trace(Layer::link, "Ethernet {} > {}, type 0x{:04x}, {} bytes", eth->source(), destination, eth->ethertype(),
                 frame.size());
  if (!joined(destination)) {
    return context_.drop(destination.is_group() ? DropReason::eth_multicast_not_joined : DropReason::eth_not_for_us,
                         context);
  }
  const std::uint16_t type = eth->ethertype();
  const bool group = destination != us;
  context_.trace(Layer::link, "{}: type 0x{:04x} goes to {}",
                 destination == us ? "our MAC" : (destination.is_broadcast() ? "broadcast" : "a group we joined"), type,
                 type == ethertype::arp    ? "ARP"
                 : type == ethertype::ipv4 ? "IPv4"
                 : type == ethertype::ipv6 ? (ipv6_ ? "IPv6" : "nobody (IPv6 is off)")
                 : type == ethertype::vlan || type == ethertype::vlan_s || type == ethertype::vlan_qinq
                     ? "nobody (a VLAN tag: no VLAN is configured)"
                     : "nobody");
  // A group address is never a valid source, and an answer to one would go to every host on the link.
  const MacAddress source = eth->source();
  if (source.is_group()) return context_.drop(DropReason::eth_bad_source, context);
  context.peer = LinkPeer{source, group};  // answers go back where the request came from

  if (type == ethertype::ipv6 && !speaks_ipv6()) return context_.drop(DropReason::ipv6_not_spoken, context);
  if (type == ethertype::vlan || type == ethertype::vlan_s || type == ethertype::vlan_qinq) {
    return context_.drop(DropReason::eth_vlan_not_supported, context);
  }
  if (type != ethertype::arp && type != ethertype::ipv4 && type != ethertype::ipv6) {
    return context_.drop(DropReason::eth_unsupported_type, context);
  }
  context_.counters.count(!group                       ? Counter::ifInUcastPkts
                          : destination.is_broadcast() ? Counter::ifInBroadcastPkts
                                                       : Counter::ifInMulticastPkts);
  if (type == ethertype::arp) return receive_arp(frame, context);
  frame.pull(kEthernetHeaderLength);
  return type == ethertype::ipv6 ? ipv6_->receive(frame, context) : ipv4_->receive(frame, context);
}

void Link::frame_ethernet(PacketBuffer& packet, const MacAddress& destination, std::uint16_t type) const {
  write_ethernet_header(packet.push(kEthernetHeaderLength), destination, context_.config.mac, type);
}

bool Link::send_ip(PacketBuffer& packet, const NextHop& next_hop, FrameContext& context) {
  if (context_.config.link == LinkLayer::ip) {
    transmit(packet, context);
    return true;
  }
  const bool v6 = next_hop.address.is_v6();
  std::optional<MacAddress> mac = next_hop.link_address;
  if (!mac && v6 && next_hop.address.v6().is_multicast()) mac = next_hop.address.v6().multicast_mac();
  if (!mac) mac = neighbors_.lookup_fresh(next_hop.address, context.now);
  if (mac) {
    frame_ethernet(packet, *mac, v6 ? ethertype::ipv6 : ethertype::ipv4);
    transmit(packet, context);
    return true;
  }
  // RFC 1122 §2.3.2.2, RFC 4861 §7.2.2: keep the packet while its next hop is resolved.
  switch (neighbors_.enqueue(next_hop.address, packet.bytes(), context.now)) {
    case NeighborCache::Queued::full: context_.counters.count(DropReason::arp_queue_full); return false;
    case NeighborCache::Queued::first_for_destination:
      if (v6) {
        solicitor_->solicit(next_hop.address.v6(), context.sink);
      } else {
        send_arp_request(next_hop.address.v4(), context.sink);
      }
      return true;
    case NeighborCache::Queued::behind_others: return true;
  }
  return true;
}

void Link::transmit(PacketBuffer& frame, FrameContext& context) {
  Bytes wire = frame.bytes();
  Counter counter = Counter::ifOutUcastPkts;
  if (context_.config.link == LinkLayer::ethernet) {
    const MacAddress destination = load_mac(frame.data());
    if (destination.is_group()) {
      counter = destination.is_broadcast() ? Counter::ifOutBroadcastPkts : Counter::ifOutMulticastPkts;
    }
  }
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
  context_.counters.count(counter);
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
    if (due->is_v6()) {
      solicitor_->solicit(due->v6(), sink);
    } else {
      send_arp_request(due->v4(), sink);
    }
  }
}

void Link::learn(const IpAddress& ip, const MacAddress& mac, Learn how, FrameContext& context) {
  // A group, zero or our own address names no neighbor: learning it would send to everyone, nobody or ourselves.
  if (mac.is_group() || mac == MacAddress{} || mac == context_.config.mac) return;
  const auto known = neighbors_.lookup(ip);
  // RFC 4861 §7.2.5: without the Override flag an advertisement does not replace a known, different address.
  if (known && *known != mac && how == Learn::without_override) return;
  if (!neighbors_.update(ip, mac, context.now) && (how == Learn::create || neighbors_.resolving(ip))) {
    neighbors_.insert(ip, mac, context.now);
  }
  if (neighbors_.lookup(ip)) release(ip, mac, context);
}

void Link::release(const IpAddress& ip, const MacAddress& mac, FrameContext& context) {
  neighbors_.release(ip, [&](MutableBytes waiting) {
    PacketBuffer packet(waiting, NeighborCache::kHeadroom, waiting.size() - NeighborCache::kHeadroom);
    frame_ethernet(packet, mac, ip.is_v6() ? ethertype::ipv6 : ethertype::ipv4);
    transmit(packet, context);
  });
}

}  // namespace ministack
