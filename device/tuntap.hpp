// A Linux TUN (raw IP) or TAP (Ethernet) device over /dev/net/tun, without the 4-byte packet-info header
// (IFF_NO_PI), with a LinkMonitor that follows its MTU and removal. Two ways to wait for frames:
//   poll:     a non-blocking read first, poll() only when it finds nothing: read + write per reply in a flood;
//   io_uring: one io_uring_enter submits the replies and waits for the next frame, several reads in flight.
// Either may spin for a while after a frame before it sleeps (busy-polling), so that a flood is not paced by wakeups.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "device.hpp"
#include "link_monitor.hpp"
#include "uring_io.hpp"

namespace ministack {

enum class IoMode {
  poll,
  uring,
  automatic,  // io_uring if the kernel allows it (io_stats().mode says which, fallback_reason() why not), else poll
};

struct IoOptions {
  IoMode mode = IoMode::poll;
  // After a frame, look for the next one without sleeping for up to this long (0: never spin). An idle device never
  // spins: the window opens only when a frame arrives.
  std::chrono::microseconds busy_poll{0};
  std::size_t reads_in_flight = 4;  // io_uring: reads queued at once, each with a buffer of the largest frame
  // One queue of a multi-queue device (IFF_MULTI_QUEUE): open() once per queue, with the same name.
  bool multi_queue = false;
};

class TunTapDevice final : public Device {
 public:
  // Creates the device `name`, or attaches to it if it already exists (a persistent device made with
  // `ip tuntap add`), and subscribes to its link events. Throws DeviceError with a message saying what to do (no
  // permission, no /dev/net/tun, busy). Every descriptor it will use is open when it returns.
  // With IoMode::uring, throws DeviceError if io_uring cannot be set up; IoMode::automatic then falls back to poll.
  static std::unique_ptr<TunTapDevice> open(LinkLayer link, const std::string& name, const IoOptions& io = {});
  ~TunTapDevice() override;
  TunTapDevice(const TunTapDevice&) = delete;
  TunTapDevice& operator=(const TunTapDevice&) = delete;

  // The MTU and name are the kernel's latest, as of the last receive().
  const DeviceCapabilities& capabilities() const override { return capabilities_; }
  // Also applies link events; throws DeviceError "NAME was removed" once the device is gone.
  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override;
  void transmit(Bytes frame) override;
  std::vector<std::string> take_transmit_failures() override;
  IoStats io_stats() const override;
  void flush() override;
  // Throws DeviceError "NAME is in use" if the device has more queues attached than `ours`, the ones this process
  // opened: the kernel lets anyone allowed attach more queues to a multi-queue device and split its flows.
  void ensure_only_queues(std::size_t ours) const;
  // The device's descriptor, to poll for POLLIN beside others (poll mode): a program that waits on several sources
  // (`ministack tunnel`) then calls receive() with no timeout when it is ready.
  int descriptor() const { return fd_; }
  // Why IoMode::automatic fell back to poll (empty if it did not).
  const std::string& fallback_reason() const { return fallback_reason_; }

 private:
  using Clock = std::chrono::steady_clock;
  TunTapDevice(LinkLayer link, int fd, std::unique_ptr<LinkMonitor> monitor, const IoOptions& io)
      : capabilities_{link, monitor->state().name, monitor->state().mtu, capture_link_type_for(link), false},
        fd_(fd),
        monitor_(std::move(monitor)),
        busy_poll_(io.busy_poll) {}
  Received receive_polled(MutableBytes buffer, std::chrono::milliseconds timeout);
  Received receive_ring(MutableBytes buffer, std::chrono::milliseconds timeout);
  // One non-blocking read: a frame, or a timeout when none is waiting.
  Received try_read(MutableBytes buffer);
  Received frame_of(std::size_t wire_length, std::size_t buffer_size);
  // Takes the monitor's news: MTU, name, removal (which throws).
  void follow_link();
  // While frames keep the loop from poll(), still reads the link monitor now and then.
  void follow_link_now_and_then(Clock::time_point now);
  [[noreturn]] void removed() const;
  // Throws the DeviceError for a read that failed with `err` ("NAME was removed" for EBADFD).
  [[noreturn]] void read_failed(int err) const;
  // Switches to io_uring; throws DeviceError (and stays in poll mode) if it cannot.
  void start_ring(std::size_t reads_in_flight);

  DeviceCapabilities capabilities_;
  int fd_;
  std::unique_ptr<LinkMonitor> monitor_;
  std::unique_ptr<UringIo> ring_;  // io_uring mode; null in poll mode
  // Whether to spin before sleeping: only while it pays. Each spin that finds nothing, or finds a frame only after
  // the scheduler preempted it, makes the next 1, 2, 4, ... up to kMaxSkips waits go straight to sleep; a spin that
  // finds one unhindered resets it. Pinned on the client's CPU, a spin only keeps the client from sending, and soon
  // stops; in an unpinned flood it stays on.
  bool should_speculate();
  void speculation_failed();
  // True if the scheduler took the CPU from this thread (an involuntary context switch) since the last call.
  bool preempted_since_last_look();
  long involuntary_switches_ = 0;
  static constexpr unsigned kMaxSkips = 1024;
  unsigned skips_left_ = 0;
  unsigned backoff_ = 0;
  std::chrono::microseconds busy_poll_;
  Clock::time_point last_frame_{};       // when the last frame arrived: the busy-poll window starts there
  Clock::time_point last_link_check_{};  // when the link monitor was last read or polled
  IoStats stats_;
  std::string fallback_reason_;
};

}  // namespace ministack
