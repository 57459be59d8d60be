#include "udp_device.hpp"

namespace ministack {

namespace {

// Datagrams looked at in one call before the loop gets control back.
constexpr int kBatch = 64;

}  // namespace

UdpDevice::UdpDevice(const SocketAddress& local, std::optional<SocketAddress> peer, std::size_t mtu)
    : endpoint_(local, std::move(peer)), fixed_mtu_(mtu) {
  capabilities_.link = LinkLayer::ip;
  capabilities_.name = "udp " + endpoint_.local().to_string();
  capabilities_.mtu = mtu_for_peer();
  capabilities_.capture_link_type = kDltRaw;
}

std::size_t UdpDevice::mtu_for_peer() const {
  if (fixed_mtu_ != 0) return fixed_mtu_;
  const std::size_t overhead = endpoint_.local().overhead();
  const auto route = endpoint_.route();
  const std::size_t path = route ? route->mtu : 1500;
  return path > overhead ? path - overhead : path;
}

std::optional<Received> UdpDevice::take(MutableBytes buffer) {
  for (int i = 0; i < kBatch; ++i) {
    const Datagram d = endpoint_.receive(buffer);
    if (d.status == Datagram::Status::none) return std::nullopt;
    if (observer_ && (d.new_peer || d.status == Datagram::Status::dropped)) observer_(d);
    if (d.status == Datagram::Status::dropped) continue;
    Received in{Received::Status::frame};
    in.length = d.length;
    in.timestamp = std::chrono::duration_cast<Received::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
    return in;
  }
  return std::nullopt;
}

void UdpDevice::transmit(Bytes frame) {
  if (endpoint_.send(frame) == TunnelDrop::send_failed && endpoint_.last_error() != reported_error_) {
    reported_error_ = endpoint_.last_error();
    unreported_ = true;
  }
}

std::vector<std::string> UdpDevice::take_transmit_failures() {
  if (!unreported_) return {};
  unreported_ = false;
  return {reported_error_ + " (told once; every failure is counted as tunnel_send_failed)"};
}

Received UdpDevice::receive(MutableBytes buffer, std::chrono::milliseconds timeout) {
  if (auto in = take(buffer)) return *in;
  if (endpoint_.wait(timeout)) {
    if (auto in = take(buffer)) return *in;
  }
  return {Received::Status::timeout};
}

}  // namespace ministack
