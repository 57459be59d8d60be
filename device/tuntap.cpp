#include "tuntap.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ministack {

namespace {

constexpr const char* kCloneDevice = "/dev/net/tun";

std::string no_permission_hint() {
  return "run ministack as root (sudo), or give it CAP_NET_ADMIN: sudo setcap cap_net_admin+ep $(which ministack)";
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
    case EPERM: throw DeviceError(fmt::format("no permission to open {}: {}", kCloneDevice, no_permission_hint()));
    default: throw DeviceError(fmt::format("cannot open {}: {}", kCloneDevice, std::strerror(err)));
  }
}

[[noreturn]] void fail_attach(int err, LinkLayer link, const std::string& name) {
  const char* kind = link == LinkLayer::ethernet ? "TAP" : "TUN";
  switch (err) {
    case EPERM:
    case EACCES:
      throw DeviceError(
          fmt::format("no permission to create or attach {} device '{}': {}", kind, name, no_permission_hint()));
    case EBUSY:
      throw DeviceError(fmt::format(
          "'{}' is in use: another process has it open. Stop that process or choose another name with --{} NAME", name,
          link == LinkLayer::ethernet ? "tap" : "tun"));
    case EINVAL:
      throw DeviceError(fmt::format(
          "'{}' exists but is not a {} device (or cannot be one): choose another name, or delete it first with "
          "'sudo ip link delete {}' if it is yours",
          name, kind, name));
    default: throw DeviceError(fmt::format("cannot attach {} device '{}': {}", kind, name, std::strerror(err)));
  }
}

}  // namespace

std::unique_ptr<TunTapDevice> TunTapDevice::open(LinkLayer link, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    throw DeviceError(fmt::format("'{}' is not a usable interface name: use 1 to {} characters", name, IFNAMSIZ - 1));
  }
  const int fd = ::open(kCloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail_open(errno);

  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size());
  // IFF_NO_PI: frames start at the Ethernet or IP header, with no 4-byte packet-info prefix.
  req.ifr_flags = static_cast<short>((link == LinkLayer::ethernet ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  if (::ioctl(fd, TUNSETIFF, &req) < 0) {
    const int err = errno;
    ::close(fd);
    fail_attach(err, link, name);
  }
  const std::string actual(req.ifr_name);
  try {
    auto monitor = std::make_unique<LinkMonitor>(actual);
    if (monitor->state().removed) throw DeviceError(fmt::format("{} was removed", actual));
    return std::unique_ptr<TunTapDevice>(new TunTapDevice(link, fd, std::move(monitor)));
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void TunTapDevice::removed() const { throw DeviceError(fmt::format("{} was removed", capabilities_.name)); }

void TunTapDevice::follow_link() {
  monitor_->update();
  const LinkMonitor::State& link = monitor_->state();
  capabilities_.name = link.name;
  capabilities_.mtu = link.mtu;
  if (link.removed) removed();
}

TunTapDevice::~TunTapDevice() { ::close(fd_); }

Received TunTapDevice::receive(MutableBytes buffer, std::chrono::milliseconds timeout) {
  pollfd pfds[2] = {{fd_, POLLIN, 0}, {monitor_->fd(), POLLIN, 0}};
  const int ready = ::poll(pfds, 2, static_cast<int>(timeout.count()));
  if (ready < 0) {
    if (errno == EINTR) return {Received::Status::timeout};
    throw DeviceError(fmt::format("poll on {}: {}", capabilities_.name, std::strerror(errno)));
  }
  // Link events first: a new MTU applies to the answer of the frame read next.
  if (pfds[1].revents) follow_link();
  if (pfds[0].revents == 0) return {Received::Status::timeout};
  const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return {Received::Status::timeout};
    // EBADFD: the file is no longer attached to a device, which happens when the device is deleted.
    if (errno == EBADFD) removed();
    throw DeviceError(fmt::format("read from {}: {}", capabilities_.name, std::strerror(errno)));
  }
  const auto now = std::chrono::duration_cast<Received::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
  // The kernel returns a frame's whole length even when it copied only what fitted (tun_put_user).
  const auto length = static_cast<std::size_t>(n);
  if (length > buffer.size()) return {Received::Status::frame, buffer.size(), now, length};
  return {Received::Status::frame, length, now};
}

void TunTapDevice::transmit(Bytes frame) {
  const ssize_t n = ::write(fd_, frame.data(), frame.size());
  if (n < 0) {
    if (errno == EBADFD) removed();
    // EIO: the kernel drops writes while the link is down.
    throw DeviceError(fmt::format("write to {}: {}{}", capabilities_.name, std::strerror(errno),
                                  errno == EIO ? " (is the link up? 'ip link set dev NAME up')" : ""));
  }
  if (static_cast<std::size_t>(n) != frame.size()) {
    throw DeviceError(fmt::format("write to {}: sent {} of {} bytes", capabilities_.name, n, frame.size()));
  }
}

}  // namespace ministack
