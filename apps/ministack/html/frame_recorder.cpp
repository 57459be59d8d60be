#include "frame_recorder.hpp"

namespace ministack {

void FrameRecorder::frame_received(std::size_t index, Bytes frame, Received::Timestamp timestamp, Instant /*now*/) {
  FrameRecord record;
  record.index = index;
  record.time = timestamp;
  record.received.assign(frame.begin(), frame.end());
  records_.push_back(std::move(record));
  in_frame_ = true;
}

void FrameRecorder::frame_handled(std::size_t /*index*/, const Verdict& verdict) {
  if (!records_.empty()) records_.back().verdict = verdict;
  in_frame_ = false;
}

FrameRecord& FrameRecorder::current() {
  if (!in_frame_ && (records_.empty() || records_.back().index != 0 || records_.back().verdict)) {
    records_.push_back(FrameRecord{});
    if (records_.size() > 1) records_.back().time = records_[records_.size() - 2].time;
  }
  return records_.back();
}

void FrameRecorder::note(Layer layer, std::string_view text) { current().trace.push_back({layer, std::string(text)}); }

void FrameRecorder::dropped(DropReason reason) { current().drops.push_back(reason); }

void FrameRecorder::sent(Bytes frame) { current().sent.emplace_back(frame.begin(), frame.end()); }

}  // namespace ministack
