// A Linux TUN (raw IP) or TAP (Ethernet) device over /dev/net/tun, without the 4-byte packet-info header
// (IFF_NO_PI), non-blocking, waited on with poll() together with a LinkMonitor that follows its MTU and removal.
#pragma once

#include <memory>
#include <string>

#include "device.hpp"
#include "link_monitor.hpp"

namespace ministack {

class TunTapDevice final : public Device {
 public:
  // Creates the device `name`, or attaches to it if it already exists (a persistent device made with
  // `ip tuntap add`), and subscribes to its link events. Throws DeviceError with a message saying what to do (no
  // permission, no /dev/net/tun, busy). Every descriptor it will use is open when it returns.
  static std::unique_ptr<TunTapDevice> open(LinkLayer link, const std::string& name);
  ~TunTapDevice() override;
  TunTapDevice(const TunTapDevice&) = delete;
  TunTapDevice& operator=(const TunTapDevice&) = delete;

  // The MTU and name are the kernel's latest, as of the last receive().
  const DeviceCapabilities& capabilities() const override { return capabilities_; }
  // Also applies link events; throws DeviceError "NAME was removed" once the device is gone.
  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override;
  void transmit(Bytes frame) override;

 private:
  TunTapDevice(LinkLayer link, int fd, std::unique_ptr<LinkMonitor> monitor)
      : capabilities_{link, monitor->state().name, monitor->state().mtu, capture_link_type_for(link), false},
        fd_(fd),
        monitor_(std::move(monitor)) {}
  // Takes the monitor's news: MTU, name, removal (which throws).
  void follow_link();
  [[noreturn]] void removed() const;

  DeviceCapabilities capabilities_;
  int fd_;
  std::unique_ptr<LinkMonitor> monitor_;
};

}  // namespace ministack
