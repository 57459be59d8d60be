// Data on established connections through the whole pipeline, on both link layers: echo (RFC 862) byte-exact and
// cut to the MSS, the receive window we advertise (RFC 9293 §3.8.6, RFC 7323 §2.3), discard's delayed ACKs
// (RFC 1122 §4.2.3.2, RFC 5681 §4.2), the peer's scaled window, and the zero window with its persist timer
// (§3.8.6.1). Every segment is read back with the tests' own byte reads (tcp_peer.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tcp_peer.hpp"

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

class TcpDataTest : public TcpPeerTest {
 protected:
  // The receive window a segment offers, in bytes (RFC 7323 §2.3: the field shifted by our shift).
  static std::uint32_t offered(const Peer& p, const Sent& s) { return std::uint32_t{s.window} << p.our_shift; }
};
INSTANTIATE_TEST_SUITE_P(BothLinks, TcpDataTest, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip), link_name);

// RFC 862: what arrives goes back, byte for byte, at our next sequence number, acknowledging it; here the peer's
// numbers cross 2^32 and the ACK wraps.
TEST_P(TcpDataTest, EchoesBytesBackWithTheirAcknowledgment) {
  Peer p{.seq = 0xffffffe0};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame first = packets::distinct_bytes(40, 1);
  const std::vector<Sent> echo = send_data(p, first, at(10));
  EXPECT_EQ(p.seq, 0x00000009u) << "the test's own numbers wrapped";
  ASSERT_EQ(echo.size(), 1u) << "the echo carries the ACK";
  EXPECT_EQ(echo[0].flags, flag::ack | flag::psh);
  EXPECT_EQ(echoed(echo, p.iss + 1, p.seq), first);
  EXPECT_EQ(offered(p, echo[0]), config_.tcp.connection.buffer_bytes - 40) << "the queue's free space";
  p.rcv_nxt = echo[0].end();
  EXPECT_TRUE(send(p.segment(), at(20)).empty()) << "an ACK of all gets nothing";
  const Frame second = packets::bytes_of("hello\n");
  const std::vector<Sent> again = send_data(p, second, at(30));
  EXPECT_EQ(echoed(again, p.rcv_nxt, p.seq), second);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 0u);
}

// More than the MSS at once goes back in segments of the MSS (the peer's 1000 here), the rest in the last.
TEST_P(TcpDataTest, DataLargerThanTheMssIsCutIntoMssSegments) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p, {0x02, 0x04, 0x03, 0xe8, 0x01, 0x03, 0x03, 0x07}));
  const Frame data = packets::distinct_bytes(1460, 9);
  const std::vector<Sent> echo = send_data(p, data, at(10));
  ASSERT_EQ(echo.size(), 2u);
  EXPECT_EQ(echo[0].data.size(), 1000u);
  EXPECT_EQ(echo[1].data.size(), 460u);
  EXPECT_EQ(echoed(echo, p.iss + 1, p.seq), data);
}

// The echo's window is its queue's free space: it shrinks by exactly what is queued and not yet acknowledged, so
// its right edge (SEG.ACK + window) stays where the SYN,ACK put it (+1: the SYN's field is capped at 65535). The
// amounts are multiples of 128 bytes, which any shift up to 7 can say exactly.
TEST_P(TcpDataTest, TheWindowShrinksByWhatIsQueued) {
  Peer p;
  const Sent syn_ack = open(p, kLinuxSynOptions, at(0));
  ASSERT_LE(p.our_shift, 7);
  EXPECT_TRUE(send(p.segment(), at(0)).empty());
  const auto edge = syn_ack.ack + static_cast<std::uint32_t>(config_.tcp.connection.buffer_bytes);
  std::size_t queued = 0;
  for (const std::size_t n : {128u, 1280u, 256u}) {
    const std::vector<Sent> echo = send_data(p, packets::distinct_bytes(n, static_cast<std::uint8_t>(n)), at(10));
    queued += n;
    ASSERT_FALSE(echo.empty());
    for (const Sent& s : echo) {
      EXPECT_EQ(offered(p, s), config_.tcp.connection.buffer_bytes - queued);
      EXPECT_EQ(s.ack + offered(p, s), edge);
    }
  }
  p.rcv_nxt += static_cast<std::uint32_t>(queued);  // all acknowledged: the queue is empty again
  EXPECT_TRUE(send(p.segment(), at(20)).empty());
  const std::vector<Sent> after = send_data(p, packets::distinct_bytes(128, 1), at(30));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(offered(p, after.back()), config_.tcp.connection.buffer_bytes - 128) << "the window opens again";
}

// Its right edge (SEG.ACK + window) must never move left (RFC 9293 §3.8.6, SHLD-14: "A TCP receiver SHOULD NOT shrink
// the window"); with a scale factor the field can only say multiples of 2^shift, and Linux then rounds the old
// window up (tcp_select_window) rather than retract it. Odd amounts of data bring out the rounding; the window still
// follows the queue, at most a few granules (the queue's slack) above its free space and never a granule below it.
TEST_P(TcpDataTest, TheRightEdgeOfTheWindowNeverMovesLeft) {
  Peer p;
  const Sent syn_ack = open(p, kLinuxSynOptions, at(0));
  ASSERT_GT(p.our_shift, 0) << "the case under test needs a scale factor";
  EXPECT_TRUE(send(p.segment(), at(0)).empty());
  std::uint32_t edge = syn_ack.ack + syn_ack.window;  // a SYN's window is unscaled
  const std::uint32_t granule = 1u << p.our_shift;
  std::size_t queued = 0;
  std::int64_t now = 10;
  for (const std::size_t n : {100u, 1u, 1000u, 1u, 7u, 1460u, 3u, 1u, 1u, 5u, 1u}) {
    const std::vector<Sent> echo = send_data(p, packets::distinct_bytes(n, static_cast<std::uint8_t>(n)), at(now++));
    queued += n;
    ASSERT_FALSE(echo.empty());
    for (const Sent& s : echo) {
      const std::uint32_t right = s.ack + offered(p, s);
      EXPECT_GE(static_cast<std::int32_t>(right - edge), 0)
          << "after " << queued << " bytes queued, the right edge moved left by " << edge - right;
      edge = right;
      const std::size_t free = config_.tcp.connection.buffer_bytes - queued;
      EXPECT_LE(offered(p, s), free + 16 * granule) << "after " << queued << " bytes: the window follows the queue";
      EXPECT_GT(offered(p, s) + granule, free) << "after " << queued << " bytes: the window follows the queue";
    }
  }
}

// A peer that sends one byte at a time, never acknowledging the echo, would push a window that is always rounded up
// past any buffer. Once the slack is spent the field rounds down, by less than a granule (RFC 7323 §2.4), and every
// byte offered before is still taken: the queue never holds more than the buffer and its slack.
TEST_P(TcpDataTest, OneByteSegmentsCannotGrowTheQueuePastItsSlack) {
  config_.tcp.connection.buffer_bytes = 0x10000 + 64;  // shift 1, a window field of 0x8020
  Peer p;
  open(p, kLinuxSynOptions, at(0));
  ASSERT_EQ(p.our_shift, 1);
  EXPECT_TRUE(send(p.segment(), at(0)).empty());
  const std::uint32_t first = p.seq;
  std::size_t taken = 0;
  std::uint32_t edge = 0;
  for (int i = 0; i < 200000 && taken <= config_.tcp.connection.buffer_bytes; ++i) {
    const std::size_t before = p.seq;
    const std::vector<Sent> echo = send_data(p, {static_cast<std::uint8_t>(i)}, at(1 + i / 1000));
    if (echo.empty()) continue;
    const Sent& last = echo.back();
    taken = last.ack - first;
    edge = last.ack + offered(p, last);
    if (last.ack == before) break;  // the byte was refused: the window is closed
  }
  EXPECT_LE(taken, config_.tcp.connection.buffer_bytes + 16 * 2) << "the slack bounds what one connection holds";
  EXPECT_GE(taken, config_.tcp.connection.buffer_bytes) << "the whole buffer was offered and taken";
  EXPECT_NE(edge, 0u);
}

// The window we offer is all the queue takes: a peer that fills it exactly gets every byte back, the last
// segment offering window 0; one byte more is outside the window, answered with an ACK and not echoed
// (§3.10.7.4, SEG.LEN > 0 and RCV.WND = 0).
TEST_P(TcpDataTest, AFullWindowIsEchoedWholeAndNothingBeyondIt) {
  config_.tcp.connection.buffer_bytes = 4096;
  Peer p;
  const Sent syn_ack = open(p, kLinuxSynOptions, at(0));
  EXPECT_EQ(syn_ack.window, 4096u);
  EXPECT_TRUE(send(p.segment(), at(0)).empty());
  const Frame data = packets::distinct_bytes(4096, 5);
  const std::vector<Sent> echo = send_in_parts(p, data, 1460, at(1));
  ASSERT_FALSE(echo.empty());
  EXPECT_EQ(echoed(echo, p.iss + 1, std::nullopt), data);
  EXPECT_EQ(echo.back().window, 0u) << "the queue is full";
  const std::vector<Sent> beyond = send_data(p, {0x42}, at(2));
  EXPECT_EQ(name(last_drop()), "tcp_out_of_window");
  ASSERT_EQ(beyond.size(), 1u) << "an ACK";
  EXPECT_TRUE(beyond[0].data.empty());
  EXPECT_EQ(beyond[0].ack, p.seq - 1) << "the byte is not taken";
}

// Discard (RFC 863) sends only ACKs, by the delayed-ACK rule of connection.cpp (RFC 1122 §4.2.3.2, RFC 5681 §4.2):
// a full-sized segment alone waits up to 40 ms; a second full-sized one is acknowledged at once, both together;
// a segment smaller than the MSS is acknowledged at once.
TEST_P(TcpDataTest, DiscardAcknowledgesEverySecondFullSegmentOrAfter40Ms) {
  Peer p{.service = 9};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  EXPECT_TRUE(send_data(p, packets::distinct_bytes(1460, 1), at(1000)).empty()) << "the ACK waits";
  EXPECT_EQ(feeder().stack().next_deadline(), at(1040));
  EXPECT_TRUE(poll(at(1039)).empty());
  const std::vector<Sent> delayed = poll(at(1040));
  ASSERT_EQ(delayed.size(), 1u);
  EXPECT_EQ(delayed[0].flags, flag::ack);
  EXPECT_TRUE(delayed[0].data.empty());
  EXPECT_EQ(delayed[0].seq, p.iss + 1);
  EXPECT_EQ(delayed[0].ack, p.seq);
  EXPECT_EQ(offered(p, delayed[0]), config_.tcp.connection.buffer_bytes) << "discard keeps nothing";

  EXPECT_TRUE(send_data(p, packets::distinct_bytes(1460, 2), at(2000)).empty());
  const std::vector<Sent> second = send_data(p, packets::distinct_bytes(1460, 3), at(2001));
  ASSERT_EQ(second.size(), 1u) << "every second full segment at once";
  EXPECT_EQ(second[0].ack, p.seq);
  EXPECT_TRUE(poll(at(2100)).empty()) << "and no delayed ACK after it";

  const std::vector<Sent> small = send_data(p, packets::bytes_of("x"), at(3000));
  ASSERT_EQ(small.size(), 1u) << "a segment below the MSS at once";
  EXPECT_EQ(small[0].ack, p.seq);
  EXPECT_TRUE(small[0].data.empty());
  EXPECT_EQ(count(Counter::tcpOutSegs), 4u) << "SYN,ACK and three ACKs";
}

// RFC 7323 §2.3: the peer's window field is shifted by the shift its SYN offered: 100 << 7 = 12800 bytes may be in
// flight, and not one more (ten segments' congestion window would allow 14600), until an ACK moves the edge.
TEST_P(TcpDataTest, APeerWindowOf100WithScale7Lets12800BytesOut) {
  Peer p{.window = 100};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::distinct_bytes(9 * 1460, 7);
  const Frame out = echoed(send_in_parts(p, data, 1460, at(10)), p.iss + 1, std::nullopt);
  EXPECT_EQ(out.size(), 12800u);
  EXPECT_EQ(out, packets::slice(data, 0, 12800));
  p.rcv_nxt = p.iss + 1 + 1460;
  const std::vector<Sent> more = send(p.segment(), at(20));
  EXPECT_EQ(echoed(more, p.iss + 1 + 12800, p.seq), packets::slice(data, 12800, data.size() - 12800))
      << "the edge moved 1460 on: the last 340 bytes";
}

// Without the option in the peer's SYN its window is taken as it is (RFC 7323 §2.2): 100 bytes.
TEST_P(TcpDataTest, WithoutWindowScaleAWindowOf100Is100Bytes) {
  Peer p{.window = 100};
  ASSERT_NO_FATAL_FAILURE(establish(p, {0x02, 0x04, 0x05, 0xb4}));
  const Frame data = packets::distinct_bytes(1000, 4);
  const std::vector<Sent> echo = send_data(p, data, at(10));
  EXPECT_EQ(echoed(echo, p.iss + 1, p.seq), packets::slice(data, 0, 100));
}

// A zero window stops sending; at the persist deadline (the RTO, 1 s with no sample yet) a window probe goes out,
// then at twice the interval; a window update lets the data out (RFC 9293 §3.8.6.1).
TEST_P(TcpDataTest, AZeroWindowIsProbedUntilItOpens) {
  Peer p{.window = 0};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::distinct_bytes(100, 6);
  const std::vector<Sent> ack = send_data(p, data, at(1000));
  ASSERT_EQ(ack.size(), 1u) << "only the ACK";
  EXPECT_TRUE(ack[0].data.empty());
  EXPECT_EQ(ack[0].ack, p.seq);
  const auto expect_probe = [&](std::int64_t when) {
    EXPECT_TRUE(poll(at(when - 1)).empty()) << "no probe before " << when;
    const std::vector<Sent> probe = poll(at(when));
    ASSERT_EQ(probe.size(), 1u) << "a probe at " << when;
    EXPECT_TRUE(probe[0].has(flag::ack));
    EXPECT_EQ(probe[0].ack, p.seq);
    // Linux's form (one below SND.UNA, no data) or RFC 9293's (one new byte): either draws the peer's window.
    const bool old_seq = probe[0].seq == p.iss && probe[0].data.empty();
    const bool one_byte = probe[0].seq == p.iss + 1 && probe[0].data == packets::slice(data, 0, 1);
    EXPECT_TRUE(old_seq || one_byte) << "seq " << probe[0].seq << ", " << probe[0].data.size() << " bytes";
  };
  expect_probe(2000);
  expect_probe(4000);
  p.window = 1;  // 128 bytes
  const std::vector<Sent> update = send(p.segment(), at(4100));
  EXPECT_EQ(echoed(update, p.iss + 1, p.seq), data);
}

// A peer that shuts its window and then falls silent would hold its connection (and its buffer) for ever: probes
// that draw nothing are given up after `retries` of them (RFC 9293 §3.8.3's R2, as Linux), the connection aborted
// (tcpEstabResets, RFC 4022). Any segment from the peer, even one that keeps the window shut, starts the count again.
TEST_P(TcpDataTest, WindowProbesThatDrawNothingAreGivenUp) {
  config_.tcp.connection.retries = 3;
  Peer p{.window = 0};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  ASSERT_EQ(send_data(p, packets::distinct_bytes(100, 6), at(1000)).size(), 1u) << "only the ACK";
  EXPECT_EQ(poll(at(2000)).size(), 1u) << "probe 1";
  EXPECT_EQ(poll(at(4000)).size(), 1u) << "probe 2";
  EXPECT_TRUE(send(p.segment(), at(4001)).empty()) << "the peer answers, its window still shut";
  for (const std::int64_t when : {8000, 16000, 32000}) EXPECT_EQ(poll(at(when)).size(), 1u) << "a probe at " << when;
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 1u);
  EXPECT_TRUE(poll(at(64000)).empty()) << "the fourth unanswered probe is not sent: the peer is gone";
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 0u);
  EXPECT_EQ(count(Counter::tcpEstabResets), 1u);
}

// The idle timeout closes with a FIN; when a shut window holds that FIN back and another idle time passes in
// silence, the connection is dropped rather than kept for a FIN that cannot go.
TEST_P(TcpDataTest, AnIdleConnectionWhoseFinCannotGoIsDropped) {
  config_.tcp.connection.idle_timeout = std::chrono::seconds(10);
  Peer p{.window = 0};
  ASSERT_NO_FATAL_FAILURE(establish(p));
  ASSERT_EQ(send_data(p, packets::distinct_bytes(100, 6), at(0)).size(), 1u) << "only the ACK";
  EXPECT_TRUE(send(p.segment(), at(1)).empty());
  for (std::int64_t t = 1000; t <= 24000; t += 1000) {
    for (const Sent& s : poll(at(t))) EXPECT_FALSE(s.has(flag::fin)) << "our FIN cannot go through a shut window";
    if (t == 15000) {
      EXPECT_TRUE(send(p.segment(), at(t)).empty()) << "an answer to a probe: heard at 15 s";
    }
  }
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 1u) << "FIN queued at 11 s, heard at 15 s";
  poll(at(25000));
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 0u) << "silent again from 15 s to 25 s: dropped";
  EXPECT_EQ(count(Counter::tcpEstabResets), 1u);
}

}  // namespace
}  // namespace stack_test
