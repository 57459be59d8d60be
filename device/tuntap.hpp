// A Linux TUN (raw IP) or TAP (Ethernet) device over /dev/net/tun, without the 4-byte packet-info header
// (IFF_NO_PI), non-blocking, waited on with poll().
#pragma once

#include <memory>
#include <string>

#include "device.hpp"

namespace ministack {

class TunTapDevice final : public Device {
 public:
  // Creates the device `name`, or attaches to it if it already exists (a persistent device made with
  // `ip tuntap add`). Throws DeviceError with a message saying what to do (no permission, no /dev/net/tun, busy).
  static std::unique_ptr<TunTapDevice> open(LinkLayer link, const std::string& name);
  ~TunTapDevice() override;
  TunTapDevice(const TunTapDevice&) = delete;
  TunTapDevice& operator=(const TunTapDevice&) = delete;

  const DeviceCapabilities& capabilities() const override { return capabilities_; }
  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override;
  void transmit(Bytes frame) override;

 private:
  TunTapDevice(LinkLayer link, std::string name, int fd, std::size_t mtu)
      : capabilities_{link, std::move(name), mtu, capture_link_type_for(link), false}, fd_(fd) {}

  DeviceCapabilities capabilities_;
  int fd_;
};

}  // namespace ministack
