#include "udp_endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ministack {

namespace {

// "HOST:PORT", "[HOST6]:PORT" or ":PORT", or either without ":PORT", in parts.
struct HostPort {
  std::string host;
  std::optional<std::string> port;  // nullopt: no ":PORT" at all
  bool bracketed = false;
};

// nullopt if the brackets are unbalanced, or a bare IPv6 address would leave the port ambiguous.
std::optional<HostPort> split_host_port(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    return HostPort{std::string(text.substr(1, close - 1)),
                    rest.empty() ? std::nullopt : std::optional(std::string(rest.substr(1))), true};
  }
  const auto colon = text.rfind(':');
  // A bare IPv6 address has colons of its own: it needs brackets to carry a port.
  if (colon != std::string_view::npos && text.find(':') != colon) return std::nullopt;
  if (colon == std::string_view::npos) return HostPort{std::string(text), std::nullopt, false};
  return HostPort{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)), false};
}

// The address in `storage` as the family's own struct: copied, for the sockets API's casts are undefined behaviour
// in C++ where memcpy is not.
sockaddr_in v4_of(const sockaddr_storage& storage) {
  sockaddr_in sin{};
  std::memcpy(&sin, &storage, sizeof sin);
  return sin;
}

sockaddr_in6 v6_of(const sockaddr_storage& storage) {
  sockaddr_in6 sin6{};
  std::memcpy(&sin6, &storage, sizeof sin6);
  return sin6;
}

// The socket's receive buffer asked for, in bytes (the kernel doubles it for its bookkeeping, socket(7)).
constexpr int kReceiveBuffer = 4 << 20;

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text, std::uint16_t default_port) {
  const auto parts = split_host_port(text);
  if (!parts) return std::nullopt;
  const std::string& host = parts->host;
  // A colon promises a port: "10.0.0.2:" is a mistake, not the default.
  const std::string port = parts->port.value_or(std::to_string(default_port));
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535) {
    return std::nullopt;
  }
  const auto number = static_cast<std::uint16_t>(std::stoul(port));
  if (host.empty()) return parts->bracketed ? std::nullopt : std::optional(any(AF_INET, number));
  // IPv4 as four dotted decimals only (inet_pton), not inet_aton's "10.1" shorthands that getaddrinfo takes.
  in_addr a4{};
  if (!parts->bracketed && ::inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    SocketAddress address = any(AF_INET, number);
    sockaddr_in sin = v4_of(address.storage);
    sin.sin_addr = a4;
    std::memcpy(&address.storage, &sin, sizeof sin);
    return address;
  }
  // Brackets for IPv6 only, and IPv6 in them only.
  if (!parts->bracketed || host.find(':') == std::string::npos) return std::nullopt;
  // IPv6, with a zone for a link-local peer ("fe80::2%eth0"), as numbers only (AI_NUMERICHOST: no lookup).
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return std::nullopt;
  SocketAddress address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.length = found->ai_addrlen;
  ::freeaddrinfo(found);
  // An IPv4-mapped address (RFC 4291 §2.5.5.2) is never on the wire, and an IPv6-only socket cannot reach it.
  const in6_addr a6 = v6_of(address.storage).sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a6)) return std::nullopt;
  return address;
}

SocketAddress SocketAddress::any(int family, std::uint16_t port) {
  SocketAddress address;
  if (family == AF_INET6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(&address.storage, &sin6, sizeof sin6);
    address.length = sizeof sin6;
  } else {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&address.storage, &sin, sizeof sin);
    address.length = sizeof sin;
  }
  return address;
}

std::uint16_t SocketAddress::port() const {
  return ntohs(family() == AF_INET6 ? v6_of(storage).sin6_port : v4_of(storage).sin_port);
}

bool SocketAddress::is_any() const {
  if (family() == AF_INET6) {
    const in6_addr a = v6_of(storage).sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(&a);
  }
  return v4_of(storage).sin_addr.s_addr == htonl(INADDR_ANY);
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    const in6_addr a = v6_of(storage).sin6_addr;
    ::inet_ntop(AF_INET6, &a, text, sizeof text);
  } else {
    const in_addr a = v4_of(storage).sin_addr;
    ::inet_ntop(AF_INET, &a, text, sizeof text);
  }
  return text;
}

std::string SocketAddress::to_string() const {
  return family() == AF_INET6 ? fmt::format("[{}]:{}", host(), port()) : fmt::format("{}:{}", host(), port());
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.family() == AF_INET6) {
    const sockaddr_in6 x = v6_of(a.storage), y = v6_of(b.storage);
    return std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0 && x.sin6_scope_id == y.sin6_scope_id;
  }
  return v4_of(a.storage).sin_addr.s_addr == v4_of(b.storage).sin_addr.s_addr;
}

std::optional<TunnelDrop> check_ip_packet(Bytes packet) {
  if (packet.empty()) return TunnelDrop::not_ip;
  const unsigned version = packet[0] >> 4;
  if (version == 4) {
    // RFC 791 §3.1: IHL counts 32-bit words, at least 5; Total Length covers header and data.
    const std::size_t header = (packet[0] & 0x0fu) * 4u;
    if (packet.size() < 20 || header < 20 || header > packet.size()) return TunnelDrop::bad_length;
    return load_be16(packet.data() + 2) == packet.size() ? std::nullopt : std::optional(TunnelDrop::bad_length);
  }
  if (version == 6) {
    // RFC 8200 §3: Payload Length counts what follows the 40-byte header (0 only in a jumbogram, RFC 2675).
    if (packet.size() < 40) return TunnelDrop::bad_length;
    const std::size_t payload = load_be16(packet.data() + 4);
    return payload != 0 && payload + 40 == packet.size() ? std::nullopt : std::optional(TunnelDrop::bad_length);
  }
  return TunnelDrop::not_ip;
}

bool is_datagram_to(Bytes packet, const SocketAddress& to) {
  if (packet.empty()) return false;
  std::size_t udp = 0;
  if (to.family() == AF_INET) {
    // RFC 791 §3.1: protocol 17 at byte 9, destination at 16; the UDP header follows IHL words.
    if ((packet[0] >> 4) != 4 || packet.size() < 20 || packet[9] != 17) return false;
    const in_addr a = v4_of(to.storage).sin_addr;
    if (std::memcmp(packet.data() + 16, &a, 4) != 0) return false;
    udp = (packet[0] & 0x0fu) * 4u;
  } else {
    // RFC 8200 §3: next header at byte 6, destination at 24.
    if ((packet[0] >> 4) != 6 || packet.size() < 40 || packet[6] != 17) return false;
    const in6_addr a = v6_of(to.storage).sin6_addr;
    if (std::memcmp(packet.data() + 24, &a, 16) != 0) return false;
    udp = 40;
  }
  // RFC 768: the destination port at bytes 2 and 3 of the UDP header.
  return udp >= 20 && packet.size() >= udp + 8 && load_be16(packet.data() + udp + 2) == to.port();
}

UdpEndpoint::UdpEndpoint(const SocketAddress& local, std::optional<SocketAddress> peer)
    : local_(local), peer_(std::move(peer)) {
  io_.mode = "poll";
  if (peer_ && peer_->family() != local_.family()) {
    throw DeviceError(fmt::format("the local address {} and the peer {} are of different IP versions: give both as "
                                  "IPv4, or both as IPv6 ([ADDR]:PORT)",
                                  local_.to_string(), peer_->to_string()));
  }
  fd_ = ::socket(local_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw DeviceError(fmt::format("opening a UDP socket: {}", std::strerror(errno)));
  const int on = 1;
  // IPv6 only on an IPv6 socket, whatever net.ipv6.bindv6only says: an IPv4 peer would arrive as ::ffff:a.b.c.d.
  if (local_.family() == AF_INET6) ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  // The kernel's count of datagrams it dropped for a full receive buffer, with each datagram (socket(7)).
  ::setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  // Room for a burst: the default (net.core.rmem_default, 208 KiB: 150 full packets) overflows whenever the reader
  // falls a moment behind. SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it SO_RCVBUF gets
  // what rmem_max allows. Still a bound: what does not fit is dropped by the kernel, and counted.
  const int bytes = kReceiveBuffer;
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local_.storage), local_.length) != 0) {
    const int err = errno;
    ::close(fd_);
    const std::string where = local_.to_string();
    switch (err) {
      case EADDRINUSE:
        throw DeviceError(fmt::format("cannot listen on UDP {}: it is in use (another ministack?): choose another "
                                      "port, or stop the program that has it (ss -ulpn shows which)",
                                      where));
      case EADDRNOTAVAIL:
        throw DeviceError(fmt::format("cannot listen on UDP {}: that address is not one of this host's: give one of "
                                      "its own (ip addr), or only the port (:{}) to listen on all",
                                      where, local_.port()));
      case EACCES:
        throw DeviceError(fmt::format("cannot listen on UDP {}: ports below 1024 need CAP_NET_BIND_SERVICE: choose a "
                                      "port from 1024 up, such as {}",
                                      where, kTunnelPort));
      default: throw DeviceError(fmt::format("cannot listen on UDP {}: {}", where, std::strerror(err)));
    }
  }
  // Port 0 asks the kernel for one: say which.
  socklen_t length = sizeof local_.storage;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local_.storage), &length) == 0) local_.length = length;
}

UdpEndpoint::~UdpEndpoint() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<UdpEndpoint::Route> UdpEndpoint::route() const {
  if (!peer_) return std::nullopt;
  // A connected socket knows its route: IP_MTU gives its MTU (ip(7), ipv6(7)) and getsockname the source address
  // chosen for it. Nothing is sent.
  const int fd = ::socket(peer_->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  int mtu = 0;
  socklen_t size = sizeof mtu;
  Route route;
  socklen_t length = sizeof route.source.storage;
  const bool v6 = peer_->family() == AF_INET6;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&peer_->storage), peer_->length) == 0 &&
                  ::getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &size) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&route.source.storage), &length) == 0;
  ::close(fd);
  if (!ok || mtu <= 0) return std::nullopt;
  route.mtu = static_cast<std::size_t>(mtu);
  route.source.length = length;
  if (!local_.is_any()) {
    route.source = local_;
  } else if (v6) {
    sockaddr_in6 sin6 = v6_of(route.source.storage);
    sin6.sin6_port = htons(local_.port());
    std::memcpy(&route.source.storage, &sin6, sizeof sin6);
  } else {
    sockaddr_in sin = v4_of(route.source.storage);
    sin.sin_port = htons(local_.port());
    std::memcpy(&route.source.storage, &sin, sizeof sin);
  }
  return route;
}

Datagram UdpEndpoint::receive(MutableBytes buffer) {
  Datagram d;
  receive_many({&buffer, 1}, {&d, 1});
  return d;
}

std::size_t UdpEndpoint::receive_many(std::span<const MutableBytes> buffers, std::span<Datagram> out) {
  const std::size_t want = std::min({buffers.size(), out.size(), kMaxBatch});
  std::array<mmsghdr, kMaxBatch> messages{};
  std::array<iovec, kMaxBatch> iovs{};
  // One control buffer per datagram, for its SO_RXQ_OVFL count.
  struct alignas(cmsghdr) Control {
    char bytes[CMSG_SPACE(sizeof(std::uint32_t))];
  };
  std::array<Control, kMaxBatch> controls{};
  for (std::size_t i = 0; i < want; ++i) {
    out[i] = Datagram{};
    iovs[i] = {buffers[i].data(), buffers[i].size()};
    msghdr& msg = messages[i].msg_hdr;
    msg.msg_name = &out[i].source.storage;
    msg.msg_namelen = sizeof out[i].source.storage;
    msg.msg_iov = &iovs[i];
    msg.msg_iovlen = 1;
    msg.msg_control = controls[i].bytes;
    msg.msg_controllen = sizeof controls[i].bytes;
  }
  ++io_.read;
  const int n = ::recvmmsg(fd_, messages.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    // An ICMP error the kernel reports for an earlier datagram: not a failure of this socket.
    if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) return 0;
    throw DeviceError(fmt::format("receiving on UDP {}: {}", local_.to_string(), std::strerror(errno)));
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& msg = messages[i].msg_hdr;
    out[i].source.length = msg.msg_namelen;
    count_kernel_drops(msg);
    judge(out[i], buffers[i].first(std::min<std::size_t>(messages[i].msg_len, buffers[i].size())),
          (msg.msg_flags & MSG_TRUNC) != 0);
  }
  return static_cast<std::size_t>(n);
}

void UdpEndpoint::count_kernel_drops(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
    std::uint32_t dropped = 0;
    std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
    // A running count since the socket opened (it wraps at 2^32, as unsigned arithmetic does).
    counters_.count(TunnelDrop::receive_overflow, static_cast<std::uint32_t>(dropped - kernel_drops_));
    kernel_drops_ = dropped;
  }
}

void UdpEndpoint::judge(Datagram& d, Bytes payload, bool cut) {
  d.length = payload.size();
  const auto drop = [&](TunnelDrop reason) {
    counters_.count(reason);
    d.status = Datagram::Status::dropped;
    d.drop = reason;
  };
  if (peer_ && !(d.source == *peer_)) return drop(TunnelDrop::unknown_source);
  // Longer than the buffer: longer than any IP packet.
  if (cut) return drop(TunnelDrop::bad_length);
  if (const auto bad = check_ip_packet(payload)) return drop(*bad);
  if (!peer_) {
    peer_ = d.source;
    d.new_peer = true;
  }
  ++counters_.in_packets;
  counters_.in_octets += d.length;
  d.status = Datagram::Status::packet;
}

bool UdpEndpoint::wait(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  ++io_.poll;
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) > 0;
}

std::optional<TunnelDrop> UdpEndpoint::send(Bytes packet) {
  std::optional<TunnelDrop> result;
  send_many({&packet, 1}, {&result, 1});
  return result;
}

void UdpEndpoint::send_many(std::span<const Bytes> packets, std::span<std::optional<TunnelDrop>> results) {
  const std::size_t count = std::min({packets.size(), results.size(), kMaxBatch});
  const auto drop = [&](std::size_t i, TunnelDrop reason) {
    counters_.count(reason);
    results[i] = reason;
  };
  if (!peer_) {
    for (std::size_t i = 0; i < count; ++i) drop(i, TunnelDrop::no_peer);
    return;
  }
  std::array<mmsghdr, kMaxBatch> messages{};
  std::array<iovec, kMaxBatch> iovs{};
  for (std::size_t i = 0; i < count; ++i) {
    results[i].reset();
    iovs[i] = {const_cast<std::uint8_t*>(packets[i].data()), packets[i].size()};
    msghdr& msg = messages[i].msg_hdr;
    msg.msg_name = &peer_->storage;
    msg.msg_namelen = peer_->length;
    msg.msg_iov = &iovs[i];
    msg.msg_iovlen = 1;
  }
  // sendmmsg stops at the first datagram it cannot send: that one is dropped, and the rest tried again.
  for (std::size_t i = 0; i < count;) {
    ++io_.write;
    const int n = ::sendmmsg(fd_, messages.data() + i, static_cast<unsigned>(count - i), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        drop(i, TunnelDrop::send_queue_full);
      } else if (errno == EMSGSIZE) {
        drop(i, TunnelDrop::too_big);
      } else {
        last_error_ = fmt::format("sendto {}: {}", peer_->to_string(), std::strerror(errno));
        drop(i, TunnelDrop::send_failed);
      }
      ++i;
      continue;
    }
    for (std::size_t sent = i + static_cast<std::size_t>(n); i < sent; ++i) {
      ++counters_.out_packets;
      counters_.out_octets += packets[i].size();
    }
  }
}

}  // namespace ministack
