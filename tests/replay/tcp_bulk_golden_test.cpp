// Golden TCP bulk transfers: the *_tcp_bulk fixtures in pcaps/ are a real client (nc) sending 128 KiB of random bytes
// through the real Linux kernel's echo service (socat TCP-LISTEN:7 EXEC:cat), reading the echo while it sends, then
// closing (tests/fixtures/record.sh). They are replayed into a Stack as the *_tcp_echo fixtures are
// (tcp_conversation.hpp: the client's segments at the capture's timestamps, their acknowledgment numbers moved from
// the kernel's sequence space into ours), and ministack's side is compared with the kernel's.
//
// The recording and the replay are chosen so that the comparison means something:
//   - The replay gives ministack a queue of 256 KiB (StackConfig tcp.connection.buffer_bytes; --tcp-buffer), more
//     than the whole transfer. The client sends as fast as the kernel's window lets it, and behind the kernel's
//     window lie socat, a pipe, cat and another pipe, which held up to 112 KiB of the client's bytes not yet echoed
//     in the recordings: with the default 64 KiB, the client's segments would fall outside ministack's window, be
//     dropped, and the replay would diverge from what the client did. The window ministack advertises is therefore
//     not compared (the e2e and unit tests judge its flow control).
//   - The client's receive buffer is small (nc -I 16384: a window of some 16-19 KB, no window scaling), so the
//     kernel's echo in flight is bounded by the client's window rather than by its congestion window, which grows
//     faster than ministack's (Linux counts the segments an ACK covers; ministack, RFC 5681 §3.1, one SMSS per ACK):
//     ministack, starting with the same 10 segments, then has sent whatever the client acknowledges when it does. A
//     translated ACK for data ministack has not sent yet would be dropped ("ACK for data not yet sent"), so this is
//     checked for every client segment.
//   - The client's namespace offers no timestamps (net.ipv4.tcp_timestamps=0), which ministack does not implement:
//     a full segment is the MSS, 1460 bytes, on both sides.
//
// Compared, frame by frame where the data allow it: the answer to the SYN (flags, relative numbers, MSS equal, window
// scale present in both when offered), to the handshake's ACK (nothing; from ministack the window update named below,
// if anything), and to the client's last ACK (nothing). Over the whole conversation: the echoed byte stream, every byte
// in order, identical to the kernel's and to what the client sent; ministack never retransmits, never sends a RST,
// never sends data beyond the client's window nor segments above the client's MSS, and drops no frame; every client ACK
// acknowledges only data ministack had sent; every client byte and its FIN are acknowledged; each side sends exactly
// one FIN, at the same relative sequence number, acknowledged by the client's last ACK; ministack then holds no
// connection and runs no timer.
//
// The differences that are legitimate, and not compared:
//   - ISN (RFC 9293 §3.4.1, RFC 6528): only relative numbers are compared.
//   - Segment sizes and grouping: both sides send full segments (the MSS) from their queues, but where a run ends in
//     a shorter one depends on what had arrived: for the kernel on cat's reads and writes and on when socat ran
//     (its FIN rides on its last data), for ministack on the client's segments and windows as replayed.
//   - ACK grouping: the kernel's pure ACKs (at once in quick-ack mode, then every second segment or late, RFC 1122
//     §4.2.3.2) and ministack's (on its echo when it has some to send, pure ACKs otherwise) differ in number and
//     place. Pure ACKs are not compared one by one; every byte and the FIN must end up acknowledged.
//   - Window sizes: ministack's 256 KiB queue against the kernel's autotuned buffer; PSH, set where each side's
//     writes end; timestamps and SACK (RFC 7323, RFC 2018): the client offers SACK-permitted, the kernel agrees,
//     ministack does not (yet); no timestamps on either side here.
//   - A window update after the handshake: the SYN-ACK's window is not scaled (RFC 7323 §2.2), so it says 65535 of
//     ministack's 256 KiB; once established, the window has more than doubled, and ministack announces it at once,
//     in a pure ACK answering the handshake's ACK (seq 1, ack 1, its window larger than the SYN-ACK's: checked as
//     such). The kernel, whose receive window starts at 64240 and grows as the application reads, sends none. With
//     the default 64 KiB queue the window does not double and ministack sends none either.
//   - IP identification and checksums, as in golden_test.cpp.
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
using ministack::Counter;

constexpr std::size_t kBulkBytes = 128 * 1024;     // what record.sh sends
constexpr std::size_t kReplayBuffer = 256 * 1024;  // more than the transfer: see above

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

std::vector<std::string> tcp_bulk_fixtures() { return fixtures_named(fixtures_dir(), "_tcp_bulk"); }

class TcpBulkGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TcpBulkGolden, TransferMatchesTheKernel) {
  const std::string name = GetParam();
  ministack::StackConfig config;  // echo on port 7
  config.tcp.connection.buffer_bytes = kReplayBuffer;
  auto replayed = replay(fixtures_dir() / name, config);
  ASSERT_TRUE(replayed);
  const Conversation& c = *replayed;

  // ---- the recording is what it is thought to be ----
  const Segment& syn = c.client.front();
  ASSERT_TRUE(syn.mss) << "the client's SYN has no MSS";
  EXPECT_FALSE(syn.timestamps) << "the client offered timestamps: record.sh turns them off for the bulk transfer";
  Frame sent_by_client;
  std::optional<std::uint32_t> client_fin_end;
  for (const auto& s : c.client) {
    if (!s.payload.empty() && s.seq - c.client_iss == sent_by_client.size() + 1) {
      sent_by_client.insert(sent_by_client.end(), s.payload.begin(), s.payload.end());
    }
    if (s.flags & kFin) client_fin_end = s.seq - c.client_iss + s.length();
  }
  ASSERT_EQ(sent_by_client.size(), kBulkBytes) << "the client did not send the whole bulk, in order";
  ASSERT_TRUE(client_fin_end) << "the client never sent its FIN";
  const Stream k = stream_of(c.kernel, c.kernel_iss, c.client_iss);
  ASSERT_EQ(k.bytes, sent_by_client) << "the kernel's echo is not what the client sent: the recording is wrong";

  // ---- frame by frame, where the data allow it: the handshake and the last ACK ----
  const auto rel = [&](const std::vector<Segment>& answer, std::uint32_t iss) {
    std::vector<Relative> out;
    for (const auto& s : answer) out.push_back(relative(s, iss, c.client_iss));
    return out;
  };
  const auto k_synack = rel(c.kernel.answers.front(), c.kernel_iss);
  const auto m_synack = rel(c.ours.answers.front(), c.our_iss);
  EXPECT_EQ(k_synack, m_synack) << "the answer to the SYN: kernel " << describe(k_synack) << "; ministack "
                                << describe(m_synack);
  const Segment& kernel_synack = c.kernel.answers.front().front();
  const Segment& our_synack = c.ours.answers.front().front();
  ASSERT_TRUE(kernel_synack.mss && our_synack.mss) << "MSS must be in both SYN-ACKs";
  EXPECT_EQ(*kernel_synack.mss, *our_synack.mss) << "MSS";
  if (syn.window_scale) {
    EXPECT_TRUE(kernel_synack.window_scale && our_synack.window_scale)
        << "the client offered window scaling: both SYN-ACKs must carry the option";
  }
  ASSERT_TRUE(c.client[1].pure_ack()) << "the client's second segment is not the handshake's ACK";
  // The one named difference here: ministack's window update (a pure ACK at 1/1, its window larger than the
  // SYN-ACK's), which the kernel does not send.
  const std::uint8_t our_shift = our_synack.window_scale.value_or(0);
  const bool window_update = c.ours.answers[1].size() == 1 && c.ours.answers[1].front().pure_ack() &&
                             c.ours.answers[1].front().seq - c.our_iss == 1 &&
                             c.ours.answers[1].front().ack - c.client_iss == 1 &&
                             (std::uint32_t{c.ours.answers[1].front().window} << our_shift) > our_synack.window;
  EXPECT_TRUE(c.kernel.answers[1].empty() && (c.ours.answers[1].empty() || window_update))
      << "the handshake's ACK: kernel " << describe(rel(c.kernel.answers[1], c.kernel_iss)) << "; ministack "
      << describe(rel(c.ours.answers[1], c.our_iss));
  EXPECT_TRUE(c.kernel.answers.back().empty() && c.ours.answers.back().empty())
      << "the client's last ACK: kernel " << describe(rel(c.kernel.answers.back(), c.kernel_iss)) << "; ministack "
      << describe(rel(c.ours.answers.back(), c.our_iss));

  // ---- segment by segment: within the client's window and MSS, only ACKs for data ministack had sent ----
  const std::uint8_t client_shift = (syn.window_scale && our_synack.window_scale) ? *syn.window_scale : 0;
  std::uint32_t sent_end = 1;                  // relative: past the last byte (or FIN) ministack has sent
  std::uint32_t window_edge = 1 + syn.window;  // relative: the client's window's right edge, as last told
  std::size_t beyond_window = 0, above_mss = 0, unsent_acked = 0, our_data_segments = 0, kernel_data_segments = 0,
              our_full = 0, kernel_full = 0;
  for (std::size_t i = 0; i < c.client.size(); ++i) {
    const Segment& s = c.client[i];
    if (i > 0 && (s.flags & kAck)) {
      const std::uint32_t ack = s.ack - c.kernel_iss;  // = ours, translated
      if (static_cast<std::int32_t>(ack - sent_end) > 0 && unsent_acked++ == 0) {
        ADD_FAILURE() << name << " client segment " << i + 1 << " (frame " << c.client_frame[i] + 1 << ") acknowledges "
                      << ack << ", ministack had sent up to " << sent_end
                      << ": its echo did not keep up with the kernel's";
      }
      window_edge = ack + (std::uint32_t{s.window} << client_shift);
    }
    for (const auto& ours : c.ours.answers[i]) {
      const std::uint32_t seq = ours.seq - c.our_iss;
      const std::uint32_t end = seq + ours.length();
      if (!ours.payload.empty()) ++our_data_segments;
      if (ours.payload.size() == *syn.mss) ++our_full;
      if (ours.payload.size() > *syn.mss) ++above_mss;
      if (!(ours.flags & kSyn) && static_cast<std::int32_t>(end - (ours.flags & kFin ? 1 : 0) - window_edge) > 0 &&
          beyond_window++ == 0) {
        ADD_FAILURE() << name << " after client segment " << i + 1 << ": ministack sent up to " << end
                      << ", beyond the client's window, whose right edge is " << window_edge;
      }
      if (static_cast<std::int32_t>(end - sent_end) > 0) sent_end = end;
    }
    for (const auto& theirs : c.kernel.answers[i]) {
      if (!theirs.payload.empty()) ++kernel_data_segments;
      if (theirs.payload.size() == *syn.mss) ++kernel_full;
    }
  }
  EXPECT_EQ(unsent_acked, 0u) << "client segments that acknowledge data ministack had not sent";
  EXPECT_EQ(beyond_window, 0u) << "segments beyond the client's window";
  EXPECT_EQ(above_mss, 0u) << "segments longer than the client's MSS " << *syn.mss;

  // ---- the whole conversation ----
  const Stream m = stream_of(c.ours, c.our_iss, c.client_iss);
  EXPECT_EQ(m.bytes.size(), k.bytes.size()) << "ministack echoed a different number of bytes";
  EXPECT_TRUE(m.bytes == k.bytes)
      << "the echoed bytes differ from the kernel's (first difference at byte "
      << (std::mismatch(m.bytes.begin(), m.bytes.end(), k.bytes.begin(), k.bytes.end()).first - m.bytes.begin()) << ")";
  EXPECT_EQ(k.fins, 1u);
  EXPECT_EQ(m.fins, 1u) << "ministack must send exactly one FIN";
  EXPECT_EQ(m.synacks, 1u);
  EXPECT_EQ(m.rsts, 0u);
  EXPECT_EQ(k.highest_ack, *client_fin_end) << "the kernel did not acknowledge all of the client's bytes and FIN";
  EXPECT_EQ(m.highest_ack, *client_fin_end) << "ministack did not acknowledge all of the client's bytes and FIN";
  ASSERT_TRUE(k.fin_seq && m.fin_seq);
  EXPECT_EQ(*m.fin_seq, *k.fin_seq) << "the FINs are not at the same relative sequence number";
  const Segment& last = c.client.back();
  EXPECT_TRUE(last.pure_ack() && last.ack - c.kernel_iss == *k.fin_seq + 1)
      << "the client's last segment is not its ACK of the FINs";

  const auto& stack = *c.stack;
  const auto& counters = stack.stack().counters();
  EXPECT_EQ(counters.total_drops(), 0u) << "ministack dropped frames of the conversation";
  EXPECT_EQ(counters.get(Counter::tcpPassiveOpens), 1u);
  EXPECT_EQ(counters.get(Counter::tcpCurrEstab), 0u) << "ministack still holds the connection";
  EXPECT_EQ(counters.get(Counter::tcpEstabResets), 0u);
  EXPECT_EQ(counters.get(Counter::tcpRetransSegs), 0u) << "ministack retransmitted";
  EXPECT_FALSE(stack.stack().next_deadline()) << "a timer still runs: the connection did not reach CLOSED";
  EXPECT_EQ(c.ours_other, c.kernel_other_expected) << "answers to the frames other than TCP (ARP)";
  EXPECT_EQ(c.ours_unparsed, 0u) << "ministack sent frames that are no answer to this conversation";

  std::size_t kernel_segments = 0, our_segments = 0;
  for (const auto& a : c.kernel.answers) kernel_segments += a.size();
  for (const auto& a : c.ours.answers) our_segments += a.size();
  std::cout << fmt::format(
      "{}: the client sent {} segments ({} bytes); the kernel answered with {} ({} with data, {} full), ministack "
      "with {} ({} with data, {} full){}; {} bytes echoed, {}; SYN-ACKs alike (MSS {}); one FIN each way at {}; "
      "every client ACK for data ministack had sent; closed from LAST-ACK\n",
      name, c.client.size(), sent_by_client.size(), kernel_segments, kernel_data_segments, kernel_full, our_segments,
      our_data_segments, our_full, window_update ? ", a window update after the handshake" : "", m.bytes.size(),
      m.bytes == k.bytes ? "the kernel's" : "NOT the kernel's", *our_synack.mss, *m.fin_seq);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TcpBulkGolden, ::testing::ValuesIn(tcp_bulk_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return ministack::testing::capture_test_name(param_info.param);
                         });

TEST(TcpBulkGoldenFixtures, ArePresentForTapAndTun) {
  const auto names = tcp_bulk_fixtures();
  EXPECT_NE(std::find(names.begin(), names.end(), "tap_tcp_bulk.pcap"), names.end()) << fixtures_dir();
  EXPECT_NE(std::find(names.begin(), names.end(), "tun_tcp_bulk.pcap"), names.end()) << fixtures_dir();
}

}  // namespace
