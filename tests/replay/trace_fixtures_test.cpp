// The trace of every fixture in pcaps/, frame by frame, tells the whole story and nothing but (trace_harness.hpp
// says what that means, and how the captures are replayed).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "packets.hpp"
#include "replay.hpp"
#include "trace_harness.hpp"

namespace trace_test {
namespace {

// ---- the project's fixtures -------------------------------------------------------------------------------------

std::vector<std::string> fixture_names() { return ministack::testing::pcap_names(fixtures_dir()); }

class FixtureTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTrace, EveryFrameToldLayerByLayer) {
  const TracedReplay replay = trace_capture((fixtures_dir() / GetParam()).string());
  ASSERT_FALSE(replay.frames.empty());
  EXPECT_TRUE(replay.timer_events.empty()) << "the timers reported something:\n"
                                           << describe_events(replay.timer_events);
  std::size_t answered = 0, dropped = 0, held = 0;
  for (const TracedFrame& f : replay.frames) {
    check_frame(replay.link, f, GetParam());
    answered += f.verdict.frames_sent > 0 ? 1 : 0;
    dropped += f.verdict.drop ? 1 : 0;
    held += !f.verdict.drop && f.verdict.frames_sent == 0 ? 1 : 0;
  }
  EXPECT_GT(answered, 0u) << "every fixture holds something ministack answers";
  std::cout << fmt::format("{}: {} frames, {} answered, {} dropped, {} held for reassembly\n", GetParam(),
                           replay.frames.size(), answered, dropped, held);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTrace, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return ministack::testing::capture_test_name(param_info.param);
                         });

TEST(FixtureTraces, ArePresent) {
  EXPECT_GE(fixture_names().size(), 10u) << "fixtures missing from " << fixtures_dir();
}

// An echo request's story in full, on both pipelines: the layers, and the reply's checksum as the trace reports it.
TEST(FixtureTraces, EchoRequestPassesLinkIpv4IcmpOut) {
  for (const char* name : {"tap_ping.pcap", "tun_ping.pcap"}) {
    const TracedReplay replay = trace_capture((fixtures_dir() / name).string());
    const auto request = std::find_if(replay.frames.begin(), replay.frames.end(), [&](const TracedFrame& f) {
      const Carried c = carried(replay.link, f.input);
      return c.ip_protocol == 1 && f.verdict.frames_sent == 1;
    });
    ASSERT_NE(request, replay.frames.end()) << name;
    std::vector<Layer> layers;
    for (const Event& e : request->events) {
      if (e.kind == Event::Kind::note && (layers.empty() || layers.back() != e.layer)) layers.push_back(e.layer);
    }
    EXPECT_EQ(layers, (std::vector<Layer>{Layer::link, Layer::ipv4, Layer::icmp, Layer::out})) << name;
    EXPECT_EQ(request->events.back().kind, Event::Kind::sent) << name;
    // The checksum the icmp layer says it wrote is the one in the reply sent.
    const std::size_t icmp_at = (replay.link == LinkLayer::ethernet ? 14 : 0) + 20;
    const std::uint16_t sent_checksum = packets::get16(request->sink.front(), icmp_at + 2);
    EXPECT_NE(request->printed.find(fmt::format("-> 0x{:04x} (RFC 1624", sent_checksum)), std::string::npos)
        << request->printed;
  }
}

}  // namespace
}  // namespace trace_test
