// What a run of frames through a Stack leaves for the tests to read: for every frame, what went in, what the stack
// made of it and what it sent. Filled by the replay helper (replay.hpp: the real event loop over a device) and by the
// frame feeder (frame_feeder.hpp: frames at given instants, straight into Stack::receive).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/stack.hpp"

namespace ministack::testing {

using Frame = std::vector<std::uint8_t>;

struct ReplayedFrame {
  std::size_t index = 0;  // 1-based among frames given to the stack: tcpdump's number unless cooked frames were skipped
  std::chrono::microseconds timestamp{};  // the device's (a capture's: when it was recorded), or the instant's wall
  Frame input;                            // the frame as the stack received it
  Verdict verdict;                        // what Stack::receive() returned for it
  std::optional<DropReason> drop;         // verdict.drop: why it was not delivered, if it was not
  std::vector<Frame> sent;                // every frame the stack sent while handling it
  Frame reply;                            // the first of them (most frames get one answer or none)
};

struct Replay {
  LinkLayer link = LinkLayer::ethernet;
  std::vector<ReplayedFrame> frames;
  std::vector<Frame> sent_between_frames;  // sent by the timers (Stack::poll) outside any frame, in order
  Counters counters;                       // the stack's, at the end

  std::size_t reply_count() const {
    std::size_t n = 0;
    for (const auto& f : frames) n += f.reply.empty() ? 0 : 1;
    return n;
  }
};

}  // namespace ministack::testing
