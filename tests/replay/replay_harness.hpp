// Plays a capture through a Stack exactly as `ministack --replay` does, and keeps, for every frame, what went in
// and what came out: the material golden and real-world tests assert on.
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "device/pcap_replay.hpp"
#include "stack/stack.hpp"

namespace ministack::testing {

// The .pcap files in `dir`, by name, sorted; none if the directory is absent.
inline std::vector<std::string> pcap_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::is_directory(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".pcap") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct ReplayedFrame {
  std::size_t index = 0;  // 1-based among frames given to the stack: tcpdump's number unless cooked frames were skipped
  std::vector<std::uint8_t> input;       // the frame as the stack received it
  std::optional<DropReason> drop;        // why it was not delivered, if it was not
  std::vector<std::vector<std::uint8_t>> sent;  // every frame the stack sent while handling it
  std::vector<std::uint8_t> reply;       // the first of them (most frames get one answer or none)
};

struct Replay {
  LinkLayer link = LinkLayer::ethernet;
  std::vector<ReplayedFrame> frames;
  Counters counters;

  std::size_t reply_count() const {
    std::size_t n = 0;
    for (const auto& f : frames) n += f.reply.empty() ? 0 : 1;
    return n;
  }
};

// Throws DeviceError as the replay device does (unreadable file, unsupported link type, damage).
inline Replay replay_capture(const std::string& path, StackConfig config = {}) {
  struct Collect final : FrameSink {
    std::vector<std::vector<std::uint8_t>> frames;
    void send(Bytes frame) override { frames.emplace_back(frame.begin(), frame.end()); }
  };
  PcapReplayDevice device(path);
  config.link = device.link();
  Stack stack(config);
  Replay out;
  out.link = device.link();
  std::vector<std::uint8_t> buffer(device.receive_buffer_size());
  for (;;) {
    const Received in = device.receive(buffer, std::chrono::milliseconds{0});
    if (in.status == Received::Status::end) break;
    ReplayedFrame f;
    f.index = out.frames.size() + 1;
    f.input.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length));
    // The capture's clock is the stack's clock, as in `ministack --replay`.
    const Instant now{std::chrono::duration_cast<Duration>(in.timestamp), in.timestamp};
    Collect sink;
    const Verdict v = stack.receive(buffer, in.length, now, sink);
    f.drop = v.drop;
    f.sent = std::move(sink.frames);
    if (!f.sent.empty()) f.reply = f.sent.front();
    out.frames.push_back(std::move(f));
  }
  out.counters = stack.counters();
  return out;
}

}  // namespace ministack::testing
