// A recorded TCP conversation with the kernel's echo service (pcaps/*_tcp_echo*.pcap, *_tcp_bulk*.pcap), replayed
// into a Stack: what tcp_golden_test.cpp and tcp_bulk_golden_test.cpp share. The client's segments are fed at the
// capture's timestamps, each with its acknowledgment number moved from the kernel's sequence space into ours (offset
// = our ISS - the kernel's, read from the SYN-ACKs) and its checksum recomputed; nothing else is changed. The stack's
// timers run on time in between. Each side's segments are grouped by the client segment they followed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_feeder.hpp"
#include "stack/stack.hpp"

namespace tcp_conversation {

using Frame = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kEchoPort = 7;
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// One TCP segment as the tests see it: where it starts in its frame, its numbers, flags, window, data and options.
struct Segment {
  std::size_t tcp_at = 0;  // offset of the TCP header in the frame
  bool ipv6 = false;       // carried by IPv6 (else IPv4)
  bool from_server = false;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;  // the field, unscaled
  Frame payload;
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;
  bool sack_permitted = false, timestamps = false, other_options = false;

  // Sequence space the segment occupies: its data, plus one for SYN and one for FIN.
  std::uint32_t length() const {
    return static_cast<std::uint32_t>(payload.size()) + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
  }
  bool pure_ack() const { return flags == kAck && payload.empty(); }
};

std::string flag_names(std::uint8_t flags);

// A segment as compared: numbers relative to the sender's ISS and the client's ISS, the kernel-only options left out.
struct Relative {
  std::uint8_t flags;
  std::uint32_t seq, ack;
  Frame payload;
  bool mss, window_scale, other_options;
  bool operator==(const Relative&) const = default;
};
Relative relative(const Segment& s, std::uint32_t server_iss, std::uint32_t client_iss);
std::string describe(const std::vector<Relative>& segments);

// Everything one side (the kernel, or ministack) sent, in order, grouped by the client segment it followed.
struct Side {
  std::vector<std::vector<Segment>> answers;  // answers[i]: after the client's i-th TCP segment, before the next
};

struct Conversation {
  ministack::LinkLayer link{};
  std::vector<Segment> client;            // the client's TCP segments, in order
  std::vector<std::size_t> client_frame;  // the index of each in the capture
  Side kernel, ours;
  std::uint32_t client_iss = 0, kernel_iss = 0, our_iss = 0;
  std::size_t kernel_other_expected = 0;  // non-TCP answers the kernel sent (ARP replies)
  std::size_t ours_other = 0;             // and ministack
  std::size_t ours_unparsed = 0;          // frames ministack sent that are no answer to this conversation
  std::unique_ptr<ministack::testing::FrameFeeder> stack;  // after the replay, its timers run out (300 s later)
};

// Replays `file` into a Stack made with `config` (its link set from the file). On a capture that is not such a
// conversation, or a ministack that sends no SYN-ACK, it records a gtest failure and returns nothing.
std::optional<Conversation> replay(const std::filesystem::path& file, ministack::StackConfig config);

// The new bytes one side sent, in sequence order (a retransmission adds none), and its FIN's relative number.
struct Stream {
  Frame bytes;
  std::size_t fins = 0, rsts = 0, synacks = 0;
  std::optional<std::uint32_t> fin_seq;
  std::uint32_t highest_ack = 0;  // relative to the client's ISS
};

Stream stream_of(const Side& side, std::uint32_t iss, std::uint32_t client_iss);

// The pcaps in `dir` whose name contains `part`, sorted.
std::vector<std::string> fixtures_named(const std::filesystem::path& dir, const std::string& part);

}  // namespace tcp_conversation
