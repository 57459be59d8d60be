// What must hold of everything a stack sends and holds, whatever it was fed: checked after every frame by the fuzz
// targets (fuzz/) and by the unit tests over every capture in pcaps/, which also shows the checks pass on good
// traffic. Every rule is checked with the tests' own independent reads (packets.hpp), never with the stack's code.
//
// Every frame sent (check_sent_frame):
//   - no longer than the MTU as an IP datagram, and than MTU + 14 as an Ethernet frame;
//   - Ethernet (TAP): at least 60 bytes, padding after the packet all zeros, from our MAC, type IPv4 or ARP; an
//     IPv4 frame to a unicast MAC; ARP from our MAC and address;
//   - IPv4: version 4, a header that fits, total length equal to what the frame carries, a valid header checksum,
//     from our address, never from or to a broadcast, multicast, 0/8 or 127/8 address;
//   - an unfragmented ICMP message, UDP datagram or TCP segment: a valid checksum (UDP: never 0, its length field
//     exact; TCP: a data offset within the segment); no other protocol is sent;
//   - an ICMP error: at most 576 bytes of IP (RFC 1812 §4.3.2.3).
// Everything one received frame caused (check_answer): no more bytes than it (Ethernet padding not counted), except
// ICMP errors (at most one), datagrams released from the ARP queue, the fragments of a reassembled datagram
// (their payloads together at most 65535 bytes), and a reply fragmented to the MTU (their payloads together no more
// than the frame).
// After every operation (check_caps): every bounded table within its cap (Stack::usage()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/stack.hpp"

namespace ministack::testing {

// What is wrong, in words; the checks return the first thing they find, or nullopt.
using Violation = std::string;

// Checks one frame the stack of `config` sent (as the device would write it).
std::optional<Violation> check_sent_frame(const StackConfig& config, Bytes frame);

// What happened to the stack's state while it handled one received frame, for check_answer().
struct AnswerContext {
  std::size_t input_length = 0;  // bytes of the received frame, as the stack saw it
  bool reassembled = false;      // it completed a datagram (ipReasmOKs grew)
  std::size_t released = 0;      // datagrams that left the ARP queue while it was handled
  std::size_t released_bytes = 0;
};

// Checks everything sent while the stack handled one received frame, together.
std::optional<Violation> check_answer(const StackConfig& config, const AnswerContext& context,
                                      const std::vector<std::vector<std::uint8_t>>& sent);

// Checks that every bounded table is within its cap.
std::optional<Violation> check_caps(const StackUsage& usage);

// A Stack whose every output and every cap is checked as it runs: frames are fed through one reused receive buffer
// of the device's size (MTU + 14 on TAP, the MTU on TUN; a longer frame is cut, as a device cuts it).
class CheckedStack {
 public:
  explicit CheckedStack(const StackConfig& config);

  // Feeds one frame received at `now`; returns the first violation in what it caused.
  std::optional<Violation> receive(Bytes frame, Instant now);
  // Runs the timers at `now`; returns the first violation in what they sent.
  std::optional<Violation> poll(Instant now);
  // Sends a UDP datagram we originate (port 7 to `destination_port`); returns the first violation.
  std::optional<Violation> send_udp(Ipv4Address destination, std::uint16_t destination_port, Bytes payload,
                                    Instant now);

  const Stack& stack() const { return stack_; }
  std::uint64_t frames_sent() const { return frames_sent_; }

 private:
  std::optional<Violation> check_all(const std::vector<std::vector<std::uint8_t>>& sent) const;

  Stack stack_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t frames_sent_ = 0;
};

}  // namespace ministack::testing
