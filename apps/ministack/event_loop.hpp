// The device loop: the only place where the stack meets I/O. One buffer, reused for every frame; each reply is
// written from the same buffer it was built in.
#pragma once

#include <csignal>

#include "device/device.hpp"
#include "stack/stack.hpp"

namespace ministack {

struct LoopStats {
  std::uint64_t transmit_errors = 0;
};

// Runs until `stop` becomes non-zero (set from a signal handler) or the device has no more frames.
// With `verbose`, prints one line per frame to stderr: its reply, or the reason it was dropped.
LoopStats run_event_loop(Device& device, Stack& stack, const volatile std::sig_atomic_t& stop, bool verbose);

}  // namespace ministack
