#include "queues.hpp"

#include <poll.h>
#include <pthread.h>

#include <csignal>
#include <latch>
#include <thread>

namespace ministack {

namespace {

// How long the main thread sleeps between looks at its flags (a signal cuts it short), and how long it gives the
// workers to publish a snapshot: longer than a loop's wait slice (200 ms), so every worker has looked.
constexpr int kMainSleepMs = 100;
constexpr int kSnapshotWaitMs = 250;

void sleep_ms(int ms) { ::poll(nullptr, 0, ms); }

void publish(QueueWorker& worker) {
  const std::lock_guard lock(worker.mutex);
  worker.snapshot_counters = worker.stack->counters();
  worker.snapshot_io = worker.device->io_stats();
}

QueueReport merge_snapshots(const std::vector<std::unique_ptr<QueueWorker>>& workers) {
  QueueReport sum;
  for (const auto& worker : workers) {
    const std::lock_guard lock(worker->mutex);
    sum.counters += worker->snapshot_counters;
    sum.io += worker->snapshot_io;
  }
  return sum;
}

// One worker's thread: its loop until `stop`, then its last snapshot.
void work(QueueWorker& worker, const std::atomic<bool>& stop, LoopOptions options, std::latch& running) {
  options.stats_request = &worker.snapshot_request;
  options.report = [&worker](Instant) { publish(worker); };
  running.count_down();
  try {
    worker.loop = run_event_loop(*worker.device, *worker.stack, stop, options);
  } catch (const DeviceError& e) {
    worker.error = e.what();
  }
  publish(worker);
  worker.finished = true;
}

// Starts one thread per worker, with every signal but the faults blocked (the main thread takes them), and waits
// until each runs.
std::vector<std::thread> start_workers(std::vector<std::unique_ptr<QueueWorker>>& workers,
                                       const std::atomic<bool>& workers_stop, const LoopOptions& base) {
  std::latch running(static_cast<std::ptrdiff_t>(workers.size()));
  std::vector<std::thread> threads;
  sigset_t all, previous;
  sigfillset(&all);
  // Not those a fault raises in the thread itself: blocked, they would kill it without their handler's word
  // (SIGSYS names the call the seccomp filter stopped).
  for (const int fault : {SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigdelset(&all, fault);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    LoopOptions options = base;
    options.announce = base.announce && i == 0;  // one gratuitous ARP is enough
    options.log_link_changes = i == 0;
    threads.emplace_back(work, std::ref(*workers[i]), std::cref(workers_stop), options, std::ref(running));
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  running.wait();
  return threads;
}

// Logs each worker's failure, once per cause (a removed device stops every worker with the same words). Returns 1
// if any failed, else 0.
int report_failures(const std::vector<std::unique_ptr<QueueWorker>>& workers, Logger* log) {
  int status = 0;
  std::string last;
  for (const auto& worker : workers) {
    if (worker->error.empty()) continue;
    if (log && worker->error != last) log->error("{}", worker->error);
    last = worker->error;
    status = 1;
  }
  return status;
}

}  // namespace

int run_queue_workers(std::vector<std::unique_ptr<QueueWorker>>& workers, const QueueSignals& signals,
                      const LoopOptions& base, const std::function<void()>& started,
                      const std::function<void(const QueueReport&)>& report) {
  std::atomic<bool> workers_stop{false};
  std::vector<std::thread> threads = start_workers(workers, workers_stop, base);
  const auto stop_all = [&] {
    workers_stop = true;
    for (auto& thread : threads) thread.join();
  };
  try {
    started();
  } catch (...) {
    stop_all();
    throw;
  }
  for (;;) {
    bool failed = false;
    for (const auto& worker : workers) failed = failed || worker->finished;
    if (signals.stop || failed) break;
    if (signals.stats_request.exchange(false)) {
      for (const auto& worker : workers) worker->snapshot_request = true;
      sleep_ms(kSnapshotWaitMs);
      report(merge_snapshots(workers));
    }
    sleep_ms(kMainSleepMs);
  }
  stop_all();
  return report_failures(workers, base.log);
}

QueueReport merge_final(const std::vector<std::unique_ptr<QueueWorker>>& workers) {
  QueueReport sum;
  for (const auto& worker : workers) {
    sum.counters += worker->stack->counters();
    sum.io += worker->device->io_stats();
    sum.loop.transmit_errors += worker->loop.transmit_errors;
  }
  return sum;
}

}  // namespace ministack
