// The device loop: the only place where the stack meets I/O and the clock. One receive buffer, reused for every
// frame; answers built in it are written from where they lie.
#pragma once

#include <atomic>
#include <functional>

#include "device/device.hpp"
#include "log.hpp"
#include "stack/stack.hpp"
#include "trace_printer.hpp"

namespace ministack {

// Told of every frame the loop hands to the stack and of every frame it hands to the device: what a test sees of a
// run through the real loop (tests/support/replay.hpp). Every method does nothing unless overridden.
class LoopObserver {
 public:
  virtual ~LoopObserver() = default;
  // Frame `index` (1-based, as the trace numbers it) arrived: its bytes before the stack writes an answer over them,
  // the device's timestamp for it, and the stack's time.
  virtual void frame_received(std::size_t /*index*/, Bytes /*frame*/, Received::Timestamp /*timestamp*/,
                              Instant /*now*/) {}
  // The stack is done with frame `index`: what it made of it.
  virtual void frame_handled(std::size_t /*index*/, const Verdict& /*verdict*/) {}
  // The device took a frame the stack sent: an answer to the frame being handled, or, between frames, one from the
  // timers or the announcement. A frame the device refused is counted in LoopStats instead.
  virtual void frame_transmitted(Bytes /*frame*/) {}
};

struct LoopStats {
  std::uint64_t transmit_errors = 0;
};

struct LoopOptions {
  Logger* log = nullptr;          // errors; at debug level, one line per frame: what was sent, or why dropped
  bool announce = false;          // a gratuitous ARP before the first frame (live TAP)
  TracePrinter* trace = nullptr;  // heads each frame's trace (the stack itself reports to it)
  // Set from a signal handler (SIGUSR1) or another thread to ask for `report`; the loop clears it and calls `report`
  // with the stack's time (the neighbor cache's ages are measured on it).
  std::atomic<bool>* stats_request = nullptr;
  std::function<void(Instant)> report;
  LoopObserver* observer = nullptr;  // told of every frame received and transmitted (the tests)
  // Fragment to the device's MTU as it is now: when the device reports a new one (the host ran `ip link set DEV mtu
  // N`), the stack takes it (Stack::set_mtu) before the next frame. False when the user fixed the MTU (--mtu).
  bool follow_device_mtu = false;
  bool log_link_changes = true;  // false for all but one worker of --queues N: the news is the same for all
};

// Runs until `stop` becomes true (set from a signal handler or another thread) or the device has no more frames. Throws
// DeviceError when the device fails or is removed. After it starts, it makes no system call of its own: those are the
// device's (poll, read, write, recvmsg and sendto on descriptors opened before) and the clocks' (clock_gettime).
LoopStats run_event_loop(Device& device, Stack& stack, const std::atomic<bool>& stop, LoopOptions options);

}  // namespace ministack
