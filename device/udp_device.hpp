// The stack behind a UDP socket instead of a TUN device: each datagram is one raw IP packet (LINKTYPE_RAW), as
// `ministack tunnel` sends them. It opens no device and changes nothing on the host, so it needs no privilege.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device.hpp"
#include "udp_endpoint.hpp"

namespace ministack {

class UdpDevice final : public Device {
 public:
  // Told of each datagram dropped (why, from whom) and of the peer being learnt (Datagram::new_peer).
  using Observer = std::function<void(const Datagram&)>;

  // Listens on `local`; see UdpEndpoint for `peer`. The MTU is `mtu`, or else the route to the peer's MTU less the
  // outer headers (28 or 48 bytes), or else, with no peer given, 1500 less them (a peer learnt later does not change
  // it: looking up its route would take system calls that the confined process may not make). Throws DeviceError.
  UdpDevice(const SocketAddress& local, std::optional<SocketAddress> peer, std::size_t mtu = 0);

  const DeviceCapabilities& capabilities() const override { return capabilities_; }
  // Datagrams from another source, or without one whole IP packet, never reach the stack: they are counted in
  // counters() and told to the observer.
  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override;
  // Sends `frame` to the peer; a failure is counted in counters(), never thrown.
  void transmit(Bytes frame) override;
  // Why sending failed (send_failed: "sendto 10.0.0.2:4789: Network is unreachable"), once for each new reason, so
  // that the log says it without a line per packet.
  std::vector<std::string> take_transmit_failures() override;
  IoStats io_stats() const override { return endpoint_.io_stats(); }

  void set_observer(Observer observer) { observer_ = std::move(observer); }
  const UdpEndpoint& endpoint() const { return endpoint_; }
  const TunnelCounters& counters() const { return endpoint_.counters(); }

 private:
  // The next valid packet among those waiting, or nullopt when none is (or after a run of drops, so that the loop
  // still looks at its stop flag in a flood of them).
  std::optional<Received> take(MutableBytes buffer);
  // The MTU for the current peer.
  std::size_t mtu_for_peer() const;

  UdpEndpoint endpoint_;
  std::size_t fixed_mtu_;
  DeviceCapabilities capabilities_;
  Observer observer_;
  std::string reported_error_;  // the last send failure told, so that it is told once
  bool unreported_ = false;
};

}  // namespace ministack
