// The replay helper over the real event loop (replay.hpp).
#include "replay.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <stdexcept>

#include "device/pcap_replay.hpp"

namespace ministack::testing {

namespace {

// Records every frame as the loop reports it: a frame the device is given while the stack handles frame N belongs
// to frame N; one given between frames came from the timers.
class Recorder final : public LoopObserver {
 public:
  Recorder(Replay& out, LoopObserver* next) : out_(out), next_(next) {}

  void frame_received(std::size_t index, Bytes frame, Received::Timestamp timestamp, Instant now) override {
    ReplayedFrame f;
    f.index = index;
    f.timestamp = timestamp;
    f.input.assign(frame.begin(), frame.end());
    out_.frames.push_back(std::move(f));
    in_frame_ = true;
    if (next_) next_->frame_received(index, frame, timestamp, now);
  }

  void frame_handled(std::size_t index, const Verdict& verdict) override {
    ReplayedFrame& f = out_.frames.back();
    f.verdict = verdict;
    f.drop = verdict.drop;
    if (!f.sent.empty()) f.reply = f.sent.front();
    in_frame_ = false;
    if (next_) next_->frame_handled(index, verdict);
  }

  void frame_transmitted(Bytes frame) override {
    (in_frame_ ? out_.frames.back().sent : out_.sent_between_frames).emplace_back(frame.begin(), frame.end());
    if (next_) next_->frame_transmitted(frame);
  }

 private:
  Replay& out_;
  LoopObserver* next_;
  bool in_frame_ = false;
};

}  // namespace

Replay replay_device(Device& device, const ReplayOptions& options) {
  Replay out;
  out.link = device.link();
  StackConfig config = options.config;
  config.link = out.link;
  Stack stack(config);
  if (options.tracer) stack.set_tracer(options.tracer);
  Recorder recorder(out, options.observer);
  LoopOptions loop;
  loop.trace = options.trace;
  loop.observer = &recorder;
  loop.follow_device_mtu = options.follow_device_mtu;
  const std::atomic<bool> never_stop{false};
  run_event_loop(device, stack, never_stop, loop);
  out.counters = stack.counters();
  return out;
}

Replay replay_capture(const std::string& path, const ReplayOptions& options) {
  PcapReplayDevice device(path);
  return replay_device(device, options);
}

std::vector<std::string> pcap_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::is_directory(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".pcap") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string capture_test_name(const std::string& file) {
  std::string name = file.ends_with(".pcap") ? file.substr(0, file.size() - 5) : file;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

std::vector<DeviceFrame> read_frames(Device& device, std::size_t buffer_size, std::size_t max_frames) {
  std::vector<DeviceFrame> out;
  Frame buffer(buffer_size ? buffer_size : device.receive_buffer_size());
  for (;;) {
    const Received in = device.receive(buffer, std::chrono::milliseconds{0});
    if (in.status == Received::Status::end) return out;
    if (in.status != Received::Status::frame) throw std::runtime_error("the device timed out instead of ending");
    if (in.length > buffer.size()) throw std::runtime_error("the device claims more bytes than the buffer holds");
    if (out.size() == max_frames) throw std::runtime_error("the device never reports the end");
    out.push_back({Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), in.timestamp});
  }
}

}  // namespace ministack::testing
