// The protocol pipeline: one received frame in, at most one reply out, built in the same buffer.
//
//   TAP:  frame -> Ethernet -> ARP                 (reply: ARP reply)
//                           -> IPv4 -> ICMP        (reply: echo reply)
//   TUN:  packet ---------------> IPv4 -> ICMP
//
// No I/O and no globals: the device loop owns the buffer and writes whatever receive() says to send. Each layer
// either hands the bytes up or returns a named drop reason; nothing here allocates per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "address.hpp"
#include "bytes.hpp"
#include "counters.hpp"
#include "drop_reason.hpp"
#include "ethernet.hpp"
#include "neighbor_cache.hpp"

namespace ministack {

class Ipv4View;

enum class LinkLayer {
  ethernet,  // TAP: Ethernet II frames
  ip,        // TUN: bare IP packets (IFF_NO_PI)
};

struct StackConfig {
  LinkLayer link = LinkLayer::ethernet;
  Ipv4Interface interface{Ipv4Address{0xc0a8030c}, 24};          // 192.168.3.12/24
  MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};         // locally administered
};

// What became of one received frame.
struct Verdict {
  std::size_t reply_length = 0;      // > 0: send buffer[0, reply_length)
  std::optional<DropReason> drop;    // set when the frame was dropped
};

class Stack {
 public:
  // A receive buffer holds at least this much, so that a short reply can be padded to the Ethernet minimum in place.
  static constexpr std::size_t kMinBufferSize = kEthernetMinFrameLength;

  explicit Stack(const StackConfig& config) : config_(config) {}

  // Handles the frame in buffer[0, length). A reply, if any, overwrites the frame at the start of `buffer`.
  Verdict receive(MutableBytes buffer, std::size_t length);

  const StackConfig& config() const { return config_; }
  const Counters& counters() const { return counters_; }
  const NeighborCache& neighbors() const { return neighbors_; }

 private:
  // The frame is buffer[0, length); the rest of the buffer is room for padding a reply.
  Verdict process_ethernet(MutableBytes buffer, std::size_t length);
  Verdict process_arp(MutableBytes buffer, std::size_t length);
  // `packet` starts at the IP header and ends where the frame ends; a reply is written at its start.
  Verdict process_ipv4(MutableBytes packet, bool link_broadcast);
  Verdict process_icmp(MutableBytes packet, const Ipv4View& ip);
  Verdict drop(DropReason reason);
  Verdict reply(std::size_t length);

  StackConfig config_;
  Counters counters_;
  NeighborCache neighbors_;
  std::uint16_t next_ip_id_ = 0;
};

}  // namespace ministack
