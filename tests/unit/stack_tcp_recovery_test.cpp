// Loss and attack on connections through the whole pipeline, on both link layers, with time injected: the
// retransmission timer (RFC 6298) and its back-off, Karn's rule, the SYN,ACK's retries, fast retransmit (RFC 5681
// §3.2), and the arrival rules for RST, SYN and odd ACKs (RFC 9293 §3.10.7.4, RFC 5961). Every segment is read
// back with the tests' own byte reads (tcp_peer.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tcp_peer.hpp"

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

class TcpRecoveryTest : public TcpPeerTest {
 protected:
  // Expects nothing from poll() just before `when` and, at `when`, the same bytes again at sequence number `seq`.
  void expect_resent(std::int64_t when, std::uint32_t seq, const Frame& data, const Peer& p) {
    EXPECT_TRUE(poll(at(when - 1)).empty()) << "nothing before " << when << " ms";
    const std::vector<Sent> again = poll(at(when));
    ASSERT_EQ(again.size(), 1u) << "one retransmission at " << when << " ms";
    EXPECT_EQ(again[0].seq, seq);
    EXPECT_EQ(again[0].ack, p.seq);
    EXPECT_EQ(again[0].data, data);
  }
  // p's data must come back at once as one segment; returns it.
  Sent echo(Peer& p, const Frame& data, std::int64_t when) {
    const std::vector<Sent> sent = send_data(p, data, at(when));
    EXPECT_EQ(sent.size(), 1u);
    if (sent.size() != 1) return {};
    EXPECT_EQ(sent[0].data, data);
    return sent[0];
  }
};
INSTANTIATE_TEST_SUITE_P(BothLinks, TcpRecoveryTest, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip), link_name);

// RFC 6298: with no RTT sample yet the RTO is 1 s (§2.1); at its expiry the earliest unacknowledged segment goes
// again, same sequence number, same bytes (§5.4), counted in tcpRetransSegs, and the RTO doubles (§5.5); the ACK
// stops the timer (§5.2).
TEST_P(TcpRecoveryTest, UnacknowledgedDataIsResentAtTheRtoWhichDoubles) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::distinct_bytes(300, 2);
  const Sent first = echo(p, data, 1000);
  const std::uint64_t out_segs = count(Counter::tcpOutSegs);
  expect_resent(2000, first.seq, data, p);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 1u);
  EXPECT_EQ(count(Counter::tcpOutSegs), out_segs) << "a retransmission is not counted in tcpOutSegs (RFC 4022)";
  expect_resent(4000, first.seq, data, p);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 2u);
  p.rcv_nxt = first.end();
  EXPECT_TRUE(send(p.segment(), at(4050)).empty());
  EXPECT_TRUE(poll(at(8000)).empty());
  EXPECT_TRUE(poll(at(60000)).empty());
  EXPECT_EQ(count(Counter::tcpRetransSegs), 2u);
}

// A sample from an ACK 100 ms after the data: SRTT 100, RTTVAR 50, RTO 100 + 4 * 50 = 300 ms (RFC 6298 §2.2).
TEST_P(TcpRecoveryTest, TheRtoComesFromTheMeasuredRoundTrip) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  p.rcv_nxt = echo(p, packets::distinct_bytes(10, 1), 1000).end();
  EXPECT_TRUE(send(p.segment(), at(1100)).empty());
  const Frame data = packets::distinct_bytes(20, 2);
  const Sent second = echo(p, data, 2000);
  expect_resent(2300, second.seq, data, p);
}

// Karn's rule (RFC 6298 §3, §5.7): the ACK of a retransmitted segment gives no sample (10 ms after the
// retransmission would make the RTO 200 ms; 1010 ms after the first sending, 3030 ms), so the backed-off RTO of
// 2 s stays for the next data.
TEST_P(TcpRecoveryTest, AnAckOfARetransmissionGivesNoSample) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::distinct_bytes(10, 3);
  const Sent first = echo(p, data, 1000);
  expect_resent(2000, first.seq, data, p);
  p.rcv_nxt = first.end();
  EXPECT_TRUE(send(p.segment(), at(2010)).empty());
  const Frame more = packets::distinct_bytes(10, 4);
  const Sent second = echo(p, more, 5000);
  expect_resent(7000, second.seq, more, p);
}

// An unanswered SYN,ACK is sent again after 1, 2, 4, 8 and 16 s (RFC 6298 §5.5, Linux's tcp_synack_retries 5),
// each the same segment; when the last wait (32 s) runs out too, the half-open connection is dropped without a
// word and counted in tcpAttemptFails (RFC 4022). Its late ACK is then refused.
TEST_P(TcpRecoveryTest, AnUnansweredSynAckIsRetriedThenDropped) {
  Peer p;
  const Sent syn_ack = open(p, kLinuxSynOptions, at(0));
  ASSERT_EQ(config_.tcp.connection.syn_ack_retries, 5u);
  std::int64_t when = 0;
  for (std::int64_t rto = 1000; rto <= 16000; rto *= 2) {
    when += rto;
    EXPECT_TRUE(poll(at(when - 1)).empty());
    const std::vector<Sent> again = poll(at(when));
    ASSERT_EQ(again.size(), 1u) << "at " << when << " ms";
    EXPECT_EQ(again[0].flags, syn_ack.flags);
    EXPECT_EQ(again[0].seq, syn_ack.seq);
    EXPECT_EQ(again[0].ack, syn_ack.ack);
    EXPECT_EQ(again[0].options, syn_ack.options);
  }
  EXPECT_EQ(count(Counter::tcpRetransSegs), 5u);
  EXPECT_EQ(count(Counter::tcpAttemptFails), 0u);
  EXPECT_TRUE(poll(at(when + 32000 - 1)).empty());
  EXPECT_TRUE(poll(at(when + 32000)).empty()) << "dropped, nothing sent";
  EXPECT_EQ(count(Counter::tcpAttemptFails), 1u);
  EXPECT_FALSE(feeder().stack().next_deadline().has_value());
  const std::vector<Sent> reset = send(p.segment(), at(when + 32001));
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].flags, flag::rst) << "no connection any more";
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u);
}

// RFC 5681 §3.2: the third duplicate ACK (no data, the same window, data outstanding) resends the first
// unacknowledged segment at once, long before the RTO.
TEST_P(TcpRecoveryTest, ThreeDuplicateAcksResendTheFirstUnacknowledgedSegment) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  std::vector<Sent> sent;
  for (std::uint8_t i = 0; i < 4; ++i) sent.push_back(echo(p, packets::distinct_bytes(1460, i), 1000));
  ASSERT_EQ(sent.size(), 4u);
  p.rcv_nxt = sent[0].end();
  EXPECT_TRUE(send(p.segment(), at(1050)).empty()) << "a new ACK";
  EXPECT_TRUE(send(p.segment(), at(1051)).empty()) << "duplicate 1";
  EXPECT_TRUE(send(p.segment(), at(1052)).empty()) << "duplicate 2";
  const std::vector<Sent> fast = send(p.segment(), at(1053));
  ASSERT_EQ(fast.size(), 1u) << "duplicate 3: fast retransmit";
  EXPECT_EQ(fast[0].seq, sent[1].seq);
  EXPECT_EQ(fast[0].data, sent[1].data);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 1u);
}

// RFC 6582 (NewReno): two segments lost from one window. Three duplicate ACKs resend the first hole; the ACK that
// follows covers it but not everything sent before the recovery (a partial ACK), and the second hole goes at once,
// not at the RTO. The ACK of everything ends the recovery; a later run of duplicates may start another.
TEST_P(TcpRecoveryTest, APartialAckResendsTheNextHoleAtOnce) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  std::vector<Sent> sent;
  for (std::uint8_t i = 0; i < 6; ++i) sent.push_back(echo(p, packets::distinct_bytes(1460, i), 1000));
  ASSERT_EQ(sent.size(), 6u);
  p.rcv_nxt = sent[0].end();  // 0 arrived; 1 and 3 were lost; 2, 4 and 5 each draw a duplicate
  EXPECT_TRUE(send(p.segment(), at(1050)).empty()) << "a new ACK";
  EXPECT_TRUE(send(p.segment(), at(1051)).empty()) << "duplicate 1";
  EXPECT_TRUE(send(p.segment(), at(1052)).empty()) << "duplicate 2";
  const std::vector<Sent> fast = send(p.segment(), at(1053));
  ASSERT_EQ(fast.size(), 1u) << "duplicate 3: fast retransmit";
  EXPECT_EQ(fast[0].seq, sent[1].seq);
  p.rcv_nxt = sent[3].seq;  // 1 filled its hole: 0..2 are in, 3 is not
  const std::vector<Sent> partial = send(p.segment(), at(1060));
  ASSERT_FALSE(partial.empty()) << "a partial ACK: the next hole at once";
  EXPECT_EQ(partial[0].seq, sent[3].seq);
  EXPECT_EQ(partial[0].data, sent[3].data);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 2u);
  p.rcv_nxt = sent[5].end();  // the full ACK
  EXPECT_TRUE(send(p.segment(), at(1070)).empty()) << "nothing is left to send";
  EXPECT_TRUE(poll(at(5000)).empty()) << "no RTO: everything is acknowledged";
  EXPECT_EQ(count(Counter::tcpRetransSegs), 2u);
}

// A peer that filled our window, its first segment lost, sends its ACKs at exactly the right edge (RCV.NXT +
// RCV.WND), where RFC 9293's table refuses a segment without data. Their acknowledgment must still count, as in
// Linux's tcp_sequence(): else what we sent waits for the RTO, and the peer's ACKs draw only ACKs.
TEST_P(TcpRecoveryTest, AnAckAtTheRightEdgeOfTheWindowIsTaken) {
  config_.tcp.connection.buffer_bytes = 4096;
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Sent first = echo(p, packets::distinct_bytes(100, 1), 1000);  // queued until the peer acknowledges it
  const std::uint32_t edge = first.ack + first.window;
  p.seq += 1460;           // a segment lost on the way
  while (p.seq != edge) {  // the rest of the window, held past the hole
    const std::vector<Sent> held = send_data(p, packets::distinct_bytes(std::min(edge - p.seq, 1460u), 2), at(1001));
    ASSERT_EQ(held.size(), 1u) << "a duplicate ACK for the hole";
    EXPECT_EQ(held[0].ack, first.ack);
  }
  ASSERT_EQ(p.seq, edge) << "the peer has sent all the window allows";
  p.rcv_nxt = first.end();
  EXPECT_TRUE(send(p.segment(), at(1002)).empty()) << "an ACK alone draws no ACK";
  EXPECT_NE(last_drop(), DropReason::tcp_out_of_window);
  EXPECT_TRUE(poll(at(10000)).empty()) << "our 100 bytes are acknowledged: nothing to resend";
  EXPECT_EQ(count(Counter::tcpRetransSegs), 0u);
}

// RFC 5961 §3.2: a RST at exactly RCV.NXT resets the connection (tcpEstabResets, out of tcpCurrEstab), and nothing
// is sent; the connection is gone, so its next segment is refused.
TEST_P(TcpRecoveryTest, ARstAtRcvNxtResets) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  EXPECT_TRUE(send(p.segment(flag::rst), at(10)).empty());
  EXPECT_FALSE(last_drop().has_value());
  EXPECT_EQ(count(Counter::tcpEstabResets), 1u);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u);
  const std::vector<Sent> reset = send_data(p, packets::bytes_of("x"), at(20));
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].flags, flag::rst);
  EXPECT_EQ(reset[0].seq, p.rcv_nxt);
}

// RFC 5961 §3.2: a RST in the window but not at RCV.NXT gets a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
// and the connection lives; a RST outside the window gets nothing at all (RFC 9293 §3.10.7.4).
TEST_P(TcpRecoveryTest, ARstInTheWindowButNotAtRcvNxtIsChallenged) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  packets::Tcp rst = p.segment(flag::rst);
  rst.sequence = p.seq + 1;
  const std::vector<Sent> challenge = send(rst, at(10));
  EXPECT_EQ(name(last_drop()), "tcp_reset_challenged");
  ASSERT_EQ(challenge.size(), 1u);
  EXPECT_EQ(challenge[0].flags, flag::ack);
  EXPECT_EQ(challenge[0].seq, p.iss + 1);
  EXPECT_EQ(challenge[0].ack, p.seq);
  rst.sequence = p.seq + 100000;
  EXPECT_TRUE(send(rst, at(11)).empty()) << "outside the window: nothing";
  EXPECT_EQ(name(last_drop()), "tcp_out_of_window");
  EXPECT_EQ(count(Counter::tcpEstabResets), 0u);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 1u);
  echo(p, packets::bytes_of("alive"), 20);
}

// RFC 5961 §4.2: a SYN on a synchronized connection, in the window or not, gets an ACK and changes nothing.
TEST_P(TcpRecoveryTest, ASynOnAnEstablishedConnectionGetsAChallengeAck) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  std::int64_t now = 10;
  for (const std::uint32_t seq : {p.seq + 10, p.seq - 1}) {
    packets::Tcp syn = p.segment(flag::syn);
    syn.sequence = seq;
    syn.acknowledgment = 0;
    syn.options = kLinuxSynOptions;
    const std::vector<Sent> challenge = send(syn, at(now));
    now += 500;  // apart by the rate limit's interval
    ASSERT_EQ(challenge.size(), 1u) << "seq " << seq;
    EXPECT_EQ(challenge[0].flags, flag::ack);
    EXPECT_EQ(challenge[0].seq, p.iss + 1);
    EXPECT_EQ(challenge[0].ack, p.seq);
  }
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 1u);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 1u);
  echo(p, packets::bytes_of("alive"), now);
}

// RFC 5961 §7: challenge ACKs, and ACKs for segments without data outside the window, are what an attacker can
// draw at will; at most one per 500 ms per connection (Linux's tcp_invalid_ratelimit). Old data outside the window
// is always answered: a retransmission needs its duplicate ACK.
TEST_P(TcpRecoveryTest, AnswersToInvalidSegmentsAreRateLimited) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  std::size_t acks = 0;
  for (int i = 0; i < 100; ++i) {
    packets::Tcp rst = p.segment(flag::rst);
    rst.sequence = p.seq + 100 + static_cast<std::uint32_t>(i);  // in the window, not at RCV.NXT
    acks += send(rst, at(10 + i)).size();
    packets::Tcp old = p.segment();
    old.sequence = p.seq - 5000;  // an ACK far outside the window
    acks += send(old, at(10 + i)).size();
  }
  EXPECT_EQ(acks, 1u) << "one answer for 200 invalid segments in 110 ms";
  EXPECT_EQ(count(DropReason::tcp_reset_challenged), 100u) << "each counted";
  packets::Tcp stale = p.segment(flag::ack | flag::psh, packets::bytes_of("old"));
  stale.sequence = p.seq - 3;
  EXPECT_EQ(send(stale, at(120)).size(), 1u) << "old data: answered, whatever the limit";
  packets::Tcp rst = p.segment(flag::rst);
  rst.sequence = p.seq + 1;
  EXPECT_EQ(send(rst, at(510)).size(), 1u) << "500 ms after the last one: answered again";
  EXPECT_EQ(count(Counter::tcpCurrEstab), 1u);
}

// RFC 9293 §3.10.7.4: a segment outside the window, ahead or wholly old, gets an ACK of RCV.NXT and is not taken.
TEST_P(TcpRecoveryTest, ASegmentOutsideTheWindowGetsAnAck) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const std::uint32_t next = p.seq;
  p.rcv_nxt = echo(p, packets::distinct_bytes(100, 1), 10).end();
  for (const std::uint32_t seq : {next + 100 + 200000, next}) {
    packets::Tcp t = p.segment(flag::ack | flag::psh, packets::distinct_bytes(50, 2));
    t.sequence = seq;
    const std::vector<Sent> ack = send(t, at(20));
    EXPECT_EQ(name(last_drop()), "tcp_out_of_window");
    ASSERT_EQ(ack.size(), 1u) << "seq " << seq;
    EXPECT_TRUE(ack[0].data.empty()) << "nothing echoed";
    EXPECT_EQ(ack[0].ack, p.seq);
  }
}

// RFC 9293 §3.10.7.4 (RFC 5961 §5.2): "If the ACK acks something not yet sent (SEG.ACK > SND.NXT) then send an
// ACK, drop the segment, and return": its data are not taken, so the same data acknowledging rightly are echoed.
TEST_P(TcpRecoveryTest, AnAckForUnsentDataGetsAnAckAndIsDropped) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::bytes_of("abc");
  packets::Tcp t = p.segment(flag::ack | flag::psh, data);
  t.acknowledgment = p.iss + 1 + 1000;
  const std::vector<Sent> ack = send(t, at(10));
  EXPECT_EQ(name(last_drop()), "tcp_ack_unsent");
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_TRUE(ack[0].data.empty());
  EXPECT_EQ(ack[0].ack, p.seq) << "RCV.NXT unchanged: the data were not taken";
  echo(p, data, 20);
}

}  // namespace
}  // namespace stack_test
