// The one interface between the stack and the outside world. TUN/TAP, the test queue (and later pcap replay and
// capture wrappers) are implementations of it; the stack itself never does I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "stack/bytes.hpp"
#include "stack/stack.hpp"

namespace ministack {

struct Received {
  using Timestamp = std::chrono::microseconds;  // since the Unix epoch, as pcap stores it

  enum class Status {
    frame,    // buffer[0, length) holds one frame
    timeout,  // nothing arrived in time (or a signal interrupted the wait): check for shutdown, then call again
    end,      // the source has no more frames (a finished capture, an empty test queue)
  };
  Status status;
  std::size_t length = 0;
  Timestamp timestamp{};  // when the frame was received (live) or recorded (replay)
};

// libpcap's DLT_EN10MB and DLT_RAW (stored in files as LINKTYPE_ETHERNET 1 and LINKTYPE_RAW 101).
inline constexpr int kDltEthernet = 1;
inline constexpr int kDltRaw = 12;

class Device {
 public:
  virtual ~Device() = default;

  virtual LinkLayer link() const = 0;
  virtual const std::string& name() const = 0;
  virtual std::size_t mtu() const = 0;  // largest IP packet the device carries
  // The link type a capture of this device's frames is written with, as a libpcap DLT_ value.
  virtual int capture_link_type() const { return link() == LinkLayer::ethernet ? kDltEthernet : kDltRaw; }
  // True when frames come from a recording: their timestamps, not the clock, are the stack's time.
  virtual bool replays_time() const { return false; }

  // Waits at most `timeout` for one frame and copies it into `buffer`. A frame longer than the buffer is cut short,
  // which the stack then drops as truncated.
  virtual Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) = 0;
  // Sends one frame; throws DeviceError if the device refuses it.
  virtual void transmit(Bytes frame) = 0;

  // The receive buffer this device needs: a whole frame at the MTU (IP packet plus, on TAP, the 14-byte Ethernet
  // header) and never less than the Ethernet minimum the stack pads replies to.
  std::size_t receive_buffer_size() const {
    const std::size_t frame = mtu() + (link() == LinkLayer::ethernet ? kEthernetHeaderLength : 0);
    return frame < Stack::kMinBufferSize ? Stack::kMinBufferSize : frame;
  }
};

// A device error whose message says what went wrong and what the user can do about it.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ministack
