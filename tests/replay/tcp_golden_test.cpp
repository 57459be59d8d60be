// Golden TCP conversations: the *_tcp_echo and *_tcp6_echo fixtures in pcaps/ are a real client (nc) holding a whole
// connection with the real Linux kernel's echo service (socat TCP-LISTEN:7 EXEC:cat): handshake, three lines echoed,
// FIN both ways (tests/fixtures/record.sh). The byte-exact golden test (golden_test.cpp) cannot judge them, since two
// TCPs pick different initial sequence numbers; here the client's segments are played through a Stack (echo on port 7,
// its default) at the capture's timestamps, and ministack's side of the conversation is compared with the kernel's.
//
// Translation (tcp_conversation.cpp, shared with tcp_bulk_golden_test.cpp): the client acknowledges the kernel's
// sequence space; before each of its segments goes to ministack, its acknowledgment number is moved into ours (offset =
// our ISS - the kernel's ISS, both read from the SYN-ACKs), and its checksum recomputed. Nothing else is changed: the
// client's later segments still carry the timestamps option the kernel agreed to, which ministack, having not agreed to
// it, ignores (RFC 7323 §3.2).
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
#include <vector>

#include <fmt/format.h>

#include "replay.hpp"
#include "tcp_conversation.hpp"

namespace {

using namespace tcp_conversation;  // NOLINT(google-build-using-namespace): the test's own vocabulary

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

// The conversations over IPv4 and over IPv6 (*_tcp6_echo: the same scenario, MSS 1440).
std::vector<std::string> tcp_echo_fixtures() {
  auto names = fixtures_named(fixtures_dir(), "_tcp_echo");
  const auto v6 = fixtures_named(fixtures_dir(), "_tcp6_echo");
  names.insert(names.end(), v6.begin(), v6.end());
  return names;
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

class TcpGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TcpGolden, ConversationMatchesTheKernel) {
  const std::string name = GetParam();
  auto replayed = replay(fixtures_dir() / name, ministack::StackConfig{});  // echo on port 7
  ASSERT_TRUE(replayed);
  const Conversation& c = *replayed;
  const auto& client = c.client;
  const auto& client_frame = c.client_frame;
  const Side& kernel = c.kernel;
  const Side& ours = c.ours;
  const std::uint32_t client_iss = c.client_iss, kernel_iss = c.kernel_iss, our_iss = c.our_iss;
  const auto& stack = *c.stack;

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
  const Stream kt = stream_of(kernel, kernel_iss, client_iss), mt = stream_of(ours, our_iss, client_iss);
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
  EXPECT_EQ(kt.bytes, sent_by_client) << "the kernel's echo is not what the client sent: the recording is wrong";
  EXPECT_EQ(mt.bytes, kt.bytes) << "the echoed bytes differ";
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
  EXPECT_EQ(c.ours_other, c.kernel_other_expected) << "answers to the frames other than TCP (ARP)";
  EXPECT_EQ(c.ours_unparsed, 0u) << "ministack sent frames that are no answer to this conversation";

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
      name, client.size(), kernel_segments, our_segments, matched, ack_timing, mt.bytes.size(), *our_synack.mss,
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
  EXPECT_NE(std::find(names.begin(), names.end(), "tap_tcp6_echo.pcap"), names.end()) << fixtures_dir();
  EXPECT_NE(std::find(names.begin(), names.end(), "tun_tcp6_echo.pcap"), names.end()) << fixtures_dir();
}

}  // namespace
