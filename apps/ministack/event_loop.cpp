#include "event_loop.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "frame_summary.hpp"

namespace ministack {

namespace {

// How long one wait may last before the loop looks at `stop` again: the bound on how late Ctrl-C is noticed if it
// arrives just before poll() starts. Also how often the stack's timers run while the link is quiet.
constexpr std::chrono::milliseconds kWaitSlice{200};
constexpr Duration kTimerInterval{100};

// Hands what the stack sends to the device. One lost frame is not a reason to stop answering the next one.
class DeviceSink final : public FrameSink {
 public:
  DeviceSink(Device& device, LoopStats& stats, Logger* log, LoopObserver* observer)
      : device_(device), stats_(stats), log_(log), observer_(observer) {}
  void send(Bytes frame) override {
    try {
      device_.transmit(frame);
    } catch (const DeviceError& e) {
      ++stats_.transmit_errors;
      if (log_) log_->error("{}", e.what());
      return;
    }
    if (observer_) observer_->frame_transmitted(frame);
  }

 private:
  Device& device_;
  LoopStats& stats_;
  Logger* log_;
  LoopObserver* observer_;
};

// Replies an asynchronous device took earlier but could not send: counted as if transmit() had refused them.
void count_late_failures(Device& device, LoopStats& stats, Logger* log) {
  for (const std::string& failure : device.take_transmit_failures()) {
    ++stats.transmit_errors;
    if (log) log->error("{}", failure);
  }
}

// At debug level, one line per frame: when, who asked what (`summary`, read before the stack answered over the
// frame), and what became of it.
void log_verdict(Logger& log, const Received& in, const std::string& summary, const Verdict& verdict) {
  const std::size_t length = in.cut() ? in.wire_length : in.length;
  const std::string head = fmt::format("{} {}, {} B", time_of_day(in.timestamp), summary, length);
  switch (verdict.outcome) {
    case Outcome::dropped: {
      const auto info = describe(*verdict.drop);
      log.debug("{}: dropped as {} ({}; {}){}", head, info.name, info.meaning, info.rule,
                verdict.frames_sent ? fmt::format(", {} sent", plural(verdict.frames_sent, "frame")) : "");
      break;
    }
    case Outcome::held: log.debug("{}: held (a fragment waiting for the rest of its datagram)", head); break;
    case Outcome::absorbed: log.debug("{}: absorbed (taken into the stack's state, nothing to send)", head); break;
    case Outcome::answered: log.debug("{}: answered ({})", head, plural(verdict.frames_sent, "frame")); break;
  }
}

// Hands the device's MTU to the stack if it changed since `followed` (the host ran `ip link set DEV mtu N`).
void follow_device_mtu(const Device& device, Stack& stack, std::size_t& followed, Logger* log) {
  if (device.mtu() == followed) return;
  followed = device.mtu();
  const std::size_t in_force = stack.set_mtu(followed);
  if (log) log->info("{}: MTU now {}, replies fragmented to {}", device.name(), followed, in_force);
}

// Hands each frame to the stack and tells the observer, the trace and the log about it.
struct FrameHandler {
  Stack& stack;
  FrameSink& sink;
  const LoopOptions& options;

  // Frame `index` (1-based), as `in` describes it in `buffer`, received at `now`.
  void handle(std::uint64_t index, const Received& in, MutableBytes buffer, Instant now) const {
    if (options.observer) options.observer->frame_received(index, Bytes{buffer}.first(in.length), in.timestamp, now);
    if (options.trace) options.trace->begin_frame(index, in.length, in.timestamp);
    const bool logged = options.log && options.log->enabled(LogLevel::debug);
    const std::string summary = logged ? frame_summary(stack.config().link, Bytes{buffer}.first(in.length))
                                       : std::string{};
    // A frame the buffer could not hold is dropped whole: its first bytes are no datagram.
    const Verdict verdict = in.cut() ? stack.receive_too_long(in.wire_length, now, sink)
                                     : stack.receive(buffer, in.length, now, sink);
    if (logged) log_verdict(*options.log, in, summary, verdict);
    if (options.observer) options.observer->frame_handled(index, verdict);
  }
};

}  // namespace

LoopStats run_event_loop(Device& device, Stack& stack, const std::atomic<bool>& stop, LoopOptions options) {
  LoopStats stats;
  DeviceSink sink(device, stats, options.log, options.observer);
  std::vector<std::uint8_t> buffer(device.receive_buffer_size());
  const auto origin = std::chrono::steady_clock::now();
  // Live, timers follow the monotonic clock; in a replay they follow the capture, so its outcome is its own.
  const bool replay = device.replays_time();
  const auto instant = [&](const Received* in) {
    const auto wall =
        in ? in->timestamp
           : std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
    if (replay) return Instant{std::chrono::duration_cast<Duration>(wall), wall};
    return Instant{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - origin), wall};
  };

  if (options.announce) {
    if (options.trace) options.trace->begin_event("start: announcing our address (gratuitous ARP, RFC 5227 §2.3)");
    stack.announce(sink);
  }
  std::uint64_t frames = 0;
  const FrameHandler handler{stack, sink, options};
  // When the timers last ran. Live, the clock starts now; a replay's clock is the capture's, which starts at its
  // first frame (today's date, whether before or after the capture's, says nothing about it).
  std::optional<Instant> last_timers;
  if (!replay) last_timers = instant(nullptr);
  // The device's MTU when the stack last took it (the stack may clamp it: compare with the device's own value).
  std::size_t followed_mtu = device.mtu();
  if (options.follow_device_mtu) stack.set_mtu(followed_mtu);
  while (!stop) {
    if (options.stats_request && options.stats_request->exchange(false)) {
      if (options.report) options.report(instant(nullptr));
    }
    // A TCP timer due sooner than the wait slice shortens the wait, so retransmissions and delayed ACKs are on time.
    const std::optional<Instant> deadline = stack.next_deadline();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kWaitSlice);
    if (deadline && !replay) wait = std::clamp(*deadline - instant(nullptr), Duration{0}, wait);
    const Received in = device.receive(buffer, wait);
    count_late_failures(device, stats, options.log);
    if (in.status == Received::Status::end) break;
    if (options.follow_device_mtu) {
      follow_device_mtu(device, stack, followed_mtu, options.log_link_changes ? options.log : nullptr);
    }
    const Instant now = in.status == Received::Status::frame ? instant(&in) : instant(nullptr);
    const bool due = (last_timers && now - *last_timers >= kTimerInterval) || (deadline && now >= *deadline);
    if (last_timers ? due : in.status == Received::Status::frame) {
      stack.poll(now, sink);
      last_timers = now;
    }
    if (in.status != Received::Status::frame) continue;

    // A filtered capture numbers its frames as the file does; otherwise they are counted here.
    handler.handle(in.number != 0 ? in.number : ++frames, in, buffer, now);
  }
  device.flush();
  count_late_failures(device, stats, options.log);
  return stats;
}

}  // namespace ministack
