// Keeps what `explain --html` draws: every frame as it arrived, the trace lines each layer wrote about it, what the
// stack decided, and the frames it sent in answer. A Tracer (the stack tells it) and a LoopObserver (the loop does).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../event_loop.hpp"
#include "stack/wire/trace.hpp"

namespace ministack {

// One line of the trace: the layer that wrote it and what it said.
struct TraceLine {
  Layer layer;
  std::string text;
};

// One frame of the capture and its story; index 0 is what the stack sent on its own between frames (its timers).
struct FrameRecord {
  std::uint64_t index = 0;             // 1-based, as the capture numbers it (and the text trace)
  std::chrono::microseconds time{};    // since the Unix epoch, as pcap stores it
  std::vector<std::uint8_t> received;  // the bytes before the stack wrote an answer over them
  std::vector<TraceLine> trace;
  std::vector<DropReason> drops;  // every drop the stack reported while handling it (the verdict's among them)
  std::optional<Verdict> verdict;
  std::vector<std::vector<std::uint8_t>> sent;  // in the order sent
};

class FrameRecorder final : public Tracer, public LoopObserver {
 public:
  void frame_received(std::size_t index, Bytes frame, Received::Timestamp timestamp, Instant now) override;
  void frame_handled(std::size_t index, const Verdict& verdict) override;
  void note(Layer layer, std::string_view text) override;
  void dropped(DropReason reason) override;
  void sent(Bytes frame) override;

  const std::vector<FrameRecord>& records() const { return records_; }

 private:
  // The record that a note, a drop or a sent frame belongs to: the frame being handled, or one for the stack's own.
  FrameRecord& current();

  std::vector<FrameRecord> records_;
  bool in_frame_ = false;
};

}  // namespace ministack
