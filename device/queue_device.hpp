// A device backed by in-memory queues, for tests: inject frames to receive, read back what the stack sent.
#pragma once

#include <deque>
#include <vector>

#include "device.hpp"

namespace ministack {

class QueueDevice final : public Device {
 public:
  using Frame = std::vector<std::uint8_t>;

  explicit QueueDevice(LinkLayer link, std::size_t mtu = 1500, std::string name = "queue0")
      : capabilities_{link, std::move(name), mtu, capture_link_type_for(link), false} {}

  void inject(Frame frame) { inbound_.push_back(std::move(frame)); }
  std::vector<Frame>& sent() { return sent_; }

  const DeviceCapabilities& capabilities() const override { return capabilities_; }

  Received receive(MutableBytes buffer, std::chrono::milliseconds) override {
    if (inbound_.empty()) return {Received::Status::end};
    const Frame frame = std::move(inbound_.front());
    inbound_.pop_front();
    const std::size_t n = frame.size() < buffer.size() ? frame.size() : buffer.size();
    std::copy_n(frame.begin(), n, buffer.begin());
    return {Received::Status::frame, n};
  }

  void transmit(Bytes frame) override { sent_.emplace_back(frame.begin(), frame.end()); }

 private:
  DeviceCapabilities capabilities_;
  std::deque<Frame> inbound_;
  std::vector<Frame> sent_;
};

}  // namespace ministack
