// The event loop as the tests see it (apps/ministack/event_loop.hpp, through tests/support/replay.hpp): every frame
// reported with the bytes that arrived, before the stack wrote its answer over them, every frame the device was
// given put with the frame that caused it, and the stack's timers run on the loop's cadence.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "apps/ministack/event_loop.hpp"
#include "device/pcap_writer.hpp"
#include "device/queue_device.hpp"
#include "packets.hpp"
#include "replay.hpp"
#include "temp_files.hpp"

namespace {

using ministack::DropReason;
using ministack::LinkLayer;
using ministack::QueueDevice;
using ministack::testing::Replay;
using ministack::testing::replay_capture;
using ministack::testing::replay_device;
using packets::Frame;

TEST(EventLoop, ReportsEveryFrameAsItArrivedAndWhatTheDeviceWasGivenForIt) {
  QueueDevice device(LinkLayer::ethernet);
  const std::vector<Frame> in = {
      packets::arp_frame(),                                                     // answered
      packets::echo_request_frame(),                                            // answered in the same buffer
      packets::echo_request_frame({}, {}, {.destination = packets::kPeerMac}),  // not for us
      packets::pad_to(packets::echo_request_frame(), 70000),  // longer than any frame: cut by the device
  };
  for (const Frame& f : in) device.inject(f);
  const Replay replay = replay_device(device);

  ASSERT_EQ(replay.frames.size(), in.size());
  EXPECT_EQ(replay.link, LinkLayer::ethernet);
  for (std::size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    EXPECT_EQ(replay.frames[i].index, i + 1);
    EXPECT_EQ(replay.frames[i].verdict.frames_sent, replay.frames[i].sent.size());
    EXPECT_EQ(replay.frames[i].drop, replay.frames[i].verdict.drop);
  }
  EXPECT_EQ(replay.frames[0].input, in[0]);
  EXPECT_EQ(replay.frames[1].input, in[1]) << "the request, not the reply the stack wrote over it";
  EXPECT_EQ(replay.frames[2].input, in[2]);
  EXPECT_EQ(replay.frames[3].input, Frame(in[3].begin(), in[3].begin() + 65535 + 14))
      << "as the device's buffer cut it";

  ASSERT_EQ(replay.frames[0].sent.size(), 1u);
  EXPECT_EQ(packets::get16(replay.frames[0].reply, 20), 2) << "an ARP reply";
  ASSERT_EQ(replay.frames[1].sent.size(), 1u);
  EXPECT_EQ(replay.frames[1].reply[14 + 20], 0) << "an echo reply";
  EXPECT_EQ(replay.frames[2].drop, DropReason::eth_not_for_us);
  EXPECT_TRUE(replay.frames[2].sent.empty());
  EXPECT_EQ(replay.frames[3].drop, DropReason::frame_too_long) << "not ip_truncated: the sender is not to blame";

  // Everything the device was given is put with the frame that caused it, in order.
  std::vector<Frame> attributed;
  for (const auto& f : replay.frames) attributed.insert(attributed.end(), f.sent.begin(), f.sent.end());
  EXPECT_EQ(attributed, device.sent());
  EXPECT_TRUE(replay.sent_between_frames.empty());
  EXPECT_EQ(replay.counters.frames_received(), in.size());
}

// An asynchronous device, as --io uring is: transmit() only queues a frame, every second write fails after the fact,
// and flush() sends what is still queued.
class AsyncDevice final : public ministack::Device {
 public:
  QueueDevice inner{LinkLayer::ethernet, 1500, "async0"};
  std::vector<Frame> queued, flushed;
  int transmits = 0;

  const ministack::DeviceCapabilities& capabilities() const override { return inner.capabilities(); }
  ministack::Received receive(ministack::MutableBytes buffer, std::chrono::milliseconds timeout) override {
    return inner.receive(buffer, timeout);
  }
  void transmit(ministack::Bytes frame) override {
    queued.emplace_back(frame.begin(), frame.end());
    if (++transmits % 2 == 0) failures_.push_back(fmt::format("write to async0: failure {}", transmits / 2));
  }
  std::vector<std::string> take_transmit_failures() override { return std::exchange(failures_, {}); }
  void flush() override {
    flushed.insert(flushed.end(), queued.begin(), queued.end());
    queued.clear();
  }

 private:
  std::vector<std::string> failures_;
};

TEST(EventLoop, CountsWritesThatFailAfterTransmitAndFlushesWhatIsQueuedWhenItStops) {
  AsyncDevice device;
  for (int i = 0; i < 5; ++i) device.inner.inject(packets::echo_request_frame());
  ministack::StackConfig config;
  ministack::Stack stack(config);
  const std::atomic<bool> stop{false};
  const ministack::LoopStats stats = ministack::run_event_loop(device, stack, stop, {});
  // Five replies, the second and fourth failing late: each failure counted once, none lost at the end.
  EXPECT_EQ(device.transmits, 5);
  EXPECT_EQ(stats.transmit_errors, 2u);
  EXPECT_TRUE(device.queued.empty()) << "the loop ended without flushing the device";
  EXPECT_EQ(device.flushed.size(), 5u);
}

// A replay's timers follow the capture's clock from its first frame, whatever the date it is replayed on: a fragment
// held, and 31 s later (by the capture) a frame that is no fragment, so that only Stack::poll() can expire it.
TEST(EventLoop, ReplayRunsTheTimersOnTheCapturesClock) {
  const ministack::testing::TempDir dir("ministack-loop-test");
  for (const std::chrono::seconds start : {std::chrono::seconds{1'000'000'000}, std::chrono::seconds{2'100'000'000}}) {
    SCOPED_TRACE(fmt::format("capture starting {} s after the epoch", start.count()));
    const std::string path = dir.file(fmt::format("held-{}.pcap", start.count()));
    const Frame fragment =
        packets::fragments(packets::echo_request({.data = packets::pattern(3000)}, {.flags_fragment = 0}), 1480)[0];
    {
      ministack::PcapWriter writer(path, ministack::kDltEthernet);
      writer.write(packets::ethernet({}, fragment), start);
      writer.write(packets::echo_request_frame(), start + std::chrono::seconds{31});
    }
    const Replay replay = replay_capture(path);
    ASSERT_EQ(replay.frames.size(), 2u);
    EXPECT_FALSE(replay.frames[0].drop) << "held";
    EXPECT_EQ(replay.frames[1].sent.size(), 1u);
    EXPECT_EQ(replay.counters.get(DropReason::reasm_timeout), 1u) << "the held datagram expired by the timers";
  }
}

}  // namespace
