// The verdict on a whole capture (verify): what each frame is, what the stack did with it, and whether that is
// right; and the capture file read ourselves, and tallies of the stack's drops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fault_model.hpp"
#include "replay_record.hpp"
#include "reply_checks.hpp"

namespace ministack::realworld {

namespace fs = std::filesystem;
using ministack::testing::Replay;
using ministack::testing::ReplayedFrame;

// ---------------------------------------------------------------------------------------------------------------
// A whole capture, frame by frame: what each frame is, what the stack did with it, and whether that is right.

struct FrameOutcome {
  FrameReading reading;
  SentKind sent = SentKind::nothing;
  bool fragmented = false;     // the reply went out in several frames
  bool error_due = false;      // an ICMP unreachable (RFC 1122 §3.2.2) or ICMPv6 error (RFC 4443 §2.4) is due...
  bool error_allowed = false;  // ... and the rate limit lets it through
  bool rst_due = false;        // a well-formed TCP segment unicast to us, refused (RFC 9293 §3.10.7.1, §3.10.7.2)
};

struct Outcome {
  Problems problems;  // "frame N (...): what is wrong"
  std::vector<FrameOutcome> frames;
  std::size_t answers = 0;  // frames answered: ARP reply, echo reply, UDP echo, neighbor advertisement
  std::size_t arp_replies = 0, echo_replies = 0;
  std::size_t echo_replies6 = 0;      // of them, ICMPv6 echo replies
  std::size_t advertisements = 0;     // neighbor advertisements sent
  std::size_t errors = 0;             // frames that got an ICMP unreachable (or an ICMPv6 error)
  std::size_t errors6 = 0;            // of them, ICMPv6 errors
  std::size_t resets = 0;             // frames that got a TCP RST
  std::size_t fragmented = 0;         // frames whose answer went out in fragments
  std::size_t held = 0;               // fragments held silently, their datagram incomplete
  std::size_t completed = 0;          // datagrams reassembled
  std::size_t answerable = 0;         // frames with no fault at all: each must be answered
  std::size_t rate_limited = 0;       // unreachables due but refused by the rate limit
  std::size_t max_in_progress = 0;    // datagrams the model held at once
  std::set<DatagramKey> overlapping;  // datagrams whose fragments overlap somewhere in the file (teardrop, ...)
  // An ICMP error or a RST refuses, and only ever spends the README's MAY; answers meet its MUST.
  std::size_t replies() const { return answers + errors + resets; }
};

// `times_us`: the capture's timestamps, read from the file independently; `mtu`: the stack's.
Outcome verify(const Replay& replay, const std::vector<std::int64_t>& times_us, std::size_t mtu);

// ---------------------------------------------------------------------------------------------------------------
// Reading a capture file ourselves: its link type and the timestamp of every record.

struct CaptureFile {
  std::optional<std::uint32_t> link_type;
  std::vector<std::int64_t> times_us;
};

CaptureFile read_capture_file(const fs::path& path);

// "reason=count, ..." over the frames the stack dropped, for the log.
std::string drop_histogram(const Replay& replay);
// How many frames the stack dropped for `reason`.
std::size_t count_drops(const Replay& replay, DropReason reason);

}  // namespace ministack::realworld
