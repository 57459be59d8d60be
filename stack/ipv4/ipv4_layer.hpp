// The IPv4 layer (RFC 791, RFC 1122 §3.2-3.3): input checks, addressing, reassembly and dispatch by protocol on the
// way up; on the way down the one place that writes IPv4 headers, numbers datagrams and fragments them to the MTU.
//
//   link -> IPv4 -> reassembly -> TransportInput registered for the protocol (ICMP, UDP, TCP)
//                              -> else Ipv4ErrorReporter (ICMP protocol unreachable)
//   ICMP, UDP, TCP -> Ipv4::send -> header, fragmentation -> link
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/ipv4/ipv4_reassembler.hpp"
#include "stack/layer.hpp"
#include "stack/link/link.hpp"
#include "stack/network.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

// Who sends the ICMP error the IPv4 layer calls for: ICMP.
class Ipv4ErrorReporter {
 public:
  virtual ~Ipv4ErrorReporter() = default;
  // No protocol above IPv4 for the datagram: destination unreachable, protocol (code 2, RFC 1122 §3.2.2.1).
  virtual void protocol_unreachable(const IpContext& offending, FrameContext& frame) = 0;
};

class Ipv4 final : public NetworkInput {
 public:
  // Bytes of headroom a protocol above leaves in front of what it sends: the longest IPv4 header and a link header.
  static constexpr std::size_t kHeadroom = kIpv4MaxHeaderLength + kEthernetHeaderLength;

  Ipv4(StackContext& context, Link& link);
  // Where datagrams of `protocol` go. Unregistered protocols draw a protocol unreachable from `errors`.
  void register_protocol(std::uint8_t protocol, TransportInput* input) { protocols_[protocol] = input; }
  void set_error_reporter(Ipv4ErrorReporter* errors) { errors_ = errors; }

  Verdict receive(PacketBuffer& packet, FrameContext& frame) override;
  // Sends `payload` (with at least header and link room in front: options.size() + 20 + the link's header) as one
  // datagram from our address, fragmented to the MTU if it is longer (RFC 791 §3.2). False if the link could
  // neither send nor queue it.
  bool send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame);
  // Reassembly timeouts.
  void poll(Instant now) { reassembler_.expire(now); }

  const Ipv4Reassembler& reassembler() const { return reassembler_; }

 private:
  // A whole datagram for us (reassembled if need be), handed to its protocol.
  Verdict deliver(PacketBuffer& datagram, const Ipv4View& ip, bool to_broadcast, FrameContext& frame);
  // Sends a whole datagram (header written), fragmenting it if it is longer than the MTU.
  bool output(PacketBuffer& datagram, const NextHop& next_hop, FrameContext& frame);
  bool fragment(const PacketBuffer& datagram, const NextHop& next_hop, FrameContext& frame);

  StackContext& context_;
  Link& link_;
  std::array<TransportInput*, 256> protocols_{};
  Ipv4ErrorReporter* errors_ = nullptr;
  Ipv4Reassembler reassembler_;
  std::vector<std::uint8_t> fragment_tx_;  // where fragments are built; never a datagram to send
  std::uint16_t next_identification_ = 0;
};

// The IpContext of an IPv4 datagram that passed Ipv4View::parse (to_broadcast: sent to a broadcast or multicast
// address; link_broadcast: received as a link-layer broadcast).
IpContext ipv4_context(const Ipv4View& ip, bool to_broadcast, bool link_broadcast);

}  // namespace ministack
