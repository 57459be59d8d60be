// Frames fed straight into Stack::receive() at instants the test chooses, as the device loop feeds them: through one
// receive buffer of a fixed size, reused for every frame, a frame longer than it cut short as a device cuts it. The
// buffer is filled with garbage before each frame, so that an answer leaking bytes of an earlier frame shows. For
// the tests that need no device: the pipeline's unit tests, golden replays of one side of a capture, frames derived
// in memory. (A run through the real event loop and a device: replay.hpp.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "collecting_sink.hpp"
#include "replay_record.hpp"
#include "stack/stack.hpp"

namespace ministack::testing {

class FrameFeeder {
 public:
  static constexpr std::uint8_t kGarbage = 0xe5;  // what the receive buffer holds outside the frame

  // A fresh Stack; `buffer_size` 0 means the device loop's for the configured link and MTU (the MTU plus the 14-byte
  // Ethernet header on TAP, the bare MTU on TUN).
  explicit FrameFeeder(StackConfig config, std::size_t buffer_size = 0)
      : stack_(config), link_(config.link), buffer_(buffer_size ? buffer_size : device_buffer_size(config)) {}

  // Feeds one frame received at `now` and returns what became of it (valid until the next feed); every record is
  // also kept, in order, in frames().
  const ReplayedFrame& feed(Bytes frame, Instant now = {}) {
    std::fill(buffer_.begin(), buffer_.end(), kGarbage);
    const std::size_t length = std::min(frame.size(), buffer_.size());
    std::copy_n(frame.begin(), length, buffer_.begin());
    ReplayedFrame f;
    f.index = frames_.size() + 1;
    f.timestamp = now.wall;
    f.input.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
    CollectingSink sink;
    f.verdict = stack_.receive(buffer_, length, now, sink);
    f.drop = f.verdict.drop;
    f.sent = std::move(sink.frames);
    if (!f.sent.empty()) f.reply = f.sent.front();
    frames_.push_back(std::move(f));
    return frames_.back();
  }

  // Runs the stack's timers at `now`, as the loop does between frames; returns what they sent.
  std::vector<Frame> poll(Instant now) {
    CollectingSink sink;
    stack_.poll(now, sink);
    sent_between_frames_.insert(sent_between_frames_.end(), sink.frames.begin(), sink.frames.end());
    return std::move(sink.frames);
  }

  Stack& stack() { return stack_; }
  const Stack& stack() const { return stack_; }
  std::size_t buffer_size() const { return buffer_.size(); }
  const std::vector<ReplayedFrame>& frames() const { return frames_; }

  // Everything fed so far, as the replay helper reports a run.
  Replay replay() const { return {link_, frames_, sent_between_frames_, stack_.counters()}; }

 private:
  static std::size_t device_buffer_size(const StackConfig& config) {
    const std::size_t frame = config.mtu + (config.link == LinkLayer::ethernet ? kEthernetHeaderLength : 0);
    return std::max(frame, Stack::kMinBufferSize);
  }

  Stack stack_;
  LinkLayer link_;
  std::vector<std::uint8_t> buffer_;
  std::vector<ReplayedFrame> frames_;
  std::vector<Frame> sent_between_frames_;
};

// `frames` through a fresh stack, frame i at instants[i]: the whole run as a replay.
inline Replay feed_frames(StackConfig config, const std::vector<Frame>& frames, const std::vector<Instant>& instants,
                          std::size_t buffer_size = 0) {
  FrameFeeder feeder(config, buffer_size);
  for (std::size_t i = 0; i < frames.size(); ++i) feeder.feed(frames[i], instants.at(i));
  return feeder.replay();
}

// The instant a capture's timestamp stands for in a replay: the capture's clock is the stack's clock.
inline Instant instant_of(std::chrono::microseconds timestamp) {
  return {std::chrono::duration_cast<Duration>(timestamp), timestamp};
}

}  // namespace ministack::testing
