// The one interface between the stack and the outside world. TUN/TAP, the test queue (and later pcap replay and
// capture wrappers) are implementations of it; the stack itself never does I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "stack/wire/bytes.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/link_layer.hpp"

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
  // The frame's whole length when it was longer than the buffer (only `length` bytes of it were read); 0 otherwise.
  std::size_t wire_length = 0;
  // The frame's number in its source when frames were left out before it (a filtered capture), as Wireshark numbers
  // them; 0: number frames as they arrive.
  std::uint64_t number = 0;

  // True when the frame did not fit the buffer: the stack drops it as frame_too_long instead of reading it.
  bool cut() const { return wire_length > length; }
};

// The largest frame a device can deliver, in bytes: an IPv4 packet's total length is 16 bits (RFC 791 §3.1), so no
// IP packet exceeds 65535 bytes whatever the MTU, plus the link header (14 bytes of Ethernet on TAP, none on TUN).
// Linux hands a TUN/TAP reader any frame its sender wrote, even one longer than the device's MTU.
constexpr std::size_t max_frame_length(LinkLayer link) { return 65535 + link_header_length(link); }

// libpcap's DLT_EN10MB and DLT_RAW (stored in files as LINKTYPE_ETHERNET 1 and LINKTYPE_RAW 101).
inline constexpr int kDltEthernet = 1;
inline constexpr int kDltRaw = 12;

// What a device is, as one value (after smoltcp's DeviceCapabilities): a wrapper forwards it whole, and a new
// property costs the wrappers nothing.
struct DeviceCapabilities {
  LinkLayer link = LinkLayer::ethernet;
  std::string name;
  // Largest IP packet the device sends unfragmented, in bytes. A live device follows the host's changes to it
  // (`ip link set DEV mtu N`); it sizes what ministack sends, never what it accepts.
  std::size_t mtu = 1500;
  // The link type a capture of this device's frames is written with, as a libpcap DLT_ value.
  int capture_link_type = kDltEthernet;
  // True when frames come from a recording: their timestamps, not the clock, are the stack's time.
  bool replays_time = false;

  // The receive buffer this device needs, in bytes: the largest frame it can deliver (max_frame_length), whatever
  // the MTU, so that a frame is judged by what arrived and not cut to a size decided at start.
  std::size_t receive_buffer_size() const { return max_frame_length(link); }
};

// The capture link type that matches a link: Ethernet for TAP, raw IP for TUN.
constexpr int capture_link_type_for(LinkLayer link) { return link == LinkLayer::ethernet ? kDltEthernet : kDltRaw; }

// The system calls a device made for frames and link events, by call, and how it waits (`mode`): what a reply
// costs beyond the stack's own work. A device that does no I/O of its own (a capture, a test queue) reports none.
struct IoStats {
  std::string mode;                  // "poll" or "io_uring"; empty when the device does no I/O of its own
  std::uint64_t read = 0;            // read(): frames, and EAGAIN when none was waiting
  std::uint64_t write = 0;           // write(): one per frame sent (poll mode)
  std::uint64_t poll = 0;            // poll(): waits for a frame or a link event
  std::uint64_t io_uring_enter = 0;  // each submits the replies queued and waits for frames (io_uring mode)
  std::uint64_t netlink = 0;         // recvfrom/sendto on the link monitor's socket
  std::uint64_t getrusage = 0;       // busy-polling: was the spin preempted?
  std::uint64_t system_calls() const { return read + write + poll + io_uring_enter + netlink + getrusage; }
  IoStats& operator+=(const IoStats& other);
};

class Device {
 public:
  virtual ~Device() = default;

  virtual const DeviceCapabilities& capabilities() const = 0;

  // Waits at most `timeout` for one frame and copies it into `buffer`. A frame longer than the buffer is cut short
  // and flagged (Received::wire_length), which the loop then drops as frame_too_long. Throws DeviceError when the
  // device fails or is gone (its message names the device: "tap0 was removed").
  virtual Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) = 0;
  // Sends one frame; throws DeviceError if the device refuses it. An asynchronous device (io_uring) may only queue
  // it, and report its failure later through take_transmit_failures().
  virtual void transmit(Bytes frame) = 0;
  // Frames that transmit() took but the device then failed to send, since the last call: one message each, naming
  // the device and the error. Empty (no allocation) for a synchronous device, and whenever nothing failed.
  virtual std::vector<std::string> take_transmit_failures() { return {}; }
  // Sends at once whatever transmit() only queued (an asynchronous device); the loop calls it when it stops.
  virtual void flush() {}
  // The system calls made so far.
  virtual IoStats io_stats() const { return {}; }

  // Shorthands for capabilities().
  LinkLayer link() const { return capabilities().link; }
  const std::string& name() const { return capabilities().name; }
  std::size_t mtu() const { return capabilities().mtu; }
  int capture_link_type() const { return capabilities().capture_link_type; }
  bool replays_time() const { return capabilities().replays_time; }
  std::size_t receive_buffer_size() const { return capabilities().receive_buffer_size(); }
};

inline IoStats& IoStats::operator+=(const IoStats& other) {
  if (mode.empty()) mode = other.mode;
  read += other.read;
  write += other.write;
  poll += other.poll;
  io_uring_enter += other.io_uring_enter;
  netlink += other.netlink;
  getrusage += other.getrusage;
  return *this;
}

// A device error whose message says what went wrong and what the user can do about it.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ministack
