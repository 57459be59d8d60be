// The link layer: Ethernet II with ARP (TAP) or bare IP packets (TUN), chosen once when the stack is built.
//
//   TAP:  frame -> Ethernet -> ARP    (reply; datagrams waiting for the sender released)
//                           -> IPv4   (NetworkInput)
//                           -> IPv6   (to our MAC, or to a group we joined: all-nodes, our solicited-node groups)
//   TUN:  packet -- version -> IPv4 or IPv6
//
// Going down, it frames what the network layer sends (resolving the next hop through ARP, or IPv6 neighbor
// discovery, where the frame answers nobody in particular), pads short Ethernet frames and hands them to the sink.
// Nothing above it knows which link it is, beyond header_length(). The neighbor cache serves both versions.
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

// Who asks for an IPv6 neighbor's link-layer address (RFC 4861 §7.2.2): ICMPv6, which writes the solicitation.
class NeighborSolicitor {
 public:
  virtual ~NeighborSolicitor() = default;
  virtual void solicit(const Ipv6Address& target, FrameSink& sink) = 0;
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
  // Where IPv4 and IPv6 packets go (`ipv6` null: IPv6 is not spoken), and who solicits IPv6 neighbors.
  void set_network(NetworkInput* ipv4, NetworkInput* ipv6, NeighborSolicitor* solicitor) {
    ipv4_ = ipv4;
    ipv6_ = ipv6;
    solicitor_ = solicitor;
  }

  // Bytes of link header the layers above leave as headroom in front of every packet they send.
  std::size_t header_length() const { return link_header_length(context_.config.link); }

  // Handles frame (a received frame; the rest of its space is room for padding an answer).
  Verdict receive(PacketBuffer& frame, FrameContext& context);
  // Sends the IP packet to `next_hop`, with header_length() bytes of headroom in front of it. On Ethernet an
  // unresolved next hop queues the packet and asks ARP (RFC 1122 §2.3.2.2) or solicits the IPv6 neighbor (RFC 4861
  // §7.2.2); an IPv6 multicast next hop maps to its group MAC (RFC 2464 §7). False if it was neither sent nor
  // queued (the queue is full; counted as arp_queue_full).
  bool send_ip(PacketBuffer& packet, const NextHop& next_hop, FrameContext& context);
  // Takes frames to the multicast MAC `group` from now on (RFC 2464 §7 maps an IPv6 group to 33:33:xx:xx:xx:xx).
  void join(const MacAddress& group);
  // Announces our address with a gratuitous ARP request (RFC 5227 §2.3); nothing on raw IP.
  void announce(FrameSink& sink);
  // ARP and neighbor solicitation retries, and drops of queued packets whose resolution failed.
  void poll(Instant now, FrameSink& sink);
  // How an IPv6 neighbor discovery message may change the cache (RFC 4861 §7.2.3, §7.2.5).
  enum class Learn {
    create,            // a solicitation's source address: adds or refreshes the entry
    with_override,     // an advertisement with O set: refreshes or replaces, or completes a resolution
    without_override,  // an advertisement without O: never replaces a known, different address
  };
  // What IPv6 neighbor discovery learned: `ip` is at `mac` (ignored if `mac` is a group, zero or our own address).
  // Then sends whatever waited for it.
  void learn(const IpAddress& ip, const MacAddress& mac, Learn how, FrameContext& context);

  const NeighborCache& neighbors() const { return neighbors_; }

 private:
  Verdict receive_ethernet(PacketBuffer& frame, FrameContext& context);
  Verdict receive_arp(PacketBuffer& frame, FrameContext& context);
  void send_arp_request(Ipv4Address target, FrameSink& sink);
  // Puts an Ethernet header in front of `packet` (in its headroom).
  void frame_ethernet(PacketBuffer& packet, const MacAddress& destination, std::uint16_t type) const;
  // Pads a short Ethernet frame to the minimum, counts it by its destination (unicast, broadcast or multicast),
  // traces it and hands it to the sink.
  void transmit(PacketBuffer& frame, FrameContext& context);
  // Sends every packet that waited for `ip`, now known to be at `mac`.
  void release(const IpAddress& ip, const MacAddress& mac, FrameContext& context);
  // Whether a frame to `destination` is for us: our MAC, broadcast, or a group we joined.
  bool joined(const MacAddress& destination) const;
  // Whether IPv6 packets are taken: IPv6 is on and the MTU at least IPv6's minimum (RFC 8200 §5).
  bool speaks_ipv6() const;

  StackContext& context_;
  NetworkInput* ipv4_ = nullptr;
  NetworkInput* ipv6_ = nullptr;
  NeighborSolicitor* solicitor_ = nullptr;
  std::vector<MacAddress> groups_;  // the multicast MACs we take frames to (RFC 2464 §7)
  NeighborCache neighbors_;
  std::vector<std::uint8_t> arp_tx_;  // ARP requests, and short frames with no room to pad where they lie
};

}  // namespace ministack
