// The fuzz targets' checks (stack_invariants.hpp) over every capture in pcaps/: every frame the stack sends and every
// cap, after every frame and every timer run, as the event loop runs them. Good traffic must pass every check, which
// is what shows the checks themselves are sound; the fuzz targets then hold hostile input to the same rules.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "device/pcap_replay.hpp"
#include "packets.hpp"
#include "replay.hpp"
#include "stack_invariants.hpp"

namespace {

using ministack::Instant;
using ministack::PcapReplayDevice;
using ministack::StackConfig;
using ministack::testing::check_answer;
using ministack::testing::check_caps;
using ministack::testing::check_sent_frame;
using ministack::testing::CheckedStack;
using packets::Frame;

// ---- the checks themselves: each catches what it is for ----------------------------------------------------------

// An echo reply as the stack of the default configuration sends it on TAP: from us to the peer, padded to 60 bytes.
Frame good_reply() {
  const Frame ip = packets::ipv4({.source = packets::kOurIp, .destination = packets::kPeerIp},
                                 packets::icmp({.type = 0, .data = packets::pattern(4)}));
  return packets::pad_to(packets::ethernet({.destination = packets::kPeerMac, .source = packets::kOurMac}, ip), 60);
}

Frame with_ip_header_checksum_fixed(Frame f) {
  packets::set_checksum(f, 14 + 10, 14, 20);
  return f;
}

TEST(Invariants, AGoodReplyPasses) {
  const StackConfig config;
  EXPECT_FALSE(check_sent_frame(config, good_reply()));
}

TEST(Invariants, EachRuleCatchesItsViolation) {
  const StackConfig config;
  Frame bad_checksum = good_reply();
  bad_checksum[14 + 10] ^= 1;
  EXPECT_TRUE(check_sent_frame(config, bad_checksum));
  Frame dirty_padding = good_reply();
  dirty_padding.back() = 1;
  EXPECT_TRUE(check_sent_frame(config, dirty_padding));
  Frame short_frame = good_reply();
  short_frame.erase(short_frame.end() - 1);
  EXPECT_TRUE(check_sent_frame(config, short_frame));
  for (const std::uint32_t source : {0xc0a803ffu, 0xffffffffu, 0xe0000001u, 0x7f000001u, 0x00000001u}) {
    Frame f = good_reply();
    packets::put32(f, 14 + 12, source);
    EXPECT_TRUE(check_sent_frame(config, with_ip_header_checksum_fixed(f))) << std::hex << source;
  }
  Frame bad_icmp = good_reply();
  bad_icmp[14 + 20 + 8] ^= 1;
  EXPECT_TRUE(check_sent_frame(config, bad_icmp));
  StackConfig small_mtu;
  small_mtu.mtu = 40;
  EXPECT_TRUE(check_sent_frame(small_mtu, good_reply()));
}

TEST(Invariants, AnswersNoLargerThanTheirFrameAndCapsHeld) {
  const StackConfig config;
  const std::vector<Frame> one{good_reply()};
  // The reply carries 14 + 32 bytes, padding not counted.
  EXPECT_FALSE(check_answer(config, {.input_length = 46}, one));
  EXPECT_TRUE(check_answer(config, {.input_length = 45}, one));
  EXPECT_FALSE(check_answer(config, {.input_length = 45, .reassembled = true}, one));
  ministack::StackUsage usage;
  usage.neighbors = {.used = 3, .cap = 3};
  EXPECT_FALSE(check_caps(usage));
  usage.pending_bytes = {.used = 4, .cap = 3};
  EXPECT_TRUE(check_caps(usage));
}

// ---- every fixture -------------------------------------------------------------------------------------------------

class InvariantsOverFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(InvariantsOverFixtures, EveryFrameSentAndEveryCapHold) {
  PcapReplayDevice device(std::string(MINISTACK_FIXTURES) + "/" + GetParam());
  StackConfig config;
  config.link = device.link();
  CheckedStack stack(config);
  const auto frames = ministack::testing::read_frames(device);
  ASSERT_FALSE(frames.empty());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Instant now =
        ministack::Instant{std::chrono::duration_cast<ministack::Duration>(frames[i].timestamp), frames[i].timestamp};
    const auto received = stack.receive(frames[i].bytes, now);
    ASSERT_FALSE(received) << "frame " << i + 1 << ": " << *received;
    const auto polled = stack.poll(now);
    ASSERT_FALSE(polled) << "timers after frame " << i + 1 << ": " << *polled;
  }
  EXPECT_GT(stack.frames_sent(), 0u) << "the capture was answered, so the checks saw frames";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InvariantsOverFixtures,
                         ::testing::ValuesIn(ministack::testing::pcap_names(MINISTACK_FIXTURES)),
                         [](const auto& capture) { return ministack::testing::capture_test_name(capture.param); });

}  // namespace
