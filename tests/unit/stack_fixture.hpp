// What the pipeline tests share (stack_ip_test.cpp, stack_tap_test.cpp, stack_tun_test.cpp): a Stack fed through a
// device-sized receive buffer, and the full check of an echo reply.
//
// Every frame is built by packets.hpp and fed in a buffer of the size the device loop uses (1514 bytes on TAP, 1500
// on TUN) that is first filled with garbage, so a reply that leaks an earlier frame's bytes shows. Every reply is
// checked field by field against the request, with checksums recomputed independently (packets::reference_checksum).
// Tests of IPv4 and ICMP behaviour run on both link layers (StackIpTest); ARP and Ethernet tests run on TAP only.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "frame_feeder.hpp"
#include "packets.hpp"
#include "stack/stack.hpp"

// Readable parameter names in gtest's output ("GetParam() = ethernet" rather than raw bytes).
namespace ministack {
void PrintTo(LinkLayer link, std::ostream* os);
}  // namespace ministack

namespace stack_test {

using ministack::Bytes;
using ministack::Counter;
using ministack::Counters;
using ministack::DropReason;
using ministack::Ipv4Address;
using ministack::LinkLayer;
using ministack::MacAddress;
using ministack::Stack;
using ministack::StackConfig;
using ministack::Verdict;
using packets::Frame;
using packets::get16;
using packets::get32;
using packets::get_mac;
using packets::ipv4_address;
using packets::kOurIp;
using packets::kOurMac;
using packets::kPeerIp;
using packets::kPeerMac;

inline constexpr std::uint8_t kGarbage = ministack::testing::FrameFeeder::kGarbage;  // the buffer outside the frame
inline constexpr std::uint16_t kArpType = packets::ethertype::arp;

std::string_view name(const std::optional<DropReason>& reason);

// A Stack with the default configuration (192.168.3.12/24, 02:00:00:00:00:01) and a device-sized receive buffer.
class Harness {
 public:
  explicit Harness(LinkLayer link);

  // Feeds one frame; checks that it fits the device buffer and that the verdict counts what was sent.
  Verdict receive(const Frame& frame, ministack::Instant now = {});

  // Feeds a frame that must be dropped for `reason`: nothing sent, that reason counted once and nothing else dropped.
  // Returns the counters from before it, for the caller's own checks.
  Counters receive_dropped(const Frame& frame, DropReason reason);

  // What the device loop would write: the first frame sent (empty if none), and all of them.
  Frame reply() const;
  const std::vector<Frame>& sent() const;
  ministack::Stack& mutable_stack() { return feeder_.stack(); }
  std::size_t buffer_size() const { return feeder_.buffer_size(); }
  const Stack& stack() const { return feeder_.stack(); }
  std::uint64_t count(Counter c) const { return stack().counters().get(c); }
  std::uint64_t count(DropReason r) const { return stack().counters().get(r); }

 private:
  ministack::testing::FrameFeeder feeder_;
};

// Checks `reply` field by field against the echo request it answers (both as the device carries them): RFC 792's
// echo reply (type 0; identifier, sequence and data as received) in RFC 791's IPv4 header (addresses swapped, no
// options, TTL 64), with both checksums equal to an independent full recompute; on TAP, an Ethernet header back to
// the request's source MAC and zero padding up to 60 bytes.
void expect_echo_reply(const Frame& request, const Frame& reply, bool tap);

}  // namespace stack_test
