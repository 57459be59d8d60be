// The device loop: the only place where the stack meets I/O and the clock. One receive buffer, reused for every
// frame; answers built in it are written from where they lie.
#pragma once

#include <csignal>

#include "device/device.hpp"
#include "stack/stack.hpp"

namespace ministack {

struct LoopStats {
  std::uint64_t transmit_errors = 0;
};

struct LoopOptions {
  bool verbose = false;   // one line per frame on stderr: what was sent, or why it was dropped
  bool announce = false;  // a gratuitous ARP before the first frame (live TAP)
};

// Runs until `stop` becomes non-zero (set from a signal handler) or the device has no more frames.
LoopStats run_event_loop(Device& device, Stack& stack, const volatile std::sig_atomic_t& stop, LoopOptions options);

}  // namespace ministack
