// A device backed by in-memory queues, for tests: inject frames to receive, read back what the stack sent.
#pragma once

#include <algorithm>
#include <deque>
#include <vector>

#include "device.hpp"

namespace ministack {

class QueueDevice final : public Device {
 public:
  using Frame = std::vector<std::uint8_t>;

  explicit QueueDevice(LinkLayer link, std::size_t mtu = 1500, std::string name = "queue0")
      : capabilities_{link, std::move(name), mtu, capture_link_type_for(link), false} {}

  void inject(Frame frame) { inbound_.push_back({std::move(frame), 0}); }
  // Queues a change of the device's MTU to `mtu` bytes, made when receive() reaches it (which then returns a
  // timeout, as a live device does when the host changes its MTU between frames).
  void inject_mtu_change(std::size_t mtu) { inbound_.push_back({{}, mtu}); }
  std::vector<Frame>& sent() { return sent_; }

  const DeviceCapabilities& capabilities() const override { return capabilities_; }

  Received receive(MutableBytes buffer, std::chrono::milliseconds) override {
    if (inbound_.empty()) return {Received::Status::end};
    const Event event = std::move(inbound_.front());
    inbound_.pop_front();
    if (event.new_mtu) {
      capabilities_.mtu = event.new_mtu;
      return {Received::Status::timeout};
    }
    const std::size_t n = std::min(event.frame.size(), buffer.size());
    std::copy_n(event.frame.begin(), n, buffer.begin());
    return {Received::Status::frame, n, {}, event.frame.size() > n ? event.frame.size() : 0};
  }

  void transmit(Bytes frame) override { sent_.emplace_back(frame.begin(), frame.end()); }

 private:
  struct Event {
    Frame frame;
    std::size_t new_mtu = 0;  // non-zero: not a frame, a change of the MTU
  };
  DeviceCapabilities capabilities_;
  std::deque<Event> inbound_;
  std::vector<Frame> sent_;
};

}  // namespace ministack
