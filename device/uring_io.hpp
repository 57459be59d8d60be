// io_uring for a TUN/TAP device (liburing): one io_uring_enter both submits the replies queued since the last wait
// and waits for the next frame, and several reads stay in flight so that a burst is taken in one go. The ring may
// only read, write and poll (IORING_REGISTER_RESTRICTIONS), which the seccomp filter allows anyway, so it gives the
// confined process no way around its filter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stack/wire/bytes.hpp"

struct io_uring;
struct io_uring_sqe;

namespace ministack {

class UringIo {
 public:
  // How often the ring entered the kernel.
  struct Stats {
    std::uint64_t enters = 0;  // io_uring_enter calls: the only system calls the ring makes
  };
  // A write that failed after transmit() returned: its error (an errno value).
  struct WriteFailure {
    int error = 0;
  };

  // Sets up a ring on the (blocking) device descriptor `device_fd` and the link monitor's `monitor_fd`, with
  // `reads_in_flight` reads of `frame_capacity` bytes each. Throws DeviceError saying why io_uring is unusable
  // (ENOSYS: kernel without it; EPERM: disabled by sysctl kernel.io_uring_disabled or a seccomp profile).
  UringIo(int device_fd, int monitor_fd, std::size_t frame_capacity, std::size_t reads_in_flight);
  ~UringIo();
  UringIo(const UringIo&) = delete;
  UringIo& operator=(const UringIo&) = delete;

  // Takes in whatever the kernel has completed, without a system call. Returns true if a frame or a link event is
  // ready.
  bool reap();
  // Submits what is queued and waits up to `timeout` for a completion (one io_uring_enter). Returns false when the
  // wait timed out or a signal interrupted it.
  bool submit_and_wait(std::chrono::microseconds timeout);
  // Submits what is queued without waiting, if anything is (one io_uring_enter).
  void submit();

  // True once the link monitor's socket was found readable; clears it and polls the socket again.
  bool take_link_event();
  // The oldest frame read: copies it into `buffer` (at most buffer.size() bytes) and reads into its slot again.
  // Returns the frame's whole length as the kernel reported it (longer than the buffer if it was cut), 0 when no
  // frame is ready, or a negative errno the read failed with (-EBADFD: the device was removed).
  long take_frame(MutableBytes buffer);
  // Copies `frame` and queues its write, sent by the next submit. Waits for a free slot if every one is in flight.
  void queue_write(Bytes frame);
  // Writes that failed since the last call.
  std::vector<WriteFailure> take_write_failures();

  const Stats& stats() const { return stats_; }

 private:
  struct ReadSlot {
    std::vector<std::uint8_t> data;
    long result = 0;  // the completed read's result, kept until take_frame
  };
  struct WriteSlot {
    std::vector<std::uint8_t> data;
    bool busy = false;
  };
  void arm_read(std::size_t slot);
  void arm_monitor();
  void complete(std::uint64_t tag, int result);
  // An SQE, submitting what is queued first if the submission queue is full.
  io_uring_sqe* next_sqe();
  // Requests the kernel still holds: reads, the monitor's poll, writes.
  std::size_t in_flight() const;

  std::unique_ptr<io_uring> ring_;
  int device_fd_;
  int monitor_fd_;
  std::size_t reads_armed_ = 0;
  bool monitor_armed_ = false;
  bool cancelled_ = false;  // the cancel at teardown has completed
  std::vector<ReadSlot> reads_;
  // Slots holding a frame, oldest first: a fixed ring of slot numbers (no allocation per frame).
  std::vector<std::size_t> completed_;
  std::size_t completed_head_ = 0;
  std::size_t completed_count_ = 0;
  std::vector<WriteSlot> writes_;
  std::vector<WriteFailure> write_failures_;
  std::size_t next_write_ = 0;
  unsigned unsubmitted_writes_ = 0;  // writes queued since the last submit
  bool link_event_ = false;
  Stats stats_;
};

}  // namespace ministack
