// The IPv6 layer (RFC 8200): input checks, our addresses and groups, the extension headers, reassembly and dispatch
// by next header on the way up; on the way down the one place that writes IPv6 headers and fragments to the MTU.
//
//   link -> IPv6 -> hop-by-hop, destination options, routing, fragment (reassembly) -> ICMPv6, UDP, TCP
//                                                                                   -> else parameter problem
//   ICMPv6, UDP, TCP -> Ipv6::send -> header, Fragment headers -> link
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/ipv4/fragment_store.hpp"
#include "stack/layer.hpp"
#include "stack/link/link.hpp"
#include "stack/network.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

// Who sends the ICMPv6 errors the IPv6 layer calls for (RFC 4443 §3.4): ICMPv6.
class Ipv6ErrorReporter {
 public:
  virtual ~Ipv6ErrorReporter() = default;
  // A parameter problem of `code` whose pointer is `pointer` (a byte offset into the offending packet, RFC 4443
  // §3.4). `even_to_multicast`: the one exception of RFC 4443 §2.4 (e.3), an unrecognized option of type 10xxxxxx.
  virtual void parameter_problem(const IpContext& offending, std::uint8_t code, std::uint32_t pointer,
                                 bool even_to_multicast, FrameContext& frame) = 0;
};

class Ipv6 final : public NetworkInput {
 public:
  Ipv6(StackContext& context, Link& link);
  // Where packets whose upper-layer header is `next_header` go. Others draw a parameter problem.
  void register_protocol(std::uint8_t next_header, TransportInput* input) { protocols_[next_header] = input; }
  void set_error_reporter(Ipv6ErrorReporter* errors) { errors_ = errors; }

  Verdict receive(PacketBuffer& packet, FrameContext& frame) override;
  // Sends `payload` (with Network::kHeadroom bytes in front of it) as one packet, in Fragment headers if it is
  // longer than the MTU (RFC 8200 §4.5). False if the link could neither send nor queue it.
  bool send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame);
  void poll(Instant now) { reassembly_.expire(now); }

  // Whether `a` is one of our unicast addresses: the link-local one and interface6 (RFC 4291 §2.8).
  bool is_ours(const Ipv6Address& a) const { return a == link_local_ || a == global_; }
  // Our address to send from toward `destination`: the link-local one for link-local and link-scope multicast
  // destinations, else the global one (RFC 6724 §5 rule 2, "prefer appropriate scope").
  const Ipv6Address& source_for(const Ipv6Address& destination) const;
  // Our address that answers `peer`'s packet to `to`: `to` itself when it is ours, else (a group) ours of the peer's
  // scope (RFC 4443 §4.2, RFC 6724 §5 rule 2).
  const Ipv6Address& reply_source(const Ipv6Address& to, const Ipv6Address& peer) const {
    return is_ours(to) ? to : source_for(peer);
  }
  const Ipv6Address& link_local() const { return link_local_; }
  const Ipv6Address& global() const { return global_; }
  // The groups a host joins (RFC 4861 §7.2.1): all-nodes and the solicited-node group of each of our addresses.
  const std::array<Ipv6Address, 3>& groups() const { return groups_; }
  const FragmentStore& reassembly() const { return reassembly_; }

 private:
  // Whether we take packets to `destination`: ours or one of groups() (RFC 4291 §2.8).
  bool accepts(const Ipv6Address& destination) const;
  // Walks the extension headers from `next_header` at `offset` to the upper-layer header; delivers, reassembles
  // or drops (RFC 8200 §4.1 order).
  // `reassembled`: the packet is one the store completed, in which a second fragment header is refused.
  Verdict walk(PacketBuffer& packet, const Ipv6View& ip, std::size_t offset, std::uint8_t next_header, bool reassembled,
               FrameContext& frame);
  // The options of a hop-by-hop or destination options header of `length` bytes at `offset` (RFC 8200 §4.2);
  // nullopt if all are understood or skipped, else the drop (and the parameter problem their type calls for).
  std::optional<Verdict> check_options(const IpContext& ip, std::size_t offset, std::size_t length, bool hop_by_hop,
                                       FrameContext& frame);
  Verdict reassemble(const Ipv6View& ip, std::size_t fragment_at, FrameContext& frame);
  Verdict deliver(PacketBuffer& packet, const Ipv6View& ip, std::size_t header_length, std::uint8_t next_header,
                  FrameContext& frame);
  // A parameter problem about `ip` and the drop that goes with it.
  Verdict problem(const IpContext& ip, std::uint8_t code, std::size_t pointer, DropReason reason, FrameContext& frame,
                  bool even_to_multicast = false);
  bool output(PacketBuffer& packet, const NextHop& next_hop, FrameContext& frame);
  bool fragment(const PacketBuffer& packet, const NextHop& next_hop, FrameContext& frame);
  // The Identification of the next packet fragmented toward `destination` (RFC 7739).
  std::uint32_t fragment_identification(const Ipv6Address& destination);

  StackContext& context_;
  Link& link_;
  Ipv6Address link_local_;
  Ipv6Address global_;
  std::array<Ipv6Address, 3> groups_;  // all-nodes, and the solicited-node groups of link_local_ and global_
  std::array<TransportInput*, 256> protocols_{};
  Ipv6ErrorReporter* errors_ = nullptr;
  FragmentStore reassembly_;
  std::vector<std::uint8_t> fragment_tx_;  // where fragments are built
  std::uint32_t next_identification_;
};

// The IpContext of an IPv6 packet (`ip`) whose upper-layer header (or the header being judged) is `next_header` at
// byte `header_length`.
IpContext ipv6_context(const Ipv6View& ip, std::size_t header_length, std::uint8_t next_header, bool link_group);

}  // namespace ministack
