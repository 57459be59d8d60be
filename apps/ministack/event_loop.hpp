// The device loop: the only place where the stack meets I/O and the clock. One receive buffer, reused for every
// frame; answers built in it are written from where they lie.
#pragma once

#include <csignal>
#include <functional>

#include "device/device.hpp"
#include "log.hpp"
#include "stack/stack.hpp"
#include "trace_printer.hpp"

namespace ministack {

struct LoopStats {
  std::uint64_t transmit_errors = 0;
};

struct LoopOptions {
  Logger* log = nullptr;          // errors; at debug level, one line per frame: what was sent, or why dropped
  bool announce = false;          // a gratuitous ARP before the first frame (live TAP)
  TracePrinter* trace = nullptr;  // heads each frame's trace (the stack itself reports to it)
  // Set from a signal handler (SIGUSR1) to ask for `report`; the loop clears it and calls `report`.
  volatile std::sig_atomic_t* stats_request = nullptr;
  std::function<void()> report;
};

// Runs until `stop` becomes non-zero (set from a signal handler) or the device has no more frames.
LoopStats run_event_loop(Device& device, Stack& stack, const volatile std::sig_atomic_t& stop, LoopOptions options);

}  // namespace ministack
