// A TCP peer for the connection tests (stack_tcp_*_test.cpp): it plays the other end of connections to the echo
// (port 7) and discard (port 9) services through the whole pipeline, on TAP and TUN, at instants the test injects.
//
// Every frame the stack sends is read back with the tests' own byte reads (packets.hpp), never with the stack's
// parsers: link header, IPv4 header (its checksum recomputed, DF set, TTL 64, addresses) and TCP header (its
// checksum recomputed over the pseudo-header, data offset, ports), before a test looks at seq, ack, flags, window,
// options and data. Our ISS is read from the SYN,ACK on the wire, never computed from the code.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_feeder.hpp"
#include "packets.hpp"
#include "stack_fixture.hpp"

namespace stack_test {

using ministack::Instant;

// The options of a Linux SYN (6.x, as in `nc`'s): MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
inline const Frame kLinuxSynOptions = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x12, 0x34,
                                       0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

// The instant `ms` milliseconds after the tests' origin.
Instant at(std::int64_t ms);

// The MSS and window scale options in `options`, walked by their lengths (RFC 9293 §3.2); nullopt if absent.
std::optional<std::uint16_t> mss_of(const Frame& options);
std::optional<std::uint8_t> window_scale_of(const Frame& options);
// Every option kind in `options` other than NOP and EOL, in order.
std::vector<std::uint8_t> option_kinds(const Frame& options);

// One segment the stack sent, after its headers were checked.
struct Sent {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;  // as on the wire
  Frame options;
  Frame data;
  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  std::uint32_t end() const;  // seq + SEG.LEN (data, SYN and FIN)
};

// The peer's end of one connection: what it has sent and what it has received from us.
struct Peer {
  std::uint16_t port = 40000;    // the peer's port
  std::uint16_t service = 7;     // ours: echo
  std::uint32_t seq = 1000;      // the peer's SND.NXT
  std::uint32_t iss = 0;         // ours, read from the SYN,ACK
  std::uint32_t rcv_nxt = 0;     // the next number the peer expects from us
  std::uint16_t window = 64240;  // what it advertises, as on the wire
  std::uint8_t our_shift = 0;    // the shift our SYN,ACK offered (0 without the option)

  // A segment from the peer as it stands: seq SND.NXT, ack as received (ACK on unless `flags` says otherwise).
  packets::Tcp segment(std::uint8_t flags = packets::tcp_flags::ack, Frame payload = {}) const;
};

class TcpPeerTest : public ::testing::TestWithParam<LinkLayer> {
 protected:
  TcpPeerTest();

  bool tap() const { return GetParam() == LinkLayer::ethernet; }
  // The stack, made from config_ on first use (a test changes config_ before that).
  ministack::testing::FrameFeeder& feeder();
  std::uint64_t count(Counter c) { return feeder().stack().counters().get(c); }
  std::uint64_t count(DropReason r) { return feeder().stack().counters().get(r); }

  // The frame the device delivers for `t` from the peer (addresses and checksum filled in).
  Frame frame(packets::Tcp t) const;
  // Feeds `t` at `now`; returns the segments sent in answer, each checked. last_drop() says why it was dropped.
  std::vector<Sent> send(const packets::Tcp& t, Instant now);
  const std::optional<DropReason>& last_drop() const { return last_drop_; }
  // Runs the timers at `now`; returns the segments sent, each checked.
  std::vector<Sent> poll(Instant now);
  // Reads one sent frame with the tests' own byte reads, checking link, IP and TCP headers and both checksums.
  Sent read(const Frame& sent) const;

  // Sends p's SYN with `options` and `window`; expects exactly one SYN,ACK and records our ISS from it.
  Sent open(Peer& p, const Frame& options, Instant now);
  // open(), then the ACK that completes the handshake (window p.window), which must get nothing.
  void establish(Peer& p, const Frame& options = kLinuxSynOptions, Instant now = at(0));
  // p sends `data` at its SND.NXT (ACK, PSH); returns what the stack sent.
  std::vector<Sent> send_data(Peer& p, const Frame& data, Instant now);
  // p sends `data` in segments of at most `size` bytes, all at `now`; returns every segment sent in answer, each
  // checked to acknowledge what p had sent when it was sent.
  std::vector<Sent> send_in_parts(Peer& p, const Frame& data, std::size_t size, Instant now);
  // Everything sent in `segments` that carries data, in order, as one byte string; checks that the segments are
  // contiguous from `first_seq`, and that each acknowledges `ack` (if given).
  static Frame echoed(const std::vector<Sent>& segments, std::uint32_t first_seq, std::optional<std::uint32_t> ack);

  StackConfig config_;

 private:
  std::unique_ptr<ministack::testing::FrameFeeder> feeder_;
  std::optional<DropReason> last_drop_;
};

std::string link_name(const ::testing::TestParamInfo<LinkLayer>& info);

}  // namespace stack_test
