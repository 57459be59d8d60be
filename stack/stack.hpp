// The protocol pipeline: a received frame goes up the layers; whatever the stack sends goes to a FrameSink.
//
//   TAP:  frame -> Ethernet -> ARP                          (ARP reply; queued datagrams released)
//                           -> IPv4 -> reassembly -> ICMP   (echo reply, fragmented to the MTU if need be)
//                                                 -> UDP    (echo service on port 7)
//                                                 -> else   (ICMP protocol / port unreachable, rate-limited)
//   TUN:  packet ---------------> IPv4 -> ...
//
// No I/O and no globals: the device loop owns the buffers and the clock. An answer that fits the frame it answers
// is built in place in the receive buffer and handed to the sink from there; nothing allocates per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "address.hpp"
#include "bytes.hpp"
#include "clock.hpp"
#include "counters.hpp"
#include "drop_reason.hpp"
#include "ethernet.hpp"
#include "neighbor_cache.hpp"
#include "rate_limiter.hpp"
#include "reassembly.hpp"
#include "trace.hpp"

namespace ministack {

class Ipv4View;

enum class LinkLayer {
  ethernet,  // TAP: Ethernet II frames
  ip,        // TUN: bare IP packets (IFF_NO_PI)
};

struct StackConfig {
  LinkLayer link = LinkLayer::ethernet;
  Ipv4Interface interface{Ipv4Address{0xc0a8030c}, 24};  // 192.168.3.12/24
  MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};  // locally administered
  std::size_t mtu = 1500;                                 // largest IP datagram sent unfragmented
  // Answer echo requests sent to a broadcast or multicast address. Off by default, as Linux's
  // icmp_echo_ignore_broadcasts=1, so the stack cannot be used as a smurf amplifier (RFC 1122 §3.2.2.6 allows both).
  bool answer_broadcast_echo = false;
  ReassemblyLimits reassembly;
  IcmpRateLimits icmp_rate;
  NeighborLimits neighbors;
};

// Receives what the stack sends: one whole frame (TAP) or packet (TUN) per call, valid only during the call.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void send(Bytes frame) = 0;
};

// What became of one received frame.
struct Verdict {
  std::size_t frames_sent = 0;     // frames handed to the sink while handling it
  std::optional<DropReason> drop;  // set when it was not delivered (an ICMP error may still have been sent)
};

class Stack {
 public:
  // A receive buffer holds at least this much, so that a short reply can be padded to the Ethernet minimum in place.
  static constexpr std::size_t kMinBufferSize = kEthernetMinFrameLength;

  explicit Stack(const StackConfig& config);

  // Handles the frame in buffer[0, length), received at `now`. Answers may overwrite the buffer.
  Verdict receive(MutableBytes buffer, std::size_t length, Instant now, FrameSink& out);
  // Runs the timers: reassembly timeouts, ARP retries and expiry of queued datagrams. Call it now and then.
  void poll(Instant now, FrameSink& out);
  // Announces our address with a gratuitous ARP request (RFC 5227 §2.3, "ARP Announcement"); TAP only.
  void announce(FrameSink& out);
  // Sends a UDP datagram we originate. Its next hop is resolved through the neighbour cache; while ARP resolves
  // it, the datagram waits in a small queue. Returns false if it could not even be queued (off-link, queue full).
  bool send_udp(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port, Bytes payload,
                Instant now, FrameSink& out);

  // Reports every layer's reading and decision to `tracer` (nullptr: none, and nothing is formatted).
  void set_tracer(Tracer* tracer) { tracer_ = tracer; }

  const StackConfig& config() const { return config_; }
  const Counters& counters() const { return counters_; }
  const NeighborCache& neighbors() const { return neighbors_; }
  const Reassembler& reassembler() const { return reassembler_; }

 private:
  // Per-frame context, passed up the layers.
  struct Rx {
    Instant now;
    FrameSink& out;
    std::optional<MacAddress> link_source;  // TAP: who sent the frame (answers go back there)
    bool link_broadcast = false;
    std::size_t frames_sent = 0;
  };

  // The frame is buffer[0, length); the rest of the buffer is room for padding a reply.
  Verdict process_ethernet(MutableBytes buffer, std::size_t length, Rx& rx);
  Verdict process_arp(MutableBytes buffer, std::size_t length, Rx& rx);
  // The IP packet is space[headroom, frame_length). The `headroom` bytes before it (the Ethernet header's place)
  // and the rest of `space` are writable, so an answer can be built, framed, padded and sent where it lies.
  Verdict process_ipv4(MutableBytes space, std::size_t headroom, std::size_t frame_length, Rx& rx);
  // A whole datagram for us (reassembled if need be), handed to its protocol. `ip` views space[headroom...].
  Verdict deliver(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast, Rx& rx);
  Verdict process_icmp(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast, Rx& rx);
  Verdict process_udp(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast, Rx& rx);
  // Sends ICMP destination unreachable about `offending` if RFC 1122 §3.2.2 and the rate limit allow.
  void send_unreachable(std::uint8_t code, const Ipv4View& offending, Rx& rx);

  // Sends the IP datagram at space[headroom, headroom + length) to `next_hop` (TAP), fragmenting it to the MTU if
  // it is longer (RFC 791 §3.2); counts what it sends into `sent`. A datagram that needs fragmenting must not
  // live in tx_, where the fragments are built.
  void output_ipv4(MutableBytes space, std::size_t headroom, std::size_t length,
                   const std::optional<MacAddress>& next_hop, FrameSink& out, std::size_t& sent);
  void send_frame(MutableBytes frame, std::size_t length, FrameSink& out, std::size_t& sent);
  void send_arp_request(Ipv4Address target, FrameSink& out);
  void release_pending(Ipv4Address ip, const MacAddress& mac, Rx& rx);
  std::uint16_t next_ip_id() { return next_ip_id_++; }

  Verdict drop(DropReason reason, const Rx& rx);
  template <class... Args>
  void trace(Layer layer, fmt::format_string<Args...> format, Args&&... args) {
    if (tracer_) tracer_->note(layer, fmt::format(format, std::forward<Args>(args)...));
  }
  Verdict done(const Rx& rx) const { return Verdict{rx.frames_sent, std::nullopt}; }

  StackConfig config_;
  Counters counters_;
  NeighborCache neighbors_;
  Reassembler reassembler_;
  IcmpRateLimiter icmp_limiter_;
  std::vector<std::uint8_t> tx_;         // frames built from scratch: fragments, ICMP errors, ARP requests
  std::vector<std::uint8_t> originate_;  // datagrams we originate (send_udp), allocated on first use
  std::uint16_t next_ip_id_ = 0;
  Tracer* tracer_ = nullptr;
};

}  // namespace ministack
