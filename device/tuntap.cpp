#include "tuntap.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

namespace ministack {

namespace {

constexpr const char* kCloneDevice = "/dev/net/tun";

// The binary's real path, when `setcap` on it could work: file capabilities are ignored on a nosuid mount.
std::optional<std::string> setcap_target() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  struct statvfs fs {};
  if (::statvfs(exe.c_str(), &fs) != 0 || (fs.f_flag & ST_NOSUID) != 0) return std::nullopt;
  return exe.string();
}

std::string user_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : std::to_string(::geteuid());
}

// EACCES from open(): the node's mode keeps this user out. EPERM: something else (a device cgroup, a security
// module) forbids it. Neither is about CAP_NET_ADMIN.
std::string open_denied(int err) {
  if (err == EPERM) {
    return fmt::format("{} may not be opened here (a device cgroup or security module forbids it): in a container, "
                       "pass the device in (docker run --device /dev/net/tun --cap-add NET_ADMIN)",
                       kCloneDevice);
  }
  struct stat st {};
  const std::string mode = ::stat(kCloneDevice, &st) == 0 ? fmt::format(" (mode {:04o}, owner uid {}, group gid {})",
                                                                        st.st_mode & 07777, st.st_uid, st.st_gid)
                                                          : "";
  return fmt::format("{} cannot be opened by {}: permission denied by the node's mode{}. Run ministack as root "
                     "(sudo), or have root make the node usable by all, as Debian does by default: "
                     "'chmod 0666 {}' (the kernel still checks who may create or attach each device)",
                     kCloneDevice, user_name(), mode, kCloneDevice);
}

// EPERM from TUNSETIFF: creating a device needs CAP_NET_ADMIN; attaching one needs it too unless the device is
// persistent and owned by this user or group (Documentation/networking/tuntap.rst).
std::string attach_denied(LinkLayer link, const std::string& name) {
  const char* kind = link == LinkLayer::ethernet ? "tap" : "tun";
  std::string why;
  // The kernel lets anyone attach a persistent device with neither owner nor group (tun_not_capable()).
  std::ifstream owner_file(fmt::format("/sys/class/net/{}/owner", name));
  std::ifstream group_file(fmt::format("/sys/class/net/{}/group", name));
  long owner = -1, group = -1;
  if (owner_file >> owner) {
    group_file >> group;
    why = owner >= 0
              ? fmt::format("'{}' exists and belongs to uid {}, not to {} (uid {})", name, owner, user_name(),
                            ::geteuid())
              : fmt::format("'{}' exists and belongs to group gid {}, which {} is not in", name, group, user_name());
  } else {
    why = fmt::format("creating '{}' needs CAP_NET_ADMIN", name);
  }
  std::string advice =
      fmt::format("{}. Run ministack as root (sudo); or have root create a persistent device that you own, once: "
                  "'ip tuntap add dev {} mode {} user {}'",
                  why, name, kind, user_name());
  if (const auto exe = setcap_target()) {
    advice += fmt::format("; or give this binary the capability: 'sudo setcap cap_net_admin+ep {}'", *exe);
  }
  return advice;
}

[[noreturn]] void fail_open(int err) {
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      throw DeviceError(fmt::format(
          "{} is missing: load the tun driver with 'sudo modprobe tun' (in a container, pass the device in, "
          "e.g. docker run --device /dev/net/tun --cap-add NET_ADMIN)",
          kCloneDevice));
    case EACCES:
    case EPERM: throw DeviceError(open_denied(err));
    default: throw DeviceError(fmt::format("cannot open {}: {}", kCloneDevice, std::strerror(err)));
  }
}

// The one message for a device another process holds: EBUSY on a single-queue device, queues of a multi-queue one.
[[noreturn]] void throw_in_use(LinkLayer link, const std::string& name, const std::string& how) {
  throw DeviceError(fmt::format("'{}' is in use: {}. Stop that process or choose another name with --{} NAME", name,
                                how, link == LinkLayer::ethernet ? "tap" : "tun"));
}

// EINVAL from TUNSETIFF: the device exists with other flags. Its tun_flags (sysfs) say which.
std::string wrong_kind(LinkLayer link, const std::string& name, bool multi_queue) {
  const char* kind = link == LinkLayer::ethernet ? "TAP" : "TUN";
  const std::string remedy =
      fmt::format("choose another name, or delete it first with 'sudo ip link delete {}' if it is yours", name);
  std::ifstream flags_file(fmt::format("/sys/class/net/{}/tun_flags", name));
  unsigned flags = 0;
  if (!(flags_file >> std::hex >> flags)) {
    return fmt::format("'{}' exists but is not a {} device (or cannot be one): {}", name, kind, remedy);
  }
  const char* actual = (flags & IFF_TAP) ? "TAP" : "TUN";
  const bool is_tap = (flags & IFF_TAP) != 0;
  if (is_tap != (link == LinkLayer::ethernet)) {
    return fmt::format("'{}' exists but is not a {} device (it is a {} device): {}", name, kind, actual, remedy);
  }
  if ((flags & IFF_MULTI_QUEUE) && !multi_queue) {
    return fmt::format("'{}' is a multi-queue {} device: open it with --queues N, or {}", name, kind, remedy);
  }
  if (!(flags & IFF_MULTI_QUEUE) && multi_queue) {
    return fmt::format(
        "'{}' exists but is not a multi-queue {} device (it has one queue): use --queues 1, or have root make a "
        "multi-queue one ('ip tuntap add dev {} mode {} multi_queue'), or {}",
        name, kind, name, is_tap ? "tap" : "tun", remedy);
  }
  return fmt::format("'{}' exists but cannot be attached as a {} device: {}", name, kind, remedy);
}

[[noreturn]] void fail_attach(int err, LinkLayer link, const std::string& name, bool multi_queue) {
  const char* kind = link == LinkLayer::ethernet ? "TAP" : "TUN";
  switch (err) {
    case EPERM:
    case EACCES: throw DeviceError(attach_denied(link, name));
    case EBUSY: throw_in_use(link, name, "another process has it open");
    case EINVAL: throw DeviceError(wrong_kind(link, name, multi_queue));
    default: throw DeviceError(fmt::format("cannot attach {} device '{}': {}", kind, name, std::strerror(err)));
  }
}

// The one message for a device that went away, whether found at open, while running or by a write in flight.
std::string removed_message(const std::string& name) { return fmt::format("{} was removed", name); }
[[noreturn]] void throw_removed(const std::string& name) { throw DeviceError(removed_message(name)); }

}  // namespace

std::unique_ptr<TunTapDevice> TunTapDevice::open(LinkLayer link, const std::string& name, const IoOptions& io) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    throw DeviceError(fmt::format("'{}' is not a usable interface name: use 1 to {} characters", name, IFNAMSIZ - 1));
  }
  const int fd = ::open(kCloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail_open(errno);

  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size());
  // IFF_NO_PI: frames start at the Ethernet or IP header, with no 4-byte packet-info prefix.
  req.ifr_flags = static_cast<short>((link == LinkLayer::ethernet ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                     (io.multi_queue ? IFF_MULTI_QUEUE : 0));
  if (::ioctl(fd, TUNSETIFF, &req) < 0) {
    const int err = errno;
    ::close(fd);
    fail_attach(err, link, name, io.multi_queue);
  }
  const std::string actual(req.ifr_name);
  std::unique_ptr<LinkMonitor> monitor;
  try {
    monitor = std::make_unique<LinkMonitor>(actual);
    if (monitor->state().removed) throw_removed(actual);
  } catch (...) {
    ::close(fd);
    throw;
  }
  // From here the device owns fd and closes it, also when setting up the ring fails.
  std::unique_ptr<TunTapDevice> device(new TunTapDevice(link, fd, std::move(monitor), io));
  device->stats_.mode = "poll";
  const std::size_t reads = std::max<std::size_t>(io.reads_in_flight, 1);
  if (io.mode == IoMode::uring) device->start_ring(reads);
  if (io.mode == IoMode::automatic) {
    try {
      device->start_ring(reads);
    } catch (const DeviceError& e) {
      device->fallback_reason_ = e.what();
    }
  }
  return device;
}

void TunTapDevice::start_ring(std::size_t reads_in_flight) {
  // The ring's reads wait in the kernel: on a non-blocking file they could complete at once with EAGAIN.
  if (::fcntl(fd_, F_SETFL, O_RDWR) < 0) throw DeviceError(fmt::format("fcntl: {}", std::strerror(errno)));
  try {
    ring_ = std::make_unique<UringIo>(fd_, monitor_->fd(), max_frame_length(capabilities_.link), reads_in_flight);
  } catch (...) {
    ::fcntl(fd_, F_SETFL, O_RDWR | O_NONBLOCK);
    throw;
  }
  stats_.mode = "io_uring";
}

void TunTapDevice::removed() const { throw_removed(capabilities_.name); }

void TunTapDevice::read_failed(int err) const {
  // EBADFD: the file is no longer attached to a device, which happens when the device is deleted.
  if (err == EBADFD) removed();
  throw DeviceError(fmt::format("read from {}: {}", capabilities_.name, std::strerror(err)));
}

void TunTapDevice::ensure_only_queues(std::size_t ours) const {
  // The kernel keeps one receive queue per attached queue (sysfs rx-N), whoever attached it.
  std::error_code ec;
  std::size_t attached = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(fmt::format("/sys/class/net/{}/queues", capabilities_.name), ec)) {
    if (entry.path().filename().string().starts_with("rx-")) ++attached;
  }
  if (attached > ours) {
    throw_in_use(capabilities_.link, capabilities_.name,
                 fmt::format("another process has {} of its {} queues attached", attached - ours, attached));
  }
}

void TunTapDevice::follow_link() {
  monitor_->update();
  last_link_check_ = Clock::now();
  const LinkMonitor::State& link = monitor_->state();
  capabilities_.name = link.name;
  capabilities_.mtu = link.mtu;
  if (link.removed) removed();
}

void TunTapDevice::follow_link_now_and_then(Clock::time_point now) {
  // Often enough that `ip link set DEV mtu N` applies within a blink, rarely enough to cost nothing per reply.
  constexpr std::chrono::milliseconds kLinkCheckInterval{50};
  if (now - last_link_check_ >= kLinkCheckInterval) follow_link();
}

TunTapDevice::~TunTapDevice() {
  ring_.reset();  // before the descriptors it reads
  ::close(fd_);
}

Received TunTapDevice::receive(MutableBytes buffer, std::chrono::milliseconds timeout) {
  return ring_ ? receive_ring(buffer, timeout) : receive_polled(buffer, timeout);
}

Received TunTapDevice::frame_of(std::size_t wire_length, std::size_t buffer_size) {
  last_frame_ = Clock::now();
  const auto now = std::chrono::duration_cast<Received::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
  // The kernel returns a frame's whole length even when it copied only what fitted (tun_put_user).
  if (wire_length > buffer_size) return {Received::Status::frame, buffer_size, now, wire_length};
  return {Received::Status::frame, wire_length, now};
}

Received TunTapDevice::try_read(MutableBytes buffer) {
  ++stats_.read;
  const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return {Received::Status::timeout};
    read_failed(errno);
  }
  return frame_of(static_cast<std::size_t>(n), buffer.size());
}

bool TunTapDevice::should_speculate() {
  if (skips_left_ == 0) return true;
  --skips_left_;
  return false;
}

bool TunTapDevice::preempted_since_last_look() {
  rusage usage{};
  ++stats_.getrusage;
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return false;
  const bool preempted = usage.ru_nivcsw != involuntary_switches_;
  involuntary_switches_ = usage.ru_nivcsw;
  return preempted;
}

void TunTapDevice::speculation_failed() {
  backoff_ = std::min(std::max(2 * backoff_, 1U), kMaxSkips);
  skips_left_ = backoff_;
}

Received TunTapDevice::receive_polled(MutableBytes buffer, std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  follow_link_now_and_then(start);
  // Read before waiting: in a burst the next frame is there already, and poll() would be a wasted call.
  if (Received in = try_read(buffer); in.status == Received::Status::frame) return in;
  if (busy_poll_.count() > 0 && Clock::now() < last_frame_ + busy_poll_ && should_speculate()) {
    // Busy-polling: spin on the read while the window after the last frame is open.
    const auto deadline = last_frame_ + busy_poll_;
    for (unsigned spins = 0; Clock::now() < deadline; ++spins) {
      if (Received in = try_read(buffer); in.status == Received::Status::frame) {
        // Found only after the scheduler took the CPU from the spin (a client on this CPU had to run to send it):
        // spinning only delayed it, and counts as a failure.
        if (spins > 0 && preempted_since_last_look()) {
          speculation_failed();
        } else {
          backoff_ = 0;
        }
        return in;
      }
    }
    speculation_failed();
  }
  pollfd pfds[2] = {{fd_, POLLIN, 0}, {monitor_->fd(), POLLIN, 0}};
  ++stats_.poll;
  const int ready = ::poll(pfds, 2, static_cast<int>(timeout.count()));
  if (ready < 0) {
    if (errno == EINTR) return {Received::Status::timeout};
    throw DeviceError(fmt::format("poll on {}: {}", capabilities_.name, std::strerror(errno)));
  }
  // Link events first: a new MTU applies to the answer of the frame read next.
  if (pfds[1].revents) follow_link();
  if (pfds[0].revents == 0) return {Received::Status::timeout};
  return try_read(buffer);
}

Received TunTapDevice::receive_ring(MutableBytes buffer, std::chrono::milliseconds timeout) {
  bool waited = false;
  ring_->reap();
  for (;;) {
    // Link events first, as in poll mode.
    if (ring_->take_link_event()) follow_link();
    const long result = ring_->take_frame(buffer);
    if (result > 0) return frame_of(static_cast<std::size_t>(result), buffer.size());
    if (result < 0) read_failed(static_cast<int>(-result));
    if (waited) return {Received::Status::timeout};
    const auto now = Clock::now();
    follow_link_now_and_then(now);
    if (busy_poll_.count() > 0 && now < last_frame_ + busy_poll_ && should_speculate()) {
      // Send the replies, then spin on the completion queue (no system call) while the window is open.
      ring_->submit();
      const auto deadline = last_frame_ + busy_poll_;
      bool found = false;
      while (!(found = ring_->reap()) && Clock::now() < deadline) {
      }
      if (found) {
        backoff_ = 0;
        continue;
      }
      speculation_failed();
    }
    ring_->submit_and_wait(timeout);
    waited = true;
  }
}

namespace {

std::string write_failure(const std::string& name, int err) {
  // EIO: the kernel drops writes while the link is down.
  return fmt::format("write to {}: {}{}", name, std::strerror(err),
                     err == EIO ? fmt::format(" (is the link up? 'ip link set dev {} up')", name) : "");
}

}  // namespace

void TunTapDevice::transmit(Bytes frame) {
  if (ring_) {
    ring_->queue_write(frame);
    return;
  }
  ++stats_.write;
  const ssize_t n = ::write(fd_, frame.data(), frame.size());
  if (n < 0) {
    if (errno == EBADFD) removed();
    throw DeviceError(write_failure(capabilities_.name, errno));
  }
  if (static_cast<std::size_t>(n) != frame.size()) {
    throw DeviceError(fmt::format("write to {}: sent {} of {} bytes", capabilities_.name, n, frame.size()));
  }
}

std::vector<std::string> TunTapDevice::take_transmit_failures() {
  std::vector<std::string> messages;
  if (!ring_) return messages;
  for (const auto& failure : ring_->take_write_failures()) {
    messages.push_back(failure.error == EBADFD ? removed_message(capabilities_.name)
                                               : write_failure(capabilities_.name, failure.error));
  }
  return messages;
}

void TunTapDevice::flush() {
  if (ring_) ring_->submit();
}

IoStats TunTapDevice::io_stats() const {
  IoStats s = stats_;
  s.netlink = monitor_->system_calls();
  if (ring_) {
    s.io_uring_enter = ring_->stats().enters;
  }
  return s;
}

}  // namespace ministack
