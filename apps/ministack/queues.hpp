// --queues N: one worker thread per queue of a multi-queue TUN/TAP device (IFF_MULTI_QUEUE), each with its own
// stack and loop, sharing nothing on the fast path (the kernel steers each flow to one queue). Counters are merged
// only when reported.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "event_loop.hpp"
#include "stack/stack.hpp"

namespace ministack {

struct QueueWorker {
  std::unique_ptr<Device> device;
  std::unique_ptr<Stack> stack;
  LoopStats loop;     // when the thread has ended
  std::string error;  // why its loop stopped, if it failed
  std::atomic<bool> snapshot_request{false};
  std::atomic<bool> finished{false};
  std::mutex mutex;  // guards the snapshot, written by the worker and read by the main thread
  Counters snapshot_counters;
  IoStats snapshot_io;
};

// Every worker's counters, system calls and send errors, summed.
struct QueueReport {
  Counters counters;
  IoStats io;
  LoopStats loop;
};

// What the signal handlers set: stop (SIGINT, SIGTERM, SIGHUP) and a report of the counters (SIGUSR1).
struct QueueSignals {
  const std::atomic<bool>& stop;
  std::atomic<bool>& stats_request;
};

// Runs each worker's loop (with `base` options; only the first worker announces and logs link changes) on a thread
// of its own, with the signals blocked there, and calls `started` once every thread runs (to forbid starting threads
// again). The calling thread then waits: on `signals.stop`, or when a worker fails, it stops every worker and joins
// them; on `signals.stats_request` it asks each worker for a snapshot, waits one wait slice for them, and calls
// `report` with their sum. Returns 0, or 1 when a worker failed (its error logged once to base.log).
int run_queue_workers(std::vector<std::unique_ptr<QueueWorker>>& workers, const QueueSignals& signals,
                      const LoopOptions& base, const std::function<void()>& started,
                      const std::function<void(const QueueReport&)>& report);

// The sum of the workers' final counters: call it once they are joined.
QueueReport merge_final(const std::vector<std::unique_ptr<QueueWorker>>& workers);

}  // namespace ministack
