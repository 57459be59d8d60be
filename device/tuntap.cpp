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
constexpr std::size_t kDefaultMtu = 1500;

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

// The kernel's MTU for the device, asked through an ordinary socket; 1500 if it will not say.
std::size_t query_mtu(const std::string& name) {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return kDefaultMtu;
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size());
  const int rc = ::ioctl(sock, SIOCGIFMTU, &req);
  ::close(sock);
  return rc == 0 && req.ifr_mtu > 0 ? static_cast<std::size_t>(req.ifr_mtu) : kDefaultMtu;
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
  return std::unique_ptr<TunTapDevice>(new TunTapDevice(link, actual, fd, query_mtu(actual)));
}

TunTapDevice::~TunTapDevice() { ::close(fd_); }

Received TunTapDevice::receive(MutableBytes buffer, std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) {
    if (errno == EINTR) return {Received::Status::timeout};
    throw DeviceError(fmt::format("poll on {}: {}", capabilities_.name, std::strerror(errno)));
  }
  if (ready == 0) return {Received::Status::timeout};
  const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return {Received::Status::timeout};
    throw DeviceError(fmt::format("read from {}: {}", capabilities_.name, std::strerror(errno)));
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return {Received::Status::frame, static_cast<std::size_t>(n), std::chrono::duration_cast<Received::Timestamp>(now)};
}

void TunTapDevice::transmit(Bytes frame) {
  const ssize_t n = ::write(fd_, frame.data(), frame.size());
  if (n < 0) {
    // EIO: the kernel drops writes while the link is down.
    throw DeviceError(fmt::format("write to {}: {}{}", capabilities_.name, std::strerror(errno),
                                  errno == EIO ? " (is the link up? 'ip link set dev NAME up')" : ""));
  }
  if (static_cast<std::size_t>(n) != frame.size()) {
    throw DeviceError(fmt::format("write to {}: sent {} of {} bytes", capabilities_.name, n, frame.size()));
  }
}

}  // namespace ministack
