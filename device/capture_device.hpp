// A Device wrapper that records frames to a pcap file while passing them through (like smoltcp's PcapWriter or
// gVisor's sniffer): the stack and the wrapped device know nothing of it.
#pragma once

#include "device.hpp"
#include "pcap_writer.hpp"

namespace ministack {

class CaptureDevice final : public Device {
 public:
  enum class Record { both_directions, transmitted_only };

  // `inner` and `writer` must outlive this. Transmitted frames are stamped with the time they are sent, or, with
  // `stamp_replies_with_cause`, with the timestamp of the frame received last (the one that caused them): that
  // makes a replay's output depend on its input alone.
  CaptureDevice(Device& inner, PcapWriter& writer, Record record, bool stamp_replies_with_cause)
      : inner_(inner), writer_(writer), record_(record), stamp_with_cause_(stamp_replies_with_cause) {}

  const DeviceCapabilities& capabilities() const override { return inner_.capabilities(); }

  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override {
    const Received in = inner_.receive(buffer, timeout);
    if (in.status == Received::Status::frame) {
      last_received_ = in.timestamp;
      if (record_ == Record::both_directions) writer_.write(buffer.first(in.length), in.timestamp);
    }
    return in;
  }

  std::vector<std::string> take_transmit_failures() override { return inner_.take_transmit_failures(); }
  IoStats io_stats() const override { return inner_.io_stats(); }
  void flush() override { inner_.flush(); }

  void transmit(Bytes frame) override {
    inner_.transmit(frame);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    writer_.write(frame, stamp_with_cause_ ? last_received_ : std::chrono::duration_cast<Received::Timestamp>(now));
  }

 private:
  Device& inner_;
  PcapWriter& writer_;
  Record record_;
  bool stamp_with_cause_;
  Received::Timestamp last_received_{};
};

}  // namespace ministack
