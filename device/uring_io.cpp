#include "uring_io.hpp"

#include <liburing.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "device.hpp"

namespace ministack {

namespace {

// An SQE's user_data: what it was for, and which slot.
constexpr std::uint64_t kReadTag = 1ULL << 32;
constexpr std::uint64_t kWriteTag = 2ULL << 32;
constexpr std::uint64_t kMonitorTag = 3ULL << 32;
constexpr std::uint64_t kCancelTag = 4ULL << 32;
constexpr std::uint64_t kSlotMask = 0xffffffffULL;

// Room for every read in flight, the monitor's poll and a burst of replies (44 fragments of a 65000-byte echo).
constexpr unsigned kRingEntries = 128;
// Write slots kept: replies are copied into one until the kernel has sent them.
constexpr std::size_t kWriteSlots = 64;

[[noreturn]] void unusable(const char* step, int err) {
  const char* why =
      err == ENOSYS ? " (this kernel has no io_uring)"
      : err == EPERM || err == EACCES
          ? " (io_uring is disabled here: sysctl kernel.io_uring_disabled, or a container's seccomp profile)"
          : "";
  throw DeviceError(fmt::format("io_uring unusable: {}: {}{}; use --io poll", step, std::strerror(err), why));
}

}  // namespace

UringIo::UringIo(int device_fd, int monitor_fd, std::size_t frame_capacity, std::size_t reads_in_flight)
    : ring_(std::make_unique<io_uring>()),
      device_fd_(device_fd),
      monitor_fd_(monitor_fd),
      reads_(reads_in_flight),
      completed_(reads_in_flight) {
  io_uring_params params{};
  // Disabled until restricted: no SQE runs before the restrictions are in force.
  params.flags = IORING_SETUP_R_DISABLED;
  if (const int r = io_uring_queue_init_params(kRingEntries, ring_.get(), &params); r < 0) {
    ring_.reset();
    unusable("io_uring_setup", -r);
  }
  try {
    // One io_uring_enter that waits with a timeout and no timeout SQE needs IORING_FEAT_EXT_ARG (Linux 5.11).
    if ((params.features & IORING_FEAT_EXT_ARG) == 0) unusable("waiting with a timeout", ENOSYS);
    // Only what the seccomp filter allows anyway (read, write, poll on descriptors already open), and the cancel
    // that ends them. No registered files: the ring itself would hold the device open until its deferred teardown,
    // and a ministack started right after this one would find the device busy.
    io_uring_restriction rules[5]{};
    rules[0].opcode = IORING_RESTRICTION_SQE_OP;
    rules[0].sqe_op = IORING_OP_READ;
    rules[1].opcode = IORING_RESTRICTION_SQE_OP;
    rules[1].sqe_op = IORING_OP_WRITE;
    rules[2].opcode = IORING_RESTRICTION_SQE_OP;
    rules[2].sqe_op = IORING_OP_POLL_ADD;
    rules[3].opcode = IORING_RESTRICTION_SQE_OP;
    rules[3].sqe_op = IORING_OP_ASYNC_CANCEL;
    rules[4].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
    rules[4].sqe_flags = 0;
    // Debian's liburing 2.3 declares io_uring_register_restrictions() and io_uring_enable_rings() but does not export
    // them: the generic io_uring_register() does the same.
    const auto fd = static_cast<unsigned>(ring_->ring_fd);
    if (const int r = io_uring_register(fd, IORING_REGISTER_RESTRICTIONS, rules, 5); r < 0) unusable("restricting", -r);
    if (const int r = io_uring_register(fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0); r < 0) {
      unusable("enabling the ring", -r);
    }
  } catch (...) {
    io_uring_queue_exit(ring_.get());
    throw;
  }
  for (auto& slot : reads_) slot.data.resize(frame_capacity);
  writes_.resize(kWriteSlots);
  for (std::size_t i = 0; i < reads_.size(); ++i) arm_read(i);
  arm_monitor();
  submit();
}

UringIo::~UringIo() {
  if (!ring_) return;
  // The reads in flight hold the device open: cancel them and wait for the kernel to let go, so that the device is
  // released when its descriptor is closed, not later.
  try {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, kCancelTag);
    for (int i = 0; i < 10 && !cancelled_; ++i) submit_and_wait(std::chrono::milliseconds{10});
    for (int i = 0; i < 10 && in_flight() > 0; ++i) submit_and_wait(std::chrono::milliseconds{10});
  } catch (const DeviceError&) {
    // Closing the ring cancels them too, only later.
  }
  io_uring_queue_exit(ring_.get());
}

std::size_t UringIo::in_flight() const {
  std::size_t n = reads_armed_ + (monitor_armed_ ? 1 : 0);
  for (const auto& w : writes_) n += w.busy ? 1 : 0;
  return n;
}

io_uring_sqe* UringIo::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (sqe == nullptr) {
    submit();
    sqe = io_uring_get_sqe(ring_.get());
  }
  if (sqe == nullptr) throw DeviceError("io_uring: no room in the submission queue");
  return sqe;
}

void UringIo::arm_read(std::size_t slot) {
  io_uring_sqe* sqe = next_sqe();
  auto& data = reads_[slot].data;
  io_uring_prep_read(sqe, device_fd_, data.data(), static_cast<unsigned>(data.size()), 0);
  io_uring_sqe_set_data64(sqe, kReadTag | slot);
  ++reads_armed_;
}

void UringIo::arm_monitor() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_add(sqe, monitor_fd_, POLLIN);
  io_uring_sqe_set_data64(sqe, kMonitorTag);
  monitor_armed_ = true;
}

void UringIo::complete(std::uint64_t tag, int result) {
  const std::size_t slot = tag & kSlotMask;
  switch (tag & ~kSlotMask) {
    case kReadTag:
      --reads_armed_;
      if (result == -ECANCELED) return;
      // Interrupted or not ready (the kernel retries a read by itself otherwise): read again.
      if (result == -EINTR || result == -EAGAIN) {
        arm_read(slot);
        return;
      }
      reads_[slot].result = result;
      completed_[(completed_head_ + completed_count_) % completed_.size()] = slot;
      ++completed_count_;
      return;
    case kWriteTag:
      writes_[slot].busy = false;
      if (result < 0) write_failures_.push_back({-result});
      return;
    case kMonitorTag:
      monitor_armed_ = false;
      if (result != -ECANCELED) link_event_ = true;
      return;
    case kCancelTag: cancelled_ = true; return;
    default: return;
  }
}

bool UringIo::reap() {
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(ring_.get(), head, cqe) {
    complete(io_uring_cqe_get_data64(cqe), cqe->res);
    ++seen;
  }
  io_uring_cq_advance(ring_.get(), seen);
  return completed_count_ > 0 || link_event_;
}

void UringIo::submit() {
  if (io_uring_sq_ready(ring_.get()) == 0) return;
  ++stats_.enters;
  unsubmitted_writes_ = 0;
  const int r = io_uring_submit(ring_.get());
  if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
    throw DeviceError(fmt::format("io_uring_enter: {}", std::strerror(-r)));
  }
}

bool UringIo::submit_and_wait(std::chrono::microseconds timeout) {
  __kernel_timespec ts{};
  ts.tv_sec = timeout.count() / 1'000'000;
  ts.tv_nsec = (timeout.count() % 1'000'000) * 1000;
  io_uring_cqe* cqe = nullptr;
  ++stats_.enters;
  // Writes to TUN/TAP complete as they are submitted: wait for one completion more than them, a frame or a link
  // event, or the enter would return at once and a second one would do the waiting.
  const unsigned wait_for = 1 + unsubmitted_writes_;
  unsubmitted_writes_ = 0;
  const int r = io_uring_submit_and_wait_timeout(ring_.get(), &cqe, wait_for, &ts, nullptr);
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
    throw DeviceError(fmt::format("io_uring_enter: {}", std::strerror(-r)));
  }
  return reap();
}

bool UringIo::take_link_event() {
  if (!link_event_) return false;
  link_event_ = false;
  arm_monitor();
  return true;
}

long UringIo::take_frame(MutableBytes buffer) {
  if (completed_count_ == 0) return 0;
  const std::size_t slot = completed_[completed_head_];
  completed_head_ = (completed_head_ + 1) % completed_.size();
  --completed_count_;
  const long result = reads_[slot].result;
  if (result > 0) {
    const std::size_t n = std::min({static_cast<std::size_t>(result), reads_[slot].data.size(), buffer.size()});
    std::memcpy(buffer.data(), reads_[slot].data.data(), n);
  }
  // A failed read is not armed again: the device is gone or broken, and the caller stops.
  if (result > 0) arm_read(slot);
  return result;
}

void UringIo::queue_write(Bytes frame) {
  std::size_t slot = kWriteSlots;
  for (;;) {
    for (std::size_t i = 0; i < kWriteSlots; ++i) {
      const std::size_t candidate = (next_write_ + i) % kWriteSlots;
      if (!writes_[candidate].busy) {
        slot = candidate;
        break;
      }
    }
    if (slot != kWriteSlots) break;
    // Every slot is in flight: wait for the kernel to finish one (writes to TUN/TAP complete at once).
    submit_and_wait(std::chrono::milliseconds{10});
  }
  next_write_ = (slot + 1) % kWriteSlots;
  WriteSlot& w = writes_[slot];
  // assign() keeps the vector's capacity: after the first large reply, no allocation.
  w.data.assign(frame.begin(), frame.end());
  w.busy = true;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_write(sqe, device_fd_, w.data.data(), static_cast<unsigned>(w.data.size()), 0);
  io_uring_sqe_set_data64(sqe, kWriteTag | slot);
  ++unsubmitted_writes_;
}

std::vector<UringIo::WriteFailure> UringIo::take_write_failures() {
  std::vector<WriteFailure> out;
  out.swap(write_failures_);
  return out;
}

}  // namespace ministack
