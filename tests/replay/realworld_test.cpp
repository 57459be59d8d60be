// Third-party captures through the whole stack: frames from public test suites and sample captures (tcpdump,
// libpcap, suricata-verify, zeek, ...), re-addressed to 192.168.3.12 / 02:00:00:00:00:01. They live beside the
// checkout in MINISTACK_REALWORLD (../shared/pcaps/realworld), are read from there and never copied into the project;
// when they are absent every case is skipped, saying where it looked.
//
// For each file, against the per-file table of that directory's README.md:
//   - the replay never throws (or crashes: the sanitizer build runs this too);
//   - a reply is whatever the stack sent while handling one input frame: an answer (ARP reply, echo reply, UDP
//     echo), possibly fragmented into several frames, or a refusal (an ICMP destination unreachable, a TCP RST),
//     which the README only ever allows as a MAY. The stack must give at least MUST answers, and
//     MUST <= replies <= MUST + MAY;
//   - every frame sent is checked with these tests' own byte reads, never the stack's parsers: ARP replies, echo
//     replies (options included, fragmented replies rebuilt from their fragments), ICMP unreachables (code, quote,
//     and that the datagram they report may be reported at all: RFC 1122 §3.2.2), TCP RSTs (RFC 9293 §3.10.7.1:
//     ports, sequence and acknowledgment numbers and flags against the segment refused, which must be well-formed);
//     for IPv6, ICMPv6 echo replies (RFC 4443 §4.2), neighbor advertisements (RFC 4861 §7.2.4) and ICMPv6 errors
//     (RFC 4443 §2.4: code, pointer, quote, and that the packet may get one at all);
//   - fragments are followed by an independent reassembly model (ReassemblyModel): a fragment may be held silently
//     only while its datagram is incomplete, the frame that completes a datagram is judged by the whole datagram
//     (rebuilt by the model from the file's fragments), and overlapping datagrams are never answered;
//   - every drop names a fault the frame really has (read_frame and the model, an independent reading of each frame),
//     ICMP errors that are due are sent exactly as the documented rate limit allows (ErrorRateModel), the counters
//     agree with all of it, and the certainties the README gives per file are checked (file_checks); a well-formed TCP
//     segment unicast to us for a closed port must get its RST.
// Beyond the files as they are: the same captures through a stack with a 576-byte MTU, so replies go out in
// fragments; real requests from them given Record Route and Timestamp options, re-addressed to broadcast and
// multicast addresses, turned to the UDP echo port, or real TCP segments edited (in memory, never written anywhere);
// and proof that the reply checks catch every single-bit corruption of the real replies.
//
// Beside this file: realworld_expectations.hpp (the README's table), wire_reads.hpp and ip_options (the independent
// byte reads; wire_reads_ipv6.hpp for IPv6), fault_model (what a frame may be dropped for; the reassembly and
// rate-limit models; fault_model_ipv6.cpp for IPv6), reply_checks and echoed_options.cpp (what was sent;
// reply_checks_ipv6.cpp for IPv6), capture_outcome (verify(): a whole capture), file_checks (the README's
// per-file certainties; file_checks_ipv6.cpp: the IPv6 ones, and the listing's RFC exceptions) and derived_frames (the
// requests made in memory).
#include <gtest/gtest.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "capture_outcome.hpp"
#include "derived_frames.hpp"
#include "fault_model.hpp"
#include "file_checks.hpp"
#include "realworld_expectations.hpp"
#include "replay.hpp"
#include "reply_checks.hpp"
#include "wire_reads.hpp"
#include "wire_reads_ipv6.hpp"

#ifndef MINISTACK_REALWORLD
#error "MINISTACK_REALWORLD must name the directory of the real-world captures"
#endif

namespace ministack::realworld {
namespace {

using ministack::testing::replay_capture;

const fs::path kDirectory{MINISTACK_REALWORLD};

// ---------------------------------------------------------------------------------------------------------------
// The tests

void report_problems(const char* file, const Problems& problems) {
  constexpr std::size_t kMaxReported = 40;
  for (std::size_t i = 0; i < problems.size() && i < kMaxReported; ++i) ADD_FAILURE() << file << " " << problems[i];
  EXPECT_EQ(problems.size(), 0u) << problems.size() << " problems in " << file
                                 << (problems.size() > kMaxReported
                                         ? " (the first " + std::to_string(kMaxReported) + " shown)"
                                         : std::string());
}

// RFC 4022's TCP counters against the verdicts: every segment TCP read ends in a tcp_* verdict (these frames open no
// connection), the malformed ones count as tcpInErrs, and each RST sent is one segment out.
void expect_tcp_counters(const Replay& replay, const Outcome& o) {
  const ministack::Counters& c = replay.counters;
  const std::size_t errors =
      count_drops(replay, DropReason::tcp_truncated) + count_drops(replay, DropReason::tcp_bad_data_offset) +
      count_drops(replay, DropReason::tcp_bad_checksum) + count_drops(replay, DropReason::tcp_bad_options);
  const std::size_t segments =
      errors + count_drops(replay, DropReason::tcp_port_closed) + count_drops(replay, DropReason::tcp_reset_ignored) +
      count_drops(replay, DropReason::tcp_to_broadcast) + count_drops(replay, DropReason::tcp_bad_ack) +
      count_drops(replay, DropReason::tcp_listen_no_syn);
  EXPECT_EQ(c.get(ministack::Counter::tcpInSegs), segments) << "segments read by TCP";
  EXPECT_EQ(c.get(ministack::Counter::tcpInErrs), errors) << "segments in error";
  EXPECT_EQ(c.get(ministack::Counter::tcpOutRsts), o.resets);
  EXPECT_EQ(c.get(ministack::Counter::tcpOutSegs), o.resets) << "RSTs are all TCP sends";
}

std::string verbose_line(const Expectation& e, const ReplayedFrame& f, const FrameOutcome& fo, LinkLayer link) {
  std::ostringstream line;
  line << "  " << e.file << " #" << f.index << " " << f.input.size() << "B " << kind_of(f.input, link) << " -> ";
  if (!f.sent.empty()) {
    line << sent_name(fo.sent) << " (" << f.sent.size() << " frame" << (f.sent.size() > 1 ? "s" : "") << ", "
         << f.sent.front().size() << "B first)";
  }
  if (f.drop) line << (f.sent.empty() ? "" : ", ") << "drop " << reason_name(*f.drop);
  if (f.sent.empty() && !f.drop) line << "held";
  if (fo.error_due && !fo.error_allowed) line << " [unreachable rate-limited]";
  return line.str();
}

class RealWorldCapture : public ::testing::TestWithParam<Expectation> {};

TEST_P(RealWorldCapture, RepliesAreCorrectAndWithinMustAndMay) {
  const Expectation& e = GetParam();
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  const fs::path path = kDirectory / e.file;
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();

  // The file is what the README says it is.
  const CaptureFile capture = read_capture_file(path);
  EXPECT_EQ(capture.link_type, e.link_type) << "link type in the file's header";
  EXPECT_EQ(capture.times_us.size(), e.frames) << "records in the file";
  // (MUST + MAY + none need not add up to the frames: MAY also counts acceptable extras, such as an ICMP error
  // about a frame that gets no answer.)
  ASSERT_LE(e.must + e.none, e.frames) << "the README's table";

  Replay replay;
  try {
    replay = replay_capture(path.string());
  } catch (const std::exception& ex) {
    FAIL() << "replaying " << path.string() << " threw: " << ex.what();
  }
  EXPECT_EQ(replay.link, e.link_type == 1 ? LinkLayer::ethernet : LinkLayer::ip);
  ASSERT_EQ(replay.frames.size(), e.frames) << "frames given to the stack";

  // Every frame gets a correct reply, is held as a fragment of an incomplete datagram, or is dropped for a fault
  // it really has; an ICMP error goes with the drop it reports.
  const Outcome o = verify(replay, capture.times_us, kMtu);
  report_problems(e.file, o.problems);

  // Counters agree with what was seen: per drop reason, the verdicts; the three counted apart from any verdict
  // (rate-limited errors, timed-out and evicted datagrams) by the models. The files span well under the 30 s
  // reassembly timeout and hold far fewer than 64 datagrams at once, so nothing times out or is evicted.
  const ministack::Counters& c = replay.counters;
  std::size_t frames_sent = 0;
  for (const ReplayedFrame& f : replay.frames) frames_sent += f.sent.size();
  EXPECT_EQ(c.frames_received(), e.frames);
  EXPECT_EQ(c.frames_sent(), frames_sent);
  EXPECT_EQ(c.get(ministack::Counter::arpOutReplies), o.arp_replies);
  EXPECT_EQ(c.get(ministack::Counter::icmpOutEchoReps), o.echo_replies - o.echo_replies6);
  EXPECT_EQ(c.get(ministack::Counter::icmpOutDestUnreachs), o.errors - o.errors6);
  EXPECT_EQ(c.get(ministack::Counter::Icmp6OutEchoReplies), o.echo_replies6);
  EXPECT_EQ(c.get(ministack::Counter::Icmp6OutNeighborAdvertisements), o.advertisements);
  EXPECT_EQ(c.get(ministack::Counter::Icmp6OutParmProblems) + c.get(ministack::Counter::Icmp6OutDestUnreachs),
            o.errors6);
  EXPECT_EQ(c.get(ministack::Counter::ipReasmOKs), o.completed);
  EXPECT_EQ(c.get(ministack::Counter::ipFragOKs), o.fragmented);
  expect_tcp_counters(replay, o);
  const std::int64_t span_us = capture.times_us.empty() ? 0 : capture.times_us.back() - capture.times_us.front();
  EXPECT_LT(span_us, 30'000'000) << "the file spans the reassembly timeout";
  EXPECT_LT(o.max_in_progress, 64u);
  for (std::size_t i = 0; i < ministack::kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    const std::uint64_t counted = c.get(reason);
    if (reason == DropReason::icmp_error_rate_limited) {
      EXPECT_EQ(counted, o.rate_limited) << "unreachables due but over the rate limit";
    } else {
      EXPECT_EQ(counted, count_drops(replay, reason)) << reason_name(reason) << ": counter vs. verdicts";
    }
  }

  const std::size_t replies = o.replies();
  // The listing's frames that an RFC makes answerable beyond what it says (file_checks: listing_exceptions) add theirs.
  const std::size_t excepted = exceptions_taken(e.file, replay, o);
  std::cout << "[ replies  ] " << e.file << ": " << replies << " replies (" << o.answers << " answers, " << o.errors
            << " ICMP errors, " << o.resets << " TCP RSTs, " << o.fragmented << " fragmented); MUST " << e.must
            << ", MAY " << e.may << ", " << excepted << " documented exceptions -> accepted " << e.must << ".."
            << e.must + e.may + excepted << " with >= " << e.must << " answers; " << o.answerable
            << " frames well-formed requests by an independent reading\n"
            << "[ reasm    ] " << e.file << ": " << o.held << " fragments held, " << o.completed
            << " datagrams reassembled, " << o.overlapping.size() << " overlapping; " << o.rate_limited
            << " ICMP errors rate-limited\n"
            << "[ drops    ] " << e.file << ": " << drop_histogram(replay) << "\n";
  RecordProperty("replies", static_cast<int>(replies));
  RecordProperty("answers", static_cast<int>(o.answers));
  RecordProperty("icmp_errors", static_cast<int>(o.errors));
  RecordProperty("tcp_rsts", static_cast<int>(o.resets));
  RecordProperty("fragmented_replies", static_cast<int>(o.fragmented));
  RecordProperty("must", static_cast<int>(e.must));
  RecordProperty("may", static_cast<int>(e.may));

  // An ICMP error or a RST is never required: MUST is met by answers alone; refusals only ever spend MAY.
  EXPECT_GE(o.answers, e.must) << "answers (ARP, echo) against MUST " << e.must;
  EXPECT_GE(replies, e.must) << "MUST " << e.must;
  EXPECT_LE(replies, e.must + e.may + excepted)
      << "MUST " << e.must << " + MAY " << e.may << " + " << excepted << " documented exceptions";

  // MINISTACK_REALWORLD_VERBOSE=1: one line per frame, to see what became of each.
  if (const char* verbose = std::getenv("MINISTACK_REALWORLD_VERBOSE"); verbose && *verbose && *verbose != '0') {
    for (std::size_t i = 0; i < replay.frames.size(); ++i) {
      std::cout << verbose_line(e, replay.frames[i], o.frames[i], replay.link) << "\n";
    }
  }

  expect_frames_as_listed(kDirectory / "expect" / (fs::path(e.file).stem().string() + ".txt"), replay, o);
  const auto check = file_checks().find(e.file);
  if (check != file_checks().end()) check->second(replay, o, e);
}

std::string case_name(const ::testing::TestParamInfo<Expectation>& param_info) {
  std::string name = fs::path(param_info.param.file).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, RealWorldCapture, ::testing::ValuesIn(expectations()), case_name);

// The same captures through a stack whose MTU is 576: the 1428-byte echo reply to suricata's fragmented request
// (and any other reply over 576 bytes) goes out in fragments, which must rebuild into a correct reply.
constexpr std::size_t kSmallMtu = 576;

Replay replay_with_mtu(const fs::path& path, std::size_t mtu) {
  ministack::StackConfig config;
  config.mtu = mtu;
  return replay_capture(path.string(), {.config = config});
}

TEST(RealWorldCaptures, RepliesFragmentedToASmallerMtuAreCorrect) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  std::size_t fragmented = 0;
  for (const char* file : {"tp_frag.pcap", "tun_tp_ipv4_raw101.pcap", "tp_icmp_echo.pcap"}) {
    const fs::path path = kDirectory / file;
    if (!fs::is_regular_file(path)) continue;
    const Replay replay = replay_with_mtu(path, kSmallMtu);
    const Outcome o = verify(replay, read_capture_file(path).times_us, kSmallMtu);
    report_problems(file, o.problems);
    fragmented += o.fragmented;
    EXPECT_EQ(replay.counters.get(ministack::Counter::ipFragOKs), o.fragmented) << file;
    std::cout << "[ mtu 576  ] " << file << ": " << o.replies() << " replies, " << o.fragmented << " fragmented\n";
  }
  EXPECT_GE(fragmented, 2u) << "the reassembled 1400-byte echo, in tp_frag and raw101, answered in fragments";
}

// Every single-bit corruption of any frame sent, a byte more or less on any of them, and a fragment missing, must
// each be caught by check_sent. Returns the frames checked.
std::size_t expect_corruptions_caught(const char* what, const Replay& replay, const Outcome& o, std::size_t mtu,
                                      std::set<SentKind>& kinds, std::size_t& fragmented) {
  std::size_t checked = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const FrameReading& r = o.frames[i].reading;
    if (f.sent.empty()) continue;
    const auto caught = [&](const std::vector<Bytes>& sent) {
      return !check_sent(f.input, replay.link, r, sent, mtu).problems.empty();
    };
    if (caught(f.sent)) {
      ADD_FAILURE() << what << " frame " << f.index << ": the real reply does not pass";
      continue;
    }
    ++checked;
    kinds.insert(o.frames[i].sent);
    fragmented += f.sent.size() > 1 ? 1 : 0;
    std::size_t missed = 0;
    for (std::size_t k = 0; k < f.sent.size(); ++k) {
      std::vector<Bytes> bad = f.sent;
      for (std::size_t at = 0; at < f.sent[k].size(); ++at) {
        for (unsigned bit = 0; bit < 8; ++bit) {
          bad[k][at] = static_cast<std::uint8_t>(f.sent[k][at] ^ (1u << bit));
          if (!caught(bad) && ++missed <= 3) {
            ADD_FAILURE() << what << " frame " << f.index << ": flipping bit " << bit << " of byte " << at
                          << " of sent frame " << k + 1 << " went unnoticed";
          }
        }
        bad[k][at] = f.sent[k][at];
      }
      bad[k].push_back(0);
      EXPECT_TRUE(caught(bad)) << what << " frame " << f.index << ": a byte more on sent frame " << k + 1;
      bad[k].resize(f.sent[k].size() - 1);
      EXPECT_TRUE(caught(bad)) << what << " frame " << f.index << ": a byte less on sent frame " << k + 1;
      if (f.sent.size() > 1) {
        std::vector<Bytes> fewer = f.sent;
        fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(k));
        EXPECT_TRUE(caught(fewer)) << what << " frame " << f.index << ": fragment " << k + 1 << " missing";
      }
      bad[k] = f.sent[k];
    }
  }
  return checked;
}

// Real echo requests from tp_icmp_echo given Record Route and Timestamp options (as ping -R and -T would send them,
// and a few odd or malformed ones), fed to a stack directly: well-formed ones are answered with the options updated,
// malformed ones dropped as ip_bad_options with nothing sent, odd ones either. The same verify() judges them.
TEST(RealWorldCaptures, EchoRequestsCarryingOptionsAreAnsweredWithThemUpdated) {
  const fs::path path = kDirectory / "tp_icmp_echo.pcap";
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();
  const CaptureFile capture = read_capture_file(path);
  const Replay original = replay_capture(path.string());
  ASSERT_EQ(original.frames.size(), capture.times_us.size());

  std::vector<Bytes> frames;
  std::vector<std::int64_t> times;
  std::vector<Want> wants;
  std::vector<std::string> names;
  std::size_t requests = 0;
  for (std::size_t i = 0; i < original.frames.size() && requests < 6; ++i) {
    const Bytes& in = original.frames[i].input;
    const FrameReading r = read_frame(in, LinkLayer::ethernet);
    if (!r.faults.empty() || !r.delivered || r.ihl != 20 || (*r.delivered)[9] != 1) continue;
    ++requests;
    // An earlier hop's time: a few milliseconds before ours.
    const auto stamp = static_cast<std::uint32_t>((capture.times_us[i] / 1000 + kMsPerDay - 5) % kMsPerDay);
    for (const OptionVariant& v : option_variants(get32(in, kEth + 12), stamp)) {
      frames.push_back(with_options(in, v.options));
      times.push_back(capture.times_us[i]);
      wants.push_back(v.want);
      names.push_back(v.name);
    }
  }
  ASSERT_GT(requests, 0u);
  const Replay replay = run_stack(LinkLayer::ethernet, frames, times);
  const Outcome o = verify(replay, times, kMtu);
  report_problems("tp_icmp_echo.pcap with options", o.problems);
  std::size_t with_options_back = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const std::string& name = names[i];
    switch (wants[i]) {
      case Want::answer:
        EXPECT_TRUE(o.frames[i].reading.faults.empty())
            << name << ": read as " << reason_names(o.frames[i].reading.faults);
        EXPECT_EQ(o.frames[i].sent, SentKind::echo_reply) << name;
        break;
      case Want::drop:
        EXPECT_TRUE(o.frames[i].reading.faults.count(DropReason::ip_bad_options)) << name;
        EXPECT_EQ(f.drop, DropReason::ip_bad_options) << name;
        EXPECT_TRUE(f.sent.empty()) << name;
        break;
      case Want::either:
        EXPECT_TRUE(o.frames[i].reading.faults.empty() &&
                    o.frames[i].reading.tolerated.count(DropReason::ip_bad_options))
            << name;
        break;
    }
    if (!f.sent.empty() && ihl_at(f.sent.front(), kEth) > 20) ++with_options_back;
  }
  EXPECT_GE(with_options_back, requests * 10) << "replies carrying Record Route or Timestamp";

  std::set<SentKind> kinds;
  std::size_t fragmented = 0;
  EXPECT_GT(expect_corruptions_caught("tp_icmp_echo.pcap with options", replay, o, kMtu, kinds, fragmented), 0u);
}

// Real requests from the captures re-addressed (in memory) to what the files do not hold: echo requests to the
// subnet and limited broadcasts and to 224.0.0.1, which must get nothing (RFC 1122 §3.2.2.6, and no amplifier), and
// a real UDP datagram turned towards the echo service on port 7, unicast (answered), broadcast (not), and grown to
// 3000 bytes and sent in fragments (reassembled, answered in fragments). Over TAP, and over TUN without the link
// header.
TEST(RealWorldCaptures, DerivedBroadcastEchoesAndThePortSevenEchoService) {
  const fs::path echo_path = kDirectory / "tp_icmp_echo.pcap", udp_path = kDirectory / "tp_ipv4_other_proto.pcap";
  if (!fs::is_regular_file(echo_path) || !fs::is_regular_file(udp_path)) {
    GTEST_SKIP() << "captures not found: looked for " << echo_path.string() << " and " << udp_path.string();
  }
  // Well-formed requests for us from the files: ICMP echo requests, and UDP datagrams (to ports nobody serves).
  std::vector<Bytes> echoes, udps;
  for (const auto& [path, list] : {std::pair{echo_path, &echoes}, std::pair{udp_path, &udps}}) {
    for (const ReplayedFrame& f : replay_capture(path.string()).frames) {
      const FrameReading r = read_frame(f.input, LinkLayer::ethernet);
      if (!r.delivered || r.ihl != 20 || r.fragment || get32(f.input, kEth + 16) != kOurIp) continue;
      const bool echo = r.faults.empty() && (*r.delivered)[9] == 1;
      const bool udp = r.faults == std::set<DropReason>{DropReason::udp_port_unreachable};
      if ((list == &echoes && echo) || (list == &udps && udp)) list->push_back(slice(f.input, 0, kEth + r.total));
    }
  }
  ASSERT_GE(echoes.size(), 3u);
  ASSERT_GE(udps.size(), 2u);

  struct Case {
    Bytes frame;
    SentKind want;
  };
  std::vector<Case> cases;
  for (std::size_t i = 0; i < 3; ++i) {
    cases.push_back({readdressed(echoes[i], kSubnetBroadcast, false), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], kSubnetBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], kLimitedBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], 0xe0000001, true), SentKind::nothing});  // 224.0.0.1, all hosts
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const Bytes seven = to_udp_port(udps[i], kEchoPort);
    cases.push_back({seven, SentKind::udp_echo});
    cases.push_back({readdressed(seven, kSubnetBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(seven, kLimitedBroadcast, true), SentKind::nothing});
    // 3000 bytes of data in 1480-byte fragments (each identified by its own datagram's ID): held, then answered
    // by the last one, in fragments of its own.
    Bytes big = to_udp_port(udps[i], kEchoPort, 3000);
    put16(big, kEth + 4, static_cast<std::uint16_t>(0x7e00 + i));
    set_ip_checksum(big, kEth, 20);
    const std::vector<Bytes> pieces = fragments_of(big, 1480);
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      cases.push_back({pieces[k], k + 1 == pieces.size() ? SentKind::udp_echo : SentKind::nothing});
    }
  }

  std::size_t fragmented = 0, broadcast_ignored = 0;
  for (const LinkLayer link : {LinkLayer::ethernet, LinkLayer::ip}) {
    const std::string what = link == LinkLayer::ethernet ? "derived (TAP)" : "derived (TUN)";
    std::vector<Bytes> frames;
    std::vector<std::int64_t> times;
    for (const Case& c : cases) {
      frames.push_back(link == LinkLayer::ethernet ? c.frame : slice(c.frame, kEth, c.frame.size() - kEth));
      times.push_back(std::int64_t{1'700'000'000} * 1'000'000 + static_cast<std::int64_t>(times.size()) * 1000);
    }
    const Replay replay = run_stack(link, frames, times);
    const Outcome o = verify(replay, times, kMtu);
    report_problems(what.c_str(), o.problems);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const std::size_t l3 = link == LinkLayer::ethernet ? kEth : 0;
      EXPECT_EQ(o.frames[i].sent, cases[i].want) << what << " case " << i + 1 << ": " << kind_of(frames[i], link)
                                                 << " to " << ip_text(get32(frames[i], l3 + 16));
    }
    fragmented += o.fragmented;
    broadcast_ignored += count_drops(replay, DropReason::ip_broadcast_echo_ignored);
    if (link == LinkLayer::ethernet) {  // (over TUN the same replies, without their link header)
      std::set<SentKind> kinds;
      std::size_t corrupted_fragmented = 0;
      EXPECT_GT(expect_corruptions_caught(what.c_str(), replay, o, kMtu, kinds, corrupted_fragmented), 0u);
      EXPECT_TRUE(kinds.count(SentKind::udp_echo)) << "UDP echoes corrupted";
      EXPECT_GT(corrupted_fragmented, 0u) << "fragmented UDP echoes corrupted";
    }
  }
  EXPECT_EQ(fragmented, 4u) << "the 3000-byte UDP echoes, answered in fragments over TAP and TUN";
  EXPECT_GT(broadcast_ignored, 0u) << "echo requests to broadcast addresses ignored by name";
}

// Real TCP segments for us from the captures (a SYN with options, and a segment with ACK), edited in memory to what
// the files do not hold, each with both checksums right unless the case breaks one: refused with a RST by both rules
// of RFC 9293 §3.10.7.1 (sequence numbers at the wrap of 2^32, SYN, FIN and data counted in SEG.LEN, the TOS less
// its ECN bits), in fragments (judged by the whole segment), or as an ACK to a listening port (§3.10.7.2); or given
// nothing: to a broadcast or multicast address (RFC 1122 §4.2.3.10), a RST (§3.10.7.1), no SYN to a listening port
// (§3.10.7.2), or malformed (cut short, a data offset out of range, a bad checksum, options that do not parse). Over
// TAP, and over TUN without the link header.
TEST(RealWorldCaptures, DerivedTcpSegmentsAreRefusedWithARstOrGetNothing) {
  const fs::path other_path = kDirectory / "tp_ipv4_other_proto.pcap";
  if (!fs::is_regular_file(other_path)) GTEST_SKIP() << "capture not found: looked for " << other_path.string();
  // A SYN without ACK carrying TCP options, and a segment with ACK: well-formed, for closed ports.
  Bytes syn, ack;
  for (const ReplayedFrame& f : replay_capture(other_path.string()).frames) {
    const FrameReading r = read_frame(f.input, LinkLayer::ethernet);
    if (r.faults != std::set<DropReason>{DropReason::tcp_port_closed} || r.ihl != 20 || r.fragment) continue;
    const std::size_t tcp = kEth + 20;
    const std::uint8_t flags = f.input[tcp + 13];
    if (syn.empty() && flags == kTcpSyn && tcp_data_offset_at(f.input, tcp) > kTcpHeader) {
      syn = slice(f.input, 0, kEth + r.total);
    }
    if (ack.empty() && (flags & kTcpAck)) ack = slice(f.input, 0, kEth + r.total);
  }
  ASSERT_FALSE(syn.empty()) << "a SYN with options in " << other_path.string();
  ASSERT_FALSE(ack.empty()) << "a segment with ACK in " << other_path.string();
  const std::size_t syn_options = tcp_data_offset_at(syn, kEth + 20) - kTcpHeader;
  ASSERT_EQ(syn[kEth + 20 + kTcpHeader + syn_options - 3], 3) << "the SYN's options end with window scale";

  struct Case {
    std::string name;
    Bytes frame;
    SentKind want;
    std::set<DropReason> drops;  // the verdicts that are right; empty: held (a fragment)
  };
  const std::set<DropReason> closed{DropReason::tcp_port_closed};
  const auto set32 = [](Bytes& f, std::size_t at, std::uint32_t v) {
    put16(f, at, static_cast<std::uint16_t>(v >> 16));
    put16(f, at + 2, static_cast<std::uint16_t>(v & 0xffff));
  };
  const auto option = [&](std::size_t at_in_options, std::initializer_list<std::uint8_t> bytes) {
    return edited_tcp(syn, [&](Bytes& f, std::size_t tcp) {
      std::copy(bytes.begin(), bytes.end(), f.begin() + static_cast<std::ptrdiff_t>(tcp + 20 + at_in_options));
    });
  };
  std::vector<Case> cases = {
      {"the SYN", syn, SentKind::tcp_rst, closed},
      {"the ACK", ack, SentKind::tcp_rst, closed},
      {"a SYN at sequence 2^32 - 1 (its ACK wraps to 0)",
       edited_tcp(syn, [&](Bytes& f, std::size_t tcp) { set32(f, tcp + 4, 0xffffffff); }), SentKind::tcp_rst, closed},
      {"SYN, FIN and 5 data bytes at sequence 2^32 - 3",
       edited_tcp(syn,
                  [&](Bytes& f, std::size_t tcp) {
                    set32(f, tcp + 4, 0xfffffffd);
                    f[tcp + 13] = kTcpSyn | kTcpFin;
                    f.insert(f.end(), {'h', 'e', 'l', 'l', 'o'});
                  }),
       SentKind::tcp_rst, closed},
      {"ACK 2^32 - 16 with 3 data bytes",
       edited_tcp(ack,
                  [&](Bytes& f, std::size_t tcp) {
                    set32(f, tcp + 8, 0xfffffff0);
                    f.insert(f.end(), {1, 2, 3});
                  }),
       SentKind::tcp_rst, closed},
      {"an unknown option kind 253, skipped by its length", option(0, {253, 4}), SentKind::tcp_rst, closed},
      {"the SYN with TOS 0x13: the RST's is 0x10, without the ECN bits",
       edited_tcp(syn, [](Bytes& f, std::size_t) { f[kEth + 1] = 0x13; }), SentKind::tcp_rst, closed},
      {"the ACK to the echo port, where nothing is to be acknowledged",
       edited_tcp(ack, [](Bytes& f, std::size_t tcp) { put16(f, tcp + 2, kTcpEchoPort); }),
       SentKind::tcp_rst,
       {DropReason::tcp_bad_ack}},
      {"data without SYN or ACK to the discard port",
       edited_tcp(ack,
                  [](Bytes& f, std::size_t tcp) {
                    put16(f, tcp + 2, kTcpDiscardPort);
                    f[tcp + 13] = 0;
                    f.insert(f.end(), {1, 2});
                  }),
       SentKind::nothing,
       {DropReason::tcp_listen_no_syn}},
      {"the ACK with RST to the echo port",
       edited_tcp(ack,
                  [](Bytes& f, std::size_t tcp) {
                    put16(f, tcp + 2, kTcpEchoPort);
                    f[tcp + 13] |= kTcpRst;
                  }),
       SentKind::nothing,
       {DropReason::tcp_reset_ignored}},
      {"the SYN to the subnet broadcast",
       readdressed(syn, kSubnetBroadcast, true),
       SentKind::nothing,
       {DropReason::tcp_to_broadcast}},
      {"the ACK to the limited broadcast",
       readdressed(ack, kLimitedBroadcast, true),
       SentKind::nothing,
       {DropReason::tcp_to_broadcast}},
      {"the SYN to 224.0.0.1",
       readdressed(syn, 0xe0000001, true),
       SentKind::nothing,
       {DropReason::tcp_to_broadcast, DropReason::ip_not_for_us}},
      {"the SYN with RST",
       edited_tcp(syn, [](Bytes& f, std::size_t tcp) { f[tcp + 13] |= kTcpRst; }),
       SentKind::nothing,
       {DropReason::tcp_reset_ignored}},
      {"the ACK with RST",
       edited_tcp(ack, [](Bytes& f, std::size_t tcp) { f[tcp + 13] |= kTcpRst; }),
       SentKind::nothing,
       {DropReason::tcp_reset_ignored}},
      {"the SYN cut to 19 bytes",
       edited_tcp(syn, [](Bytes& f, std::size_t tcp) { f.resize(tcp + 19); }),
       SentKind::nothing,
       {DropReason::tcp_truncated}},
      {"data offset 4",
       edited_tcp(syn, [](Bytes& f, std::size_t tcp) { f[tcp + 12] = 0x40; }),
       SentKind::nothing,
       {DropReason::tcp_bad_data_offset}},
      {"data offset 15, past the segment",
       edited_tcp(syn, [](Bytes& f, std::size_t tcp) { f[tcp + 12] = 0xf0; }),
       SentKind::nothing,
       {DropReason::tcp_bad_data_offset}},
      {"an MSS option of length 5", option(0, {2, 5}), SentKind::nothing, {DropReason::tcp_bad_options}},
      {"an option of length 1", option(0, {30, 1}), SentKind::nothing, {DropReason::tcp_bad_options}},
      {"an option reaching past the header",
       option(0, {30, static_cast<std::uint8_t>(syn_options + 1)}),
       SentKind::nothing,
       {DropReason::tcp_bad_options}},
      {"a kind with no room for its length (the last option, window scale, made NOP NOP 30)",
       option(syn_options - 3, {1, 1, 30}),
       SentKind::nothing,
       {DropReason::tcp_bad_options}},
  };
  Bytes bad_sum = syn;
  bad_sum[kEth + 20 + 16] ^= 0x01;
  cases.push_back(
      {"the SYN with its checksum off by one bit", bad_sum, SentKind::nothing, {DropReason::tcp_bad_checksum}});
  // The SYN in 8-byte fragments, under an ID of its own: held, then refused whole by the last.
  Bytes whole = syn;
  put16(whole, kEth + 4, 0x7c01);
  put16(whole, kEth + 6, 0);
  set_ip_checksum(whole, kEth, 20);
  const std::vector<Bytes> pieces = fragments_of(whole, 8);
  ASSERT_GT(pieces.size(), 2u);
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    const bool last = k + 1 == pieces.size();
    cases.push_back({"the SYN, fragment " + std::to_string(k + 1), pieces[k],
                     last ? SentKind::tcp_rst : SentKind::nothing, last ? closed : std::set<DropReason>{}});
  }

  std::size_t resets = 0;
  for (const LinkLayer link : {LinkLayer::ethernet, LinkLayer::ip}) {
    const std::string what = link == LinkLayer::ethernet ? "derived TCP (TAP)" : "derived TCP (TUN)";
    std::vector<Bytes> frames;
    std::vector<std::int64_t> times;
    for (const Case& c : cases) {
      frames.push_back(link == LinkLayer::ethernet ? c.frame : slice(c.frame, kEth, c.frame.size() - kEth));
      times.push_back(std::int64_t{1'700'000'000} * 1'000'000 + static_cast<std::int64_t>(times.size()) * 1000);
    }
    const Replay replay = run_stack(link, frames, times);
    const Outcome o = verify(replay, times, kMtu);
    report_problems(what.c_str(), o.problems);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const std::optional<DropReason> drop = replay.frames[i].drop;
      EXPECT_EQ(o.frames[i].sent, c.want) << what << ": " << c.name;
      EXPECT_EQ(drop.has_value(), !c.drops.empty()) << what << ": " << c.name;
      if (drop) {
        EXPECT_TRUE(c.drops.count(*drop)) << what << ": " << c.name << " dropped as " << reason_name(*drop);
      }
    }
    resets += o.resets;
    expect_tcp_counters(replay, o);
    if (link == LinkLayer::ethernet) {
      std::set<SentKind> kinds;
      std::size_t fragmented = 0;
      EXPECT_GT(expect_corruptions_caught(what.c_str(), replay, o, kMtu, kinds, fragmented), 0u);
      EXPECT_TRUE(kinds.count(SentKind::tcp_rst)) << "TCP RSTs corrupted";
    }
  }
  EXPECT_EQ(resets, 18u) << "9 segments refused, over TAP and TUN";
}

// Real ICMPv6 echo requests from tp_ipv6 re-addressed (in memory) to groups: to all-nodes and to our solicited-node
// group they are answered, as Linux answers them (net.ipv6.icmp.echo_ignore_multicast 0), from our address of the
// requester's scope (RFC 4443 §2.2, RFC 6724 §5 rule 2): a global requester from fd00:3::12, a link-local one
// (re-sourced to fe80::dead) from fe80::ff:fe00:1; to all-routers, a group we have not joined, they get nothing. Over
// TAP, and over TUN without the link header.
TEST(RealWorldCaptures, DerivedIpv6EchoesToGroupsAreAnsweredFromOurAddressOfTheRightScope) {
  const fs::path path = kDirectory / "tp_ipv6.pcap";
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();
  std::vector<Bytes> echoes;
  for (const ReplayedFrame& f : replay_capture(path.string()).frames) {
    const FrameReading r = read_frame(f.input, LinkLayer::ethernet);
    if (r.ipv6 && r.faults.empty() && r.l4 == kIp6Header && (*r.delivered)[r.l4] == 128) {
      echoes.push_back(slice(f.input, 0, kEth + r.total));
    }
  }
  ASSERT_GE(echoes.size(), 2u);
  const auto to_group = [](Bytes f, const Ip6& group, bool link_local_source) {
    std::copy(group.begin(), group.end(), f.begin() + kEth + 24);
    if (link_local_source) {  // fe80::dead
      std::fill_n(f.begin() + kEth + 8, 16, 0);
      put16(f, kEth + 8, 0xfe80);
      put16(f, kEth + 22, 0xdead);
    }
    const MacAddress mac{{0x33, 0x33, group[12], group[13], group[14], group[15]}};
    packets::put_mac(f, 0, mac);
    // The ICMPv6 checksum again, with the new pseudo-header (RFC 8200 §8.1).
    put16(f, kEth + kIp6Header + 2, 0);
    const Bytes d = slice(f, kEth, f.size() - kEth);
    Bytes pseudo = slice(d, 8, 32);
    const std::size_t length = d.size() - kIp6Header;
    pseudo.insert(pseudo.end(),
                  {0, 0, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), 0, 0, 0, 58});
    pseudo.insert(pseudo.end(), d.begin() + kIp6Header, d.end());
    put16(f, kEth + kIp6Header + 2, packets::reference_checksum(pseudo));
    return f;
  };
  const Ip6 all_routers = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  struct Case {
    Bytes frame;
    SentKind want;
    Ip6 source;  // of the reply
  };
  std::vector<Case> cases;
  for (std::size_t i = 0; i < 2; ++i) {
    cases.push_back({to_group(echoes[i], kAllNodes, false), SentKind::echo_reply, kOurGlobal});
    cases.push_back({to_group(echoes[i], kAllNodes, true), SentKind::echo_reply, kOurLinkLocal});
    cases.push_back({to_group(echoes[i], kSolicitedGlobal, true), SentKind::echo_reply, kOurLinkLocal});
    cases.push_back({to_group(echoes[i], all_routers, false), SentKind::nothing, {}});
  }
  for (const LinkLayer link : {LinkLayer::ethernet, LinkLayer::ip}) {
    const std::string what = link == LinkLayer::ethernet ? "IPv6 to groups (TAP)" : "IPv6 to groups (TUN)";
    std::vector<Bytes> frames;
    std::vector<std::int64_t> times;
    for (const Case& c : cases) {
      frames.push_back(link == LinkLayer::ethernet ? c.frame : slice(c.frame, kEth, c.frame.size() - kEth));
      times.push_back(std::int64_t{1'700'000'000} * 1'000'000 + static_cast<std::int64_t>(times.size()) * 1000);
    }
    const Replay replay = run_stack(link, frames, times);
    const Outcome o = verify(replay, times, kMtu);
    report_problems(what.c_str(), o.problems);
    const std::size_t l3 = link == LinkLayer::ethernet ? kEth : 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      EXPECT_EQ(o.frames[i].sent, cases[i].want) << what << " case " << i + 1 << ": " << kind_of(frames[i], link);
      if (cases[i].want == SentKind::echo_reply && replay.frames[i].sent.size() == 1) {
        EXPECT_EQ(ip6_at(replay.frames[i].sent.front(), l3 + 8), cases[i].source) << what << " case " << i + 1;
      }
    }
    if (link == LinkLayer::ethernet) {
      std::set<SentKind> kinds;
      std::size_t fragmented = 0;
      EXPECT_EQ(expect_corruptions_caught(what.c_str(), replay, o, kMtu, kinds, fragmented), 6u);
      EXPECT_EQ(count_drops(replay, DropReason::eth_multicast_not_joined), 2u) << "to all-routers' MAC";
    } else {
      EXPECT_EQ(count_drops(replay, DropReason::ipv6_not_for_us), 2u) << "to all-routers";
    }
  }
}

// The reply checks are not vacuous: on real replies from the captures (ARP and echo replies, ICMP unreachables, TCP
// RSTs, the reply to a reassembled request, fragmented replies at MTU 576, and the IPv6 echo replies, neighbor
// advertisements and parameter problems of tp_ipv6 and tun_tp_mixed_raw12), every single-bit corruption, a byte
// more and a byte less, and a missing fragment, are each caught.
TEST(RealWorldCaptures, ReplyChecksCatchEveryCorruptionOfARealReply) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  struct Case {
    const char* file;
    std::size_t mtu;
  };
  std::size_t replies = 0, fragmented = 0, replies6 = 0;
  std::set<SentKind> kinds;
  const Case cases[] = {{"tp_arp.pcap", kMtu},
                        {"tp_icmp_echo.pcap", kMtu},
                        {"derived_eth_padding.pcap", kMtu},
                        {"tun_tp_ipv4_228.pcap", kMtu},
                        {"derived_ip_trailer_tun.pcap", kMtu},
                        {"tp_frag.pcap", kMtu},
                        {"tp_ipv4_other_proto.pcap", kMtu},
                        {"tp_ipv6.pcap", kMtu},
                        {"tun_tp_mixed_raw12.pcap", kMtu},
                        {"tp_frag.pcap", kSmallMtu}};
  for (const Case& c : cases) {
    const fs::path path = kDirectory / c.file;
    if (!fs::is_regular_file(path)) continue;
    const Replay replay = replay_with_mtu(path, c.mtu);
    const Outcome o = verify(replay, read_capture_file(path).times_us, c.mtu);
    const std::string what = std::string(c.file) + " (MTU " + std::to_string(c.mtu) + ")";
    const std::size_t checked = expect_corruptions_caught(what.c_str(), replay, o, c.mtu, kinds, fragmented);
    replies += checked;
    if (std::string(c.file) == "tp_ipv6.pcap" || std::string(c.file) == "tun_tp_mixed_raw12.pcap") {
      for (const FrameOutcome& fo : o.frames) replies6 += fo.reading.ipv6 && fo.sent != SentKind::nothing ? 1 : 0;
    }
  }
  if (replies == 0) GTEST_SKIP() << "none of the captures with replies found in " << kDirectory.string();
  EXPECT_TRUE(kinds.count(SentKind::arp_reply) && kinds.count(SentKind::echo_reply) &&
              kinds.count(SentKind::unreachable) && kinds.count(SentKind::tcp_rst))
      << "ARP replies, echo replies, unreachables and TCP RSTs all corrupted";
  EXPECT_TRUE(kinds.count(SentKind::neighbor_advertisement) && kinds.count(SentKind::parameter_problem))
      << "IPv6: neighbor advertisements and parameter problems corrupted (echo replies with the rest)";
  EXPECT_GE(replies6, 24u) << "IPv6 replies corrupted: tp_ipv6's 15 (5 echo replies, 6 advertisements, 4 parameter "
                              "problems) and tun_tp_mixed_raw12's 9 (no advertisements on TUN)";
  EXPECT_GT(fragmented, 0u) << "fragmented replies corrupted";
}

// Every capture in the directory has its expectations in realworld_expectations.hpp: a file added there is not
// silently left out.
TEST(RealWorldCaptures, EveryCaptureInTheDirectoryHasExpectations) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  std::set<std::string> known;
  for (const Expectation& e : expectations()) known.insert(e.file);
  std::size_t captures = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(kDirectory)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    ++captures;
    EXPECT_TRUE(known.count(entry.path().filename().string()))
        << entry.path().string() << " has no expectations in realworld_expectations.hpp";
  }
  EXPECT_GT(captures, 0u) << "no captures in " << kDirectory.string();
}

}  // namespace
}  // namespace ministack::realworld
