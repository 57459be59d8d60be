// The link layer: Ethernet II with ARP (TAP) or bare IP packets (TUN), chosen once when the stack is built.
//
//   TAP:  frame -> Ethernet -> ARP    (reply; datagrams waiting for the sender released)
//                           -> IPv4   (NetworkInput)
//   TUN:  packet ------------> IPv4
//
// Going down, it frames what the network layer sends (resolving the next hop through ARP where the frame answers
// nobody in particular), pads short Ethernet frames and hands them to the sink. Nothing above it knows which link
// it is, beyond header_length().
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "stack/layer.hpp"
#include "stack/link/neighbor_cache.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/link_layer.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

// The network layer as the link sees it: where a received IP packet goes.
class NetworkInput {
 public:
  virtual ~NetworkInput() = default;
  // `packet` is the IP packet with any link padding after it; the link header's bytes are headroom.
  virtual Verdict receive(PacketBuffer& packet, FrameContext& frame) = 0;
};

// Where an IP packet goes next on the link: back to the link address a received frame came from, or to an IP
// next hop to resolve.
struct NextHop {
  IpAddress address;
  std::optional<MacAddress> link_address;  // known already (an answer): no resolution

  static NextHop answering(const IpAddress& to, const FrameContext& frame) { return {to, frame.peer.address}; }
};

class Link {
 public:
  Link(StackContext& context, NeighborLimits neighbor_limits);
  void set_network(NetworkInput* ipv4) { ipv4_ = ipv4; }

  // Bytes of link header the layers above leave as headroom in front of every packet they send.
  std::size_t header_length() const { return link_header_length(context_.config.link); }

  // Handles frame (a received frame; the rest of its space is room for padding an answer).
  Verdict receive(PacketBuffer& frame, FrameContext& context);
  // Sends the IP packet to `next_hop`, with header_length() bytes of headroom in front of it. On Ethernet an
  // unresolved next hop queues the packet and asks ARP (RFC 1122 §2.3.2.2). False if it was neither sent nor
  // queued (the queue is full; counted as arp_queue_full).
  bool send_ip(PacketBuffer& packet, const NextHop& next_hop, FrameContext& context);
  // Announces our address with a gratuitous ARP request (RFC 5227 §2.3); nothing on raw IP.
  void announce(FrameSink& sink);
  // ARP retries, and drops of queued packets whose resolution failed.
  void poll(Instant now, FrameSink& sink);

  const NeighborCache& neighbors() const { return neighbors_; }

 private:
  Verdict receive_ethernet(PacketBuffer& frame, FrameContext& context);
  Verdict receive_arp(PacketBuffer& frame, FrameContext& context);
  void send_arp_request(Ipv4Address target, FrameSink& sink);
  // Puts an Ethernet header in front of `packet` (in its headroom).
  void frame_ethernet(PacketBuffer& packet, const MacAddress& destination, std::uint16_t type) const;
  // Pads a short Ethernet frame to the minimum, counts it (as a broadcast if `broadcast`: only ARP requests are),
  // traces it and hands it to the sink.
  void transmit(PacketBuffer& frame, FrameContext& context, bool broadcast = false);

  StackContext& context_;
  NetworkInput* ipv4_ = nullptr;
  NeighborCache neighbors_;
  std::vector<std::uint8_t> arp_tx_;  // ARP requests, and short frames with no room to pad where they lie
};

}  // namespace ministack
