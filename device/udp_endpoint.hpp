// One end of an IP-over-UDP tunnel: a UDP socket that carries one IP packet per datagram (a packet inside a
// packet), to and from one peer. `ministack tunnel` joins it to a TUN device; UdpDevice puts the stack behind it.
// Nothing here authenticates or encrypts: a datagram is taken for its source address alone.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "device.hpp"
#include "tunnel_counters.hpp"

namespace ministack {

// The usual port for this tunnel, 4789 (VXLAN's, IANA-assigned, RFC 7348 §5), though the datagrams are bare IP,
// not VXLAN frames.
inline constexpr std::uint16_t kTunnelPort = 4789;

// A UDP address: IPv4 or IPv6, and a port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // "10.0.0.2:4789", "[fd00::2]:4789", or ":4789" (any IPv4 address), as numbers only (AI_NUMERICHOST: no name is
  // ever looked up). An empty port is `default_port`. nullopt if malformed.
  static std::optional<SocketAddress> parse(std::string_view text, std::uint16_t default_port = kTunnelPort);
  // The wildcard address of `family` (AF_INET or AF_INET6) with `port`.
  static SocketAddress any(int family, std::uint16_t port);
  int family() const { return storage.ss_family; }
  std::uint16_t port() const;
  bool is_any() const;  // 0.0.0.0 or ::
  // The bytes an outer IP and UDP header add to each packet: 28 over IPv4, 48 over IPv6 (RFC 768, RFC 791, RFC 8200).
  std::size_t overhead() const { return family() == AF_INET6 ? 48 : 28; }
  // "10.0.0.2:4789", "[fd00::2]:4789".
  std::string to_string() const;
  // The address alone: "10.0.0.2", "fd00::2".
  std::string host() const;
  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
};

// Whether `packet` is one whole IP packet: version 4 with IHL >= 5 and Total Length equal to its size (RFC 791
// §3.1), or version 6 with the 40-byte header and Payload Length + 40 equal to its size (RFC 8200 §3; a jumbogram's
// 0 is refused). Returns why not, or nullopt. A datagram carries exactly one packet: no padding, nothing cut.
std::optional<TunnelDrop> check_ip_packet(Bytes packet);

// Whether `packet` is a UDP datagram to `to` (address and port), with no IPv6 extension header before UDP: what the
// tunnel sends to its peer, should it find it in its own device. Bounds-checked; false for anything shorter.
bool is_datagram_to(Bytes packet, const SocketAddress& to);

// One datagram as received: its payload is buffer[0, length).
struct Datagram {
  enum class Status { packet, dropped, none };
  Status status = Status::none;  // none: nothing was waiting
  std::size_t length = 0;
  SocketAddress source;
  std::optional<TunnelDrop> drop;  // why, when dropped
  bool new_peer = false;           // this datagram's source just became the peer (listening without one)
};

class UdpEndpoint {
 public:
  // Binds `local` (non-blocking). With a peer, only datagrams from it are taken; without one, the first source that
  // sends a valid IP packet becomes the peer (and stays: a datagram is not proof of who sent it). Throws DeviceError
  // with what to do when the address cannot be bound (in use, not ours, a privileged port).
  UdpEndpoint(const SocketAddress& local, std::optional<SocketAddress> peer);
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  int descriptor() const { return fd_; }
  const SocketAddress& local() const { return local_; }
  const std::optional<SocketAddress>& peer() const { return peer_; }
  // The route to the peer as the kernel would take it now: its MTU in bytes (IP_MTU, IPV6_MTU) and the source
  // address it would choose, with our port (what a wildcard --local really sends from). nullopt with no peer or no
  // route. Opens a socket: call it during setup, before the system call filter.
  struct Route {
    std::size_t mtu = 0;
    SocketAddress source;
  };
  std::optional<Route> route() const;

  // One non-blocking receive into `buffer`. A datagram from the wrong source, or without one whole IP packet, is
  // counted and returned as dropped (its bytes are in the buffer, for a trace). Throws DeviceError if the socket
  // fails.
  Datagram receive(MutableBytes buffer);
  // Up to kMaxBatch datagrams at once (one recvmmsg), datagram i into buffers[i], judged as receive() judges one:
  // out[i] says what became of it. Returns how many were received (0 when none was waiting).
  std::size_t receive_many(std::span<const MutableBytes> buffers, std::span<Datagram> out);
  // Waits up to `timeout` for a datagram (poll); false on timeout or a signal.
  bool wait(std::chrono::milliseconds timeout);
  // Sends `packet` to the peer as one datagram; a failure is counted, never thrown (one lost packet must not stop
  // the tunnel). Returns why it was not sent, or nullopt.
  std::optional<TunnelDrop> send(Bytes packet);
  // Up to kMaxBatch packets, one datagram each, in one sendmmsg where the socket takes them all: results[i] says why
  // packet i was not sent, or nullopt.
  void send_many(std::span<const Bytes> packets, std::span<std::optional<TunnelDrop>> results);
  // The most datagrams receive_many() and send_many() take at once.
  static constexpr std::size_t kMaxBatch = 32;

  // Why the last send failed with send_failed ("sendto 10.0.0.2:4789: Network is unreachable").
  const std::string& last_error() const { return last_error_; }
  const TunnelCounters& counters() const { return counters_; }
  TunnelCounters& counters() { return counters_; }
  IoStats io_stats() const { return io_; }

 private:
  // Counts what the kernel reports it dropped (SO_RXQ_OVFL) in `msg`'s control data.
  void count_kernel_drops(msghdr& msg);
  // Decides what becomes of a datagram whose bytes are `payload` (`cut`: it was longer than the buffer).
  void judge(Datagram& d, Bytes payload, bool cut);

  int fd_ = -1;
  SocketAddress local_;
  std::optional<SocketAddress> peer_;
  std::uint32_t kernel_drops_ = 0;  // the socket's SO_RXQ_OVFL count when last read
  TunnelCounters counters_;
  IoStats io_;  // recvmsg() counted as read, sendto() as write
  std::string last_error_;
};

}  // namespace ministack
