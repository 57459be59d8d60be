#include "event_loop.hpp"

#include <chrono>
#include <vector>

#include <fmt/format.h>

namespace ministack {

namespace {
// How long one wait may last before the loop looks at `stop` again: the bound on how late Ctrl-C is noticed if it
// arrives just before poll() starts.
constexpr std::chrono::milliseconds kWaitSlice{200};
}  // namespace

LoopStats run_event_loop(Device& device, Stack& stack, const volatile std::sig_atomic_t& stop, bool verbose) {
  LoopStats stats;
  std::vector<std::uint8_t> buffer(device.receive_buffer_size());
  while (!stop) {
    const Received in = device.receive(buffer, kWaitSlice);
    if (in.status == Received::Status::end) break;
    if (in.status == Received::Status::timeout) continue;

    const Verdict verdict = stack.receive(buffer, in.length);
    if (verdict.reply_length > 0) {
      try {
        device.transmit(Bytes{buffer.data(), verdict.reply_length});
      } catch (const DeviceError& e) {
        // One lost reply is not a reason to stop answering the next request.
        ++stats.transmit_errors;
        fmt::print(stderr, "ministack: {}\n", e.what());
      }
    }
    if (verbose) {
      if (verdict.drop) {
        const auto info = describe(*verdict.drop);
        fmt::print(stderr, "rx {:4} B  dropped: {} ({}; {})\n", in.length, info.name, info.meaning, info.rule);
      } else {
        fmt::print(stderr, "rx {:4} B  reply {} B\n", in.length, verdict.reply_length);
      }
    }
  }
  return stats;
}

}  // namespace ministack
