// The protocol pipeline: a received frame goes up the layers; whatever the stack sends goes to a FrameSink.
//
//   TAP:  frame -> Link (Ethernet) -> ARP                          (ARP reply; queued packets released)
//                                  -> Ipv4 -> reassembly -> Icmp   (echo reply, fragmented to the MTU if need be)
//                                                        -> Udp    (echo service on port 7)
//                                                        -> Tcp    (connections: echo on 7, discard on 9; else RST)
//                                                        -> else   (ICMP protocol / port unreachable, rate-limited)
//                                  -> Ipv6 -> extension headers, reassembly -> Icmpv6 (echo, neighbor discovery)
//                                                                           -> Udp, Tcp (the same services)
//                                                                           -> else (parameter problem)
//   TUN:  packet -> Link (raw IP) --> Ipv4 or Ipv6 -> ...
//
// Each layer is a component with its own state (stack/link, stack/ipv4, stack/transport); Stack wires them
// together and keeps what they share. No I/O and no globals: the device loop owns the buffers and the clock. An
// answer that fits the frame it answers is built in place in the receive buffer and handed to the sink from there;
// nothing allocates per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/config.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv6/ipv6_layer.hpp"
#include "stack/layer.hpp"
#include "stack/link/link.hpp"
#include "stack/network.hpp"
#include "stack/transport/icmp_layer.hpp"
#include "stack/transport/icmpv6_layer.hpp"
#include "stack/transport/tcp_layer.hpp"
#include "stack/transport/udp_layer.hpp"
#include "stack/usage.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/counters.hpp"
#include "stack/wire/trace.hpp"

namespace ministack {

class Stack {
 public:
  // A receive buffer holds at least this much, so that a short reply can be padded to the Ethernet minimum in place.
  static constexpr std::size_t kMinBufferSize = kEthernetMinFrameLength;

  explicit Stack(const StackConfig& config);
  Stack(const Stack&) = delete;  // the layers hold references to each other and to the shared context
  Stack& operator=(const Stack&) = delete;

  // Handles the frame in buffer[0, length), received at `now`. Answers may overwrite the buffer.
  Verdict receive(MutableBytes buffer, std::size_t length, Instant now, FrameSink& out);
  // Drops, as frame_too_long, a frame of `wire_length` bytes that the device could not deliver whole (longer than
  // the largest IP packet plus link header, RFC 791 §3.1): only its first bytes were read, so nothing in it is
  // trusted. Counts and traces it like any other drop.
  Verdict receive_too_long(std::size_t wire_length, Instant now, FrameSink& out);
  // The largest IP datagram sent unfragmented from now on, in bytes: the device's MTU, which the host may change
  // while the stack runs (`ip link set DEV mtu N`). Clamped to [576, 65535] as the constructor clamps it (RFC 791
  // §3.1: every host takes 576-byte datagrams). Returns the MTU now in force.
  std::size_t set_mtu(std::size_t mtu);
  // Runs every layer's timers: reassembly timeouts, ARP retries and expiry of queued packets, and TCP's
  // (retransmission, delayed ACK, persist, TIME-WAIT). Call it now and then, and by next_deadline().
  void poll(Instant now, FrameSink& out);
  // When a TCP timer next needs poll(), if one runs: the device loop waits no longer than that.
  std::optional<Instant> next_deadline() const { return tcp_.next_deadline(); }
  // Announces our address with a gratuitous ARP request (RFC 5227 §2.3, "ARP Announcement") and probes our IPv6
  // addresses with duplicate address detection (RFC 4862 §5.4.2); TAP only.
  void announce(FrameSink& out);
  // Sends a UDP datagram we originate (Udp::send). Its next hop is resolved through the neighbor cache; while ARP
  // resolves it, the packet waits in a small queue. Returns false if it could not even be queued.
  bool send_udp(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port, Bytes payload,
                Instant now, FrameSink& out);

  // Reports every layer's reading and decision to `tracer` (nullptr: none, and nothing is formatted).
  void set_tracer(Tracer* tracer) { context_.tracer = tracer; }

  const StackConfig& config() const { return config_; }
  const Counters& counters() const { return counters_; }
  const NeighborCache& neighbors() const { return link_.neighbors(); }
  const Ipv4Reassembler& reassembler() const { return ipv4_.reassembler(); }
  const FragmentStore& reassembler6() const { return ipv6_.reassembly(); }
  // Every bounded table's use and cap (reassembly, neighbor cache, ARP queue); each within its cap at all times.
  StackUsage usage() const;

 private:
  StackConfig config_;
  Counters counters_;
  StackContext context_;
  Link link_;
  Ipv4 ipv4_;
  Ipv6 ipv6_;
  Network network_;
  Icmp icmp_;
  Icmpv6 icmp6_;
  Udp udp_;
  Tcp tcp_;
};

}  // namespace ministack
