// Golden TCP conversations: the *_tcp_echo fixtures in pcaps/ are a real client (nc) holding a whole connection with
// the real Linux kernel's echo service (socat TCP-LISTEN:7 EXEC:cat): handshake, three lines echoed, FIN both ways
// (tests/fixtures/record.sh). The byte-exact golden test (golden_test.cpp) cannot judge them, since two TCPs pick
// different initial sequence numbers; here the client's segments are played through a Stack (echo on port 7, its
// default) at the capture's timestamps, and ministack's side of the conversation is compared with the kernel's.
//
// Translation: the client acknowledges the kernel's sequence space; before each of its segments goes to ministack,
// its acknowledgment number is moved into ours (offset = our ISS - the kernel's ISS, both read from the SYN-ACKs), and
// its checksum recomputed. Nothing else is changed: the client's later segments still carry the timestamps option
// the kernel agreed to, which ministack, having not agreed to it, ignores (RFC 7323 §3.2).
//
// Compared, for each client segment, between what the kernel sent in answer (its frames up to the client's next
// one) and what ministack sent (in answer, and by its timers before the client's next segment):
//   - the flags (PSH included), the sequence number relative to each side's own ISS, the acknowledgment number
//     relative to the client's ISS, the payload bytes, and which options are present;
//   - in the SYN-ACKs: MSS present in both with the same value, window scale present in both when the client
//     offered it.
// Judged over the whole conversation instead, where the kernel delayed, split or merged an ACK differently (an
// answer that differs only by pure ACKs, each covered by a later segment of the same side): the echoed bytes
// concatenated must be identical, each side sends exactly one FIN, every byte and the FIN of the client end up
// acknowledged, and both sides close from LAST-ACK: their FIN acknowledged by the client's last ACK, ministack then
// holding no connection and running no timer (no TIME-WAIT: the client closed first).
//
// The differences that are legitimate, and not compared:
//   - ISN: each TCP picks its own (RFC 9293 §3.4.1, RFC 6528): only relative numbers are compared.
//   - SACK-permitted and timestamps (RFC 2018, RFC 7323): the kernel agrees to both in its SYN-ACK and then stamps
//     every segment; ministack implements neither, so its SYN-ACK has neither and no later segment has timestamps.
//   - Window sizes: each side advertises its own receive buffer (Linux 65160 in the SYN-ACK, then 64 << 10).
//   - The time and grouping of pure ACKs: Linux acknowledges the first line at once and echoes it 5 ms later, once
//     cat has started, where ministack answers with data and ACK together; delayed ACKs (RFC 1122 §4.2.3.2) may
//     differ in time. These answers are counted as "differ in ACK timing" and judged over the whole conversation.
//   - IP identification, and with it the checksums (as in golden_test.cpp); TOS, TTL and DF are not looked at here.
// Frames other than TCP (the ARP exchange on TAP) are fed to the stack too; the number of answers must match the
// kernel's (golden_test.cpp compares such answers byte by byte in the other fixtures).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "device/pcap_replay.hpp"
#include "frame_feeder.hpp"
#include "packets.hpp"
#include "replay.hpp"

namespace {

using ministack::Instant;
using ministack::LinkLayer;
using packets::get16;
using packets::get32;
using Frame = std::vector<std::uint8_t>;

constexpr std::uint32_t kOurIp = packets::kOurIp.value;  // 192.168.3.12, the kernel's address and ours
constexpr std::uint16_t kEchoPort = 7;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

std::vector<std::string> tcp_echo_fixtures() {
  std::vector<std::string> names;
  for (const auto& n : ministack::testing::pcap_names(fixtures_dir())) {
    if (n.find("_tcp_echo") != std::string::npos) names.push_back(n);
  }
  return names;
}

std::size_t l3_offset(LinkLayer link) { return link == LinkLayer::ethernet ? 14 : 0; }

// One TCP segment as the test sees it: where it starts in its frame, its numbers, flags, data and options present.
struct Segment {
  std::size_t tcp_at = 0;  // offset of the TCP header in the frame
  bool from_server = false;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0, ack = 0;
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

// The frame's TCP segment to or from port 7, if it carries one (IPv4, protocol 6, not a fragment).
std::optional<Segment> tcp_segment(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  if (link == LinkLayer::ethernet && (f.size() < 14 || get16(f, 12) != 0x0800)) return std::nullopt;
  if (f.size() < l3 + 20 || (f[l3] >> 4) != 4 || f[l3 + 9] != 6 || (get16(f, l3 + 6) & 0x3fff) != 0) {
    return std::nullopt;
  }
  const std::size_t ihl = std::size_t{f[l3] & 0x0fu} * 4;
  const std::size_t ip_end = std::min<std::size_t>(f.size(), l3 + get16(f, l3 + 2));
  const std::size_t t = l3 + ihl;
  if (ip_end < t + 20) return std::nullopt;
  const std::size_t data_at = t + static_cast<std::size_t>(f[t + 12] >> 4) * 4;
  if (data_at > ip_end) return std::nullopt;
  Segment s;
  s.tcp_at = t;
  s.from_server = get32(f, l3 + 12) == kOurIp;
  if ((s.from_server ? get16(f, t) : get16(f, t + 2)) != kEchoPort) return std::nullopt;
  s.seq = get32(f, t + 4);
  s.ack = get32(f, t + 8);
  s.flags = f[t + 13];
  s.payload.assign(f.begin() + static_cast<std::ptrdiff_t>(data_at), f.begin() + static_cast<std::ptrdiff_t>(ip_end));
  // Options (RFC 9293 §3.1): EOL ends them, NOP is one byte, every other kind has a length byte.
  for (std::size_t o = t + 20; o < data_at;) {
    const std::uint8_t kind = f[o];
    if (kind == 0) break;
    if (kind == 1) {
      ++o;
      continue;
    }
    if (o + 1 >= data_at || f[o + 1] < 2 || o + f[o + 1] > data_at) break;
    const std::uint8_t len = f[o + 1];
    if (kind == 2 && len == 4) s.mss = get16(f, o + 2);
    else if (kind == 3 && len == 3) s.window_scale = f[o + 2];
    else if (kind == 4) s.sack_permitted = true;
    else if (kind == 8) s.timestamps = true;
    else s.other_options = true;
    o += len;
  }
  return s;
}

std::string flag_names(std::uint8_t flags) {
  std::string out;
  static constexpr std::pair<std::uint8_t, const char*> kNames[] = {
      {kSyn, "SYN"}, {kFin, "FIN"}, {kRst, "RST"}, {kPsh, "PSH"}, {kAck, "ACK"}};
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out += out.empty() ? name : std::string(",") + name;
  }
  return out.empty() ? "none" : out;
}

// A segment as compared: numbers relative to the sender's ISS and the client's ISS, the kernel-only options left out.
struct Relative {
  std::uint8_t flags;
  std::uint32_t seq, ack;
  Frame payload;
  bool mss, window_scale, other_options;
  bool operator==(const Relative&) const = default;
};

Relative relative(const Segment& s, std::uint32_t server_iss, std::uint32_t client_iss) {
  return {s.flags,        s.seq - server_iss, (s.flags & kAck) ? s.ack - client_iss : 0,
          s.payload,      s.mss.has_value(),  s.window_scale.has_value(),
          s.other_options};
}

std::string describe(const std::vector<Relative>& segments) {
  if (segments.empty()) return "nothing";
  std::string out;
  for (const auto& r : segments) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} seq {} ack {} data {}{}{}", flag_names(r.flags), r.seq, r.ack, r.payload.size(),
                       r.mss ? " +mss" : "", r.window_scale ? " +wscale" : "");
  }
  return out;
}

// The answer without its pure ACKs that a later segment of the same answer acknowledges as much as (they add
// nothing the later one does not say: a split or merged ACK).
std::vector<Relative> without_covered_acks(const std::vector<Relative>& segments) {
  std::vector<Relative> out;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const bool covered =
        segments[i].flags == kAck && segments[i].payload.empty() &&
        std::any_of(segments.begin() + static_cast<std::ptrdiff_t>(i) + 1, segments.end(), [&](const Relative& later) {
          return (later.flags & kAck) && static_cast<std::int32_t>(later.ack - segments[i].ack) >= 0;
        });
    if (!covered) out.push_back(segments[i]);
  }
  return out;
}

std::vector<Relative> without_pure_acks(const std::vector<Relative>& segments) {
  std::vector<Relative> out;
  for (const auto& r : segments) {
    if (!(r.flags == kAck && r.payload.empty())) out.push_back(r);
  }
  return out;
}

// The client's segment with its acknowledgment number moved by `offset` (from the kernel's sequence space into
// ours) and its TCP checksum made right again.
Frame translated(LinkLayer link, Frame f, const Segment& s, std::uint32_t offset) {
  if (!(s.flags & kAck)) return f;
  const std::size_t l3 = l3_offset(link);
  const std::size_t t = s.tcp_at;
  const std::size_t tcp_length = l3 + get16(f, l3 + 2) - t;
  packets::put32(f, t + 8, s.ack + offset);
  packets::put16(f, t + 16, 0);
  const Frame pseudo = packets::with_pseudo_header(packets::slice(f, t, tcp_length), {get32(f, l3 + 12)},
                                                   {get32(f, l3 + 16)}, static_cast<std::uint16_t>(tcp_length), 6);
  packets::put16(f, t + 16, packets::reference_checksum(pseudo));
  return f;
}

// Everything one side (the kernel, or ministack) sent, in order, grouped by the client segment it followed.
struct Side {
  std::vector<std::vector<Segment>> answers;  // answers[i]: after the client's i-th TCP segment, before the next
  std::size_t other_frames = 0;               // non-TCP frames sent in answer (ARP replies)
};

std::uint32_t iss_of(const Side& side) {
  for (const auto& a : side.answers) {
    for (const auto& s : a) {
      if (s.flags & kSyn) return s.seq;
    }
  }
  return 0;
}

class TcpGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TcpGolden, ConversationMatchesTheKernel) {
  const std::string name = GetParam();
  ministack::PcapReplayDevice device((fixtures_dir() / name).string(), 65535);
  const LinkLayer link = device.link();
  std::vector<Frame> frames;
  std::vector<Instant> times;
  for (const auto& f : ministack::testing::read_frames(device)) {
    frames.push_back(f.bytes);
    times.push_back(ministack::testing::instant_of(f.timestamp));
  }
  const auto from_kernel = [&](const Frame& f) {
    if (link == LinkLayer::ethernet) return f.size() >= 12 && packets::get_mac(f, 6) == packets::kOurMac;
    return f.size() >= 20 && get32(f, 12) == kOurIp;
  };

  // ---- the kernel's side, from the capture ----
  std::vector<Segment> client;  // the client's TCP segments, in order
  std::vector<std::size_t> client_frame;
  Side kernel;
  std::size_t kernel_other_expected = 0;
  bool last_client_was_tcp = false;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto s = tcp_segment(link, frames[i]);
    if (!from_kernel(frames[i])) {
      last_client_was_tcp = s.has_value();
      if (s) {
        client.push_back(*s);
        client_frame.push_back(i);
        kernel.answers.emplace_back();
      }
    } else if (s) {
      ASSERT_FALSE(kernel.answers.empty()) << "frame " << i + 1 << ": the kernel spoke first";
      kernel.answers.back().push_back(*s);
    } else {
      // A non-TCP answer (ARP reply), unless the kernel originated it (its own ARP request).
      const bool own_request = link == LinkLayer::ethernet && frames[i].size() >= 22 &&
                               get16(frames[i], 12) == 0x0806 && get16(frames[i], 20) == 1;
      if (!own_request && !last_client_was_tcp) ++kernel_other_expected;
    }
  }
  ASSERT_GE(client.size(), 3u) << "no TCP conversation in " << name;
  ASSERT_EQ(client.front().flags, kSyn) << "the conversation must start with the client's SYN";
  const std::uint32_t client_iss = client.front().seq;
  const std::uint32_t kernel_iss = iss_of(kernel);
  ASSERT_FALSE(kernel.answers.front().empty()) << "the kernel did not answer the SYN";

  // ---- ministack's side: the client's frames through a Stack, its timers run on time in between ----
  ministack::StackConfig config;  // echo on port 7
  config.link = link;
  ministack::testing::FrameFeeder stack(config, 65535 + 14);
  Side ours;
  ours.answers.resize(client.size());
  std::optional<std::uint32_t> offset;  // our ISS - the kernel's, once we have sent our SYN-ACK
  std::size_t ours_other = 0, ours_unparsed = 0;
  std::size_t current = 0;  // answers go to the client segment last fed (0 before any: none expected)
  bool fed_tcp = false;
  const auto collect = [&](const std::vector<Frame>& sent, bool answer_to_tcp) {
    for (const auto& out : sent) {
      if (const auto s = tcp_segment(link, out); s && s->from_server && fed_tcp) {
        ours.answers[current].push_back(*s);
        if ((s->flags & kSyn) && !offset) offset = s->seq - kernel_iss;
      } else if (!s && !answer_to_tcp) {
        ++ours_other;
      } else {
        ++ours_unparsed;
      }
    }
  };
  const auto run_timers_until = [&](Instant until) {
    for (int n = 0; n < 1000; ++n) {  // a bound, should a deadline not move on
      const auto deadline = stack.stack().next_deadline();
      if (!deadline || *deadline > until) return;
      collect(stack.poll(*deadline), true);
    }
    ADD_FAILURE() << "the timers keep firing";
  };
  std::size_t next_client = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (from_kernel(frames[i])) continue;
    run_timers_until(times[i]);
    const bool is_tcp = next_client < client.size() && client_frame[next_client] == i;
    Frame input = frames[i];
    if (is_tcp) {
      current = next_client++;
      fed_tcp = true;
      if (current > 0) {
        ASSERT_TRUE(offset) << "ministack sent no SYN-ACK to the client's SYN";
        input = translated(link, input, client[current], *offset);
      }
    }
    collect(stack.feed(input, times[i]).sent, is_tcp);
  }
  // After the last segment: whatever the timers still send (a delayed ACK, a retransmission, TIME-WAIT's end).
  run_timers_until(times.back() + std::chrono::seconds(300));
  ASSERT_TRUE(offset);
  const std::uint32_t our_iss = kernel_iss + *offset;

  // ---- the SYN-ACKs ----
  const Segment& syn = client.front();
  const Segment& kernel_synack = kernel.answers.front().front();
  ASSERT_FALSE(ours.answers.front().empty());
  const Segment& our_synack = ours.answers.front().front();
  ASSERT_TRUE(kernel_synack.mss && our_synack.mss) << "MSS must be in both SYN-ACKs";
  EXPECT_EQ(*kernel_synack.mss, *our_synack.mss) << "MSS";
  if (syn.window_scale) {
    EXPECT_TRUE(kernel_synack.window_scale && our_synack.window_scale)
        << "the client offered window scaling: both SYN-ACKs must carry the option";
  }
  // The named difference: the kernel agrees to SACK and timestamps when offered; ministack to neither (yet).
  if (syn.sack_permitted) {
    EXPECT_TRUE(kernel_synack.sack_permitted) << "the recording is not what it is thought";
  }
  if (syn.timestamps) {
    EXPECT_TRUE(kernel_synack.timestamps) << "the recording is not what it is thought";
  }

  // ---- per client segment ----
  std::size_t matched = 0, ack_timing = 0;
  for (std::size_t i = 0; i < client.size(); ++i) {
    std::vector<Relative> k, m;
    for (const auto& s : kernel.answers[i]) k.push_back(relative(s, kernel_iss, client_iss));
    for (const auto& s : ours.answers[i]) m.push_back(relative(s, our_iss, client_iss));
    const std::string what = fmt::format("client segment {} (frame {}, {} seq {} ack {} data {})", i + 1,
                                         client_frame[i] + 1, flag_names(client[i].flags), client[i].seq - client_iss,
                                         (client[i].flags & kAck) ? client[i].ack - kernel_iss : 0,
                                         client[i].payload.size());
    if (k == m) {
      ++matched;
    } else if (without_covered_acks(k) == without_covered_acks(m) || without_pure_acks(k) == without_pure_acks(m)) {
      ++ack_timing;
      std::cout << fmt::format("  {}: ACK timing differs: kernel {}; ministack {}\n", what, describe(k), describe(m));
    } else {
      ADD_FAILURE() << name << " " << what << ": kernel sent " << describe(k) << "; ministack " << describe(m);
    }
  }

  // ---- the whole conversation ----
  struct Totals {
    Frame echoed;
    std::size_t fins = 0, synacks = 0, rsts = 0;
    std::uint32_t highest_ack = 0;  // relative to the client's ISS
    std::optional<std::uint32_t> fin_seq;
  };
  const auto totals = [&](const Side& side, std::uint32_t iss) {
    Totals t;
    std::uint32_t next = 1;  // relative sequence number of the next new data byte
    for (const auto& a : side.answers) {
      for (const auto& s : a) {
        const std::uint32_t rel = s.seq - iss;
        if (!s.payload.empty() && rel + s.payload.size() > next &&
            rel <= next) {  // new bytes; a retransmission adds none
          t.echoed.insert(t.echoed.end(), s.payload.begin() + static_cast<std::ptrdiff_t>(next - rel), s.payload.end());
          next = rel + static_cast<std::uint32_t>(s.payload.size());
        }
        if (s.flags & kFin) {
          ++t.fins;
          t.fin_seq = rel + static_cast<std::uint32_t>(s.payload.size());
        }
        if ((s.flags & kSyn) && (s.flags & kAck)) ++t.synacks;
        if (s.flags & kRst) ++t.rsts;
        if (s.flags & kAck) t.highest_ack = std::max(t.highest_ack, s.ack - client_iss);
      }
    }
    return t;
  };
  const Totals kt = totals(kernel, kernel_iss), mt = totals(ours, our_iss);
  Frame sent_by_client;
  std::optional<std::uint32_t> client_fin_end;  // relative sequence number just past the client's FIN
  std::uint32_t client_last_ack = 0;            // relative to the kernel's ISS (= to ours, translated)
  for (const auto& s : client) {
    if (!s.payload.empty() && s.seq - client_iss == sent_by_client.size() + 1) {
      sent_by_client.insert(sent_by_client.end(), s.payload.begin(), s.payload.end());
    }
    if (s.flags & kFin) client_fin_end = s.seq - client_iss + s.length();
    if (s.flags & kAck) client_last_ack = s.ack - kernel_iss;
  }
  EXPECT_EQ(kt.echoed, sent_by_client) << "the kernel's echo is not what the client sent: the recording is wrong";
  EXPECT_EQ(mt.echoed, kt.echoed) << "the echoed bytes differ";
  EXPECT_EQ(kt.fins, 1u);
  EXPECT_EQ(mt.fins, 1u) << "ministack must send exactly one FIN";
  EXPECT_EQ(mt.synacks, 1u);
  EXPECT_EQ(mt.rsts, 0u);
  ASSERT_TRUE(client_fin_end) << "the client never sent its FIN";
  EXPECT_EQ(kt.highest_ack, *client_fin_end) << "the kernel did not acknowledge all of the client's bytes and FIN";
  EXPECT_EQ(mt.highest_ack, *client_fin_end) << "ministack did not acknowledge all of the client's bytes and FIN";
  // Both close from LAST-ACK: the client's last ACK covers each side's FIN (the same relative number, so one ACK).
  ASSERT_TRUE(kt.fin_seq && mt.fin_seq);
  EXPECT_EQ(client_last_ack, *kt.fin_seq + 1) << "the client's last ACK does not acknowledge the kernel's FIN";
  EXPECT_EQ(*mt.fin_seq, *kt.fin_seq) << "the FINs are not at the same relative sequence number";
  const auto& counters = stack.stack().counters();
  using ministack::Counter;
  EXPECT_EQ(counters.get(Counter::tcpPassiveOpens), 1u);
  EXPECT_EQ(counters.get(Counter::tcpCurrEstab), 0u) << "ministack still holds the connection";
  EXPECT_EQ(counters.get(Counter::tcpEstabResets), 0u);
  EXPECT_EQ(counters.get(Counter::tcpRetransSegs), 0u) << "ministack retransmitted";
  EXPECT_FALSE(stack.stack().next_deadline()) << "a timer still runs: the connection did not reach CLOSED";
  EXPECT_EQ(ours_other, kernel_other_expected) << "answers to the frames other than TCP (ARP)";
  EXPECT_EQ(ours_unparsed, 0u) << "ministack sent frames that are no answer to this conversation";

  std::size_t kernel_segments = 0, our_segments = 0;
  for (const auto& a : kernel.answers) kernel_segments += a.size();
  for (const auto& a : ours.answers) our_segments += a.size();
  const auto kernel_only = [&](bool kernel_has, bool ours_has, const char* option) {
    return kernel_has && !ours_has ? fmt::format(", {} kernel only", option) : std::string();
  };
  std::cout << fmt::format(
      "{}: the client sent {} segments; the kernel answered with {}, ministack with {}; {} answers matched "
      "(flags, relative seq/ack, data, options), {} differ only in ACK timing; {} bytes echoed identically; "
      "one FIN each way; both closed from LAST-ACK; SYN-ACKs: MSS {} in both{}{}{}\n",
      name, client.size(), kernel_segments, our_segments, matched, ack_timing, mt.echoed.size(), *our_synack.mss,
      our_synack.window_scale && kernel_synack.window_scale ? ", window scale in both" : "",
      kernel_only(kernel_synack.sack_permitted, our_synack.sack_permitted, "SACK-permitted"),
      kernel_only(kernel_synack.timestamps, our_synack.timestamps, "timestamps"));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TcpGolden, ::testing::ValuesIn(tcp_echo_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return ministack::testing::capture_test_name(param_info.param);
                         });

TEST(TcpGoldenFixtures, ArePresentForTapAndTun) {
  const auto names = tcp_echo_fixtures();
  EXPECT_NE(std::find(names.begin(), names.end(), "tap_tcp_echo.pcap"), names.end()) << fixtures_dir();
  EXPECT_NE(std::find(names.begin(), names.end(), "tun_tcp_echo.pcap"), names.end()) << fixtures_dir();
}

}  // namespace
