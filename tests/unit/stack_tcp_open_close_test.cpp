// TCP connections opening and closing through the whole pipeline, on both link layers: the SYN,ACK of a passive
// open (RFC 9293 §3.10.7.2, MSS §3.7.1, window scale RFC 7323 §2.2), the peer's close (§3.6), and the caps that
// drop further SYNs. Every segment is read back with the tests' own byte reads (tcp_peer.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tcp_peer.hpp"

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

class TcpOpenTest : public TcpPeerTest {};
INSTANTIATE_TEST_SUITE_P(BothLinks, TcpOpenTest, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip), link_name);

// A SYN as Linux sends it gets one SYN,ACK: SEG.ACK = SEG.SEQ + 1 (here across the wrap), our MSS, the window scale
// option because the SYN had one, a window field that is never scaled in a SYN (RFC 7323 §2.2), and none of the
// options we do not implement (SACK-permitted, timestamps): agreeing to them would be a promise.
TEST_P(TcpOpenTest, ALinuxSynGetsASynAck) {
  Peer p{.seq = 0xffffffff};
  const Sent s = open(p, kLinuxSynOptions, at(0));
  EXPECT_EQ(s.ack, 0u) << "0xffffffff + 1";
  EXPECT_TRUE(s.data.empty());
  EXPECT_EQ(s.options.size() % 4, 0u);
  EXPECT_EQ(mss_of(s.options), 1460) << "MTU 1500 less 20 bytes of IP and 20 of TCP header";
  const auto shift = window_scale_of(s.options);
  ASSERT_TRUE(shift.has_value()) << "the SYN offered window scaling";
  EXPECT_LE(*shift, 14) << "RFC 7323 §2.3";
  const std::size_t buffer = config_.tcp.connection.buffer_bytes;
  EXPECT_LE(buffer >> *shift, 0xffffu) << "the shift lets the whole buffer be offered";
  EXPECT_EQ(s.window, std::min<std::size_t>(buffer, 0xffff)) << "unscaled";
  EXPECT_EQ(option_kinds(s.options), (std::vector<std::uint8_t>{2, 3})) << "MSS and window scale only";
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 1u);
  EXPECT_EQ(count(Counter::tcpOutSegs), 1u);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u) << "SYN-RECEIVED is not established";
  EXPECT_TRUE(send(p.segment(), at(1)).empty()) << "the handshake's ACK gets nothing";
  EXPECT_FALSE(last_drop().has_value());
  EXPECT_EQ(count(Counter::tcpCurrEstab), 1u);
}

// Our MSS option says what we can receive: the MTU less 40 bytes (RFC 9293 §3.2: "the maximum receive segment
// size at the TCP endpoint that sends this segment"; §3.7.1), whatever the peer's MSS or its absence; Linux sends
// its own advmss (1460 here) in both cases.
TEST_P(TcpOpenTest, TheMssOptionIsOursWhateverThePeers) {
  Peer with_1000{.port = 40001}, without{.port = 40002};
  EXPECT_EQ(mss_of(open(with_1000, {0x02, 0x04, 0x03, 0xe8}, at(0)).options), 1460) << "the peer's 1000 is not ours";
  EXPECT_EQ(mss_of(open(without, {}, at(0)).options), 1460) << "the 536 we assume for the peer is not ours";
}

TEST_P(TcpOpenTest, AtMtu576TheMssOptionIs536) {
  config_.mtu = 576;
  Peer p;
  EXPECT_EQ(mss_of(open(p, kLinuxSynOptions, at(0)).options), 536);
}

// Without the option in the SYN, no window scale in the SYN,ACK (RFC 7323 §2.2: scaling needs both), and the
// peer's MSS is the default 536 (RFC 9293 §3.7.1): 1400 bytes come back in 536-byte segments, each window field
// the unscaled free space of the queue.
TEST_P(TcpOpenTest, ASynWithoutOptionsGetsNoWindowScaleAnd536ByteSegments) {
  Peer p;
  const Sent syn_ack = open(p, {}, at(0));
  EXPECT_EQ(option_kinds(syn_ack.options), std::vector<std::uint8_t>{2}) << "MSS alone";
  EXPECT_FALSE(window_scale_of(syn_ack.options).has_value());
  EXPECT_TRUE(send(p.segment(), at(0)).empty());
  const Frame data = packets::distinct_bytes(1400, 3);
  const std::vector<Sent> echo = send_data(p, data, at(10));
  ASSERT_EQ(echo.size(), 3u);
  EXPECT_EQ(echo[0].data.size(), 536u);
  EXPECT_EQ(echo[1].data.size(), 536u);
  EXPECT_EQ(echo[2].data.size(), 328u);
  EXPECT_EQ(echoed(echo, p.iss + 1, p.seq), data);
  for (const Sent& s : echo) EXPECT_EQ(s.window, config_.tcp.connection.buffer_bytes - 1400) << "no scaling";
}

// The SYN again (our SYN,ACK lost): the same SYN,ACK again, counted as a retransmission (RFC 4022), not a new open.
TEST_P(TcpOpenTest, ASynRepeatedGetsTheSameSynAck) {
  Peer p;
  const Sent first = open(p, kLinuxSynOptions, at(0));
  packets::Tcp again = p.segment(flag::syn);
  again.sequence = p.seq - 1;
  again.acknowledgment = 0;
  again.options = kLinuxSynOptions;
  const std::vector<Sent> sent = send(again, at(300));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].seq, first.seq) << "the same ISS";
  EXPECT_EQ(sent[0].ack, first.ack);
  EXPECT_EQ(sent[0].flags, flag::syn | flag::ack);
  EXPECT_EQ(sent[0].options, first.options);
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 1u);
  EXPECT_EQ(count(Counter::tcpRetransSegs), 1u);
}

// RFC 4987 §3.3: at max_half_open connections in SYN-RECEIVED, a further SYN is dropped and answered with nothing;
// once one completes its handshake, there is room again.
TEST_P(TcpOpenTest, SynsBeyondTheHalfOpenCapGetNothing) {
  config_.tcp.max_half_open = 2;
  config_.tcp.syn_cookies = false;  // with cookies (the default) they get a SYN,ACK instead: SynCookies tests it
  Peer a{.port = 40001}, b{.port = 40002}, c{.port = 40003};
  open(a, kLinuxSynOptions, at(0));
  open(b, kLinuxSynOptions, at(0));
  packets::Tcp syn = c.segment(flag::syn);
  syn.acknowledgment = 0;
  EXPECT_TRUE(send(syn, at(1)).empty());
  EXPECT_EQ(name(last_drop()), "tcp_syn_queue_full");
  EXPECT_EQ(count(DropReason::tcp_syn_queue_full), 1u);
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 2u);
  EXPECT_TRUE(send(a.segment(), at(2)).empty()) << "a's handshake completes";
  open(c, kLinuxSynOptions, at(3));
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 3u);
}

// With the half-open cap full a SYN gets a cookie, but only while its ACK could still make a connection: at the
// connection cap a SYN gets nothing (the client retries, as at any full server). A cookie's ACK that comes back when
// the cap has filled since is answered with a RST (as Linux's tcp_abort_on_overflow), so that the client does not
// believe itself connected to nothing.
TEST_P(TcpOpenTest, NoSynCookieThatCouldNotBecomeAConnection) {
  config_.tcp.max_half_open = 1;
  config_.tcp.max_connections = 2;
  Peer a{.port = 40001}, b{.port = 40002}, c{.port = 40003}, d{.port = 40004};
  open(a, kLinuxSynOptions, at(0));  // half-open: the cap
  open(b, kLinuxSynOptions, at(1));  // a cookie (room for one more connection)
  EXPECT_EQ(count(Counter::TcpExtSyncookiesSent), 1u);
  EXPECT_TRUE(send(a.segment(), at(2)).empty()) << "a established";
  open(c, kLinuxSynOptions, at(3));  // half-open: two connections, the cap
  packets::Tcp syn = d.segment(flag::syn);
  syn.acknowledgment = 0;
  EXPECT_TRUE(send(syn, at(4)).empty()) << "no cookie at the connection cap";
  EXPECT_EQ(name(last_drop()), "tcp_too_many_connections");
  EXPECT_EQ(count(Counter::TcpExtSyncookiesSent), 1u);
  const std::vector<Sent> reset = send(b.segment(), at(5));
  ASSERT_EQ(reset.size(), 1u) << "b's cookie is good, but there is no room: a RST";
  EXPECT_EQ(reset[0].flags, flag::rst);
  EXPECT_EQ(reset[0].seq, b.iss + 1);
  EXPECT_EQ(name(last_drop()), "tcp_too_many_connections");
}

// A SYN with FIN is dropped, as Linux does; a peer's MSS below 48 bytes (Linux's tcp_min_snd_mss, CVE-2019-11479)
// is raised to 48, so that it cannot make every echoed byte a segment of its own.
TEST_P(TcpOpenTest, SynWithFinIsDroppedAndATinyMssIsRaised) {
  Peer f{.port = 40001};
  EXPECT_TRUE(send(f.segment(flag::syn | flag::fin), at(0)).empty());
  EXPECT_EQ(name(last_drop()), "tcp_listen_no_syn");
  Peer p{.port = 40002};
  ASSERT_NO_FATAL_FAILURE(establish(p, Frame{0x02, 0x04, 0x00, 0x01}, at(1)));
  const Frame data = packets::distinct_bytes(480, 3);
  const std::vector<Sent> echo = send_data(p, data, at(2));
  EXPECT_EQ(echoed(echo, p.iss + 1, std::nullopt), data);
  for (const Sent& s : echo) EXPECT_LE(s.data.size(), 48u);
  EXPECT_GE(echo.size(), 10u) << "48-byte segments";
}

// The queues together stay within total_buffer_bytes: with room for two connections' buffers, a third SYN is
// dropped with nothing sent, whether the others are established or half-open.
TEST_P(TcpOpenTest, SynsBeyondTheBufferCapGetNothing) {
  config_.tcp.connection.buffer_bytes = 4096;
  config_.tcp.total_buffer_bytes = 8192;
  Peer a{.port = 40001}, b{.port = 40002}, c{.port = 40003};
  ASSERT_NO_FATAL_FAILURE(establish(a));
  open(b, kLinuxSynOptions, at(0));
  packets::Tcp syn = c.segment(flag::syn);
  syn.acknowledgment = 0;
  EXPECT_TRUE(send(syn, at(1)).empty());
  EXPECT_EQ(name(last_drop()), "tcp_too_many_connections");
  EXPECT_EQ(count(DropReason::tcp_too_many_connections), 1u);
  EXPECT_EQ(count(Counter::tcpPassiveOpens), 2u);
  EXPECT_EQ(count(Counter::tcpOutSegs), 2u) << "the two SYN,ACKs and nothing else";
}

// RFC 9293 §3.6, the peer closes first: its FIN is acknowledged and the service closes too (ESTABLISHED ->
// CLOSE-WAIT -> LAST-ACK, leaving tcpCurrEstab, RFC 4022); the peer's ACK of our FIN ends the connection, so a
// later segment of it is refused with <SEQ=SEG.ACK><CTL=RST> (§3.10.7.2: an ACK to a listening port).
TEST_P(TcpOpenTest, ThePeerClosesFirst) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  EXPECT_EQ(count(Counter::tcpCurrEstab), 1u);
  const std::vector<Sent> fin = send(p.segment(flag::fin | flag::ack), at(100));
  p.seq += 1;
  ASSERT_FALSE(fin.empty());
  for (const Sent& s : fin) EXPECT_EQ(s.ack, p.seq) << "the FIN acknowledged";
  EXPECT_TRUE(fin.back().has(flag::fin)) << "our FIN: echo has nothing more to send";
  EXPECT_EQ(fin.back().seq, p.iss + 1);
  EXPECT_TRUE(fin.back().data.empty());
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u) << "LAST-ACK";
  p.rcv_nxt = fin.back().end();
  EXPECT_TRUE(send(p.segment(), at(110)).empty()) << "the ACK of our FIN gets nothing";
  EXPECT_FALSE(last_drop().has_value());
  EXPECT_FALSE(feeder().stack().next_deadline().has_value()) << "no connection, no timer";
  const std::vector<Sent> reset = send_data(p, packets::bytes_of("late"), at(120));
  EXPECT_EQ(name(last_drop()), "tcp_bad_ack");
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].flags, flag::rst);
  EXPECT_EQ(reset[0].seq, p.rcv_nxt);
  EXPECT_EQ(count(Counter::tcpEstabResets), 0u);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u);
}

// We close first (RFC 9293 §3.6) when a connection has been idle for idle_timeout: our FIN (FIN-WAIT-1); the peer's
// ACK of it (FIN-WAIT-2); the peer's FIN, acknowledged (TIME-WAIT, 2 MSL). A TIME-WAIT connection keeps its 4-tuple
// but no buffer: its queue is given back, so that make_room(), which does not count such connections, still bounds
// the memory. The peer's FIN again is acknowledged again and restarts the wait; after it the connection is gone.
TEST_P(TcpOpenTest, WeCloseFirstAfterTheIdleTimeoutAndWaitInTimeWait) {
  config_.tcp.connection.idle_timeout = std::chrono::seconds(10);
  config_.tcp.connection.time_wait = std::chrono::seconds(60);
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  EXPECT_GT(feeder().stack().usage().tcp_queue_bytes.used, config_.tcp.connection.buffer_bytes - 1);
  EXPECT_TRUE(poll(at(9999)).empty()) << "not idle long enough";
  const std::vector<Sent> fin = poll(at(10000));
  ASSERT_EQ(fin.size(), 1u) << "our FIN at the idle timeout";
  EXPECT_EQ(fin[0].flags, flag::fin | flag::ack);
  EXPECT_EQ(fin[0].seq, p.iss + 1);
  EXPECT_EQ(count(Counter::tcpCurrEstab), 0u) << "FIN-WAIT-1";
  p.rcv_nxt = fin[0].end();
  EXPECT_TRUE(send(p.segment(), at(10001)).empty()) << "FIN-WAIT-2: the ACK of our FIN gets nothing";
  const std::vector<Sent> last = send(p.segment(flag::fin | flag::ack), at(10002));
  p.seq += 1;
  ASSERT_EQ(last.size(), 1u) << "the peer's FIN is acknowledged";
  EXPECT_EQ(last[0].flags, flag::ack);
  EXPECT_EQ(last[0].ack, p.seq);
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 1u) << "TIME-WAIT keeps the 4-tuple";
  EXPECT_EQ(feeder().stack().usage().tcp_queue_bytes.used, 0u) << "but not the buffer";
  p.seq -= 1;
  const std::vector<Sent> again = send(p.segment(flag::fin | flag::ack), at(20000));
  p.seq += 1;
  ASSERT_EQ(again.size(), 1u) << "the FIN again (our ACK was lost) is acknowledged again";
  EXPECT_EQ(again[0].ack, p.seq);
  EXPECT_TRUE(poll(at(75000)).empty());
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 1u)
      << "the FIN again restarts the 2 MSL timeout (RFC 9293 §3.10.7.4, TIME-WAIT)";
  EXPECT_TRUE(poll(at(80002)).empty());
  EXPECT_EQ(feeder().stack().usage().tcp_connections.used, 0u) << "gone after time_wait";
}

// A FIN behind data: the data come back first and our FIN follows them, at the sequence number after the last
// byte; unacknowledged, it is sent again at the retransmission timeout (RFC 6298 §5.4), with the same number.
TEST_P(TcpOpenTest, OurFinFollowsTheEchoAndIsRetransmitted) {
  Peer p;
  ASSERT_NO_FATAL_FAILURE(establish(p));
  const Frame data = packets::bytes_of("bye\n");
  const std::vector<Sent> sent = send(p.segment(flag::fin | flag::psh | flag::ack, data), at(1000));
  p.seq += static_cast<std::uint32_t>(data.size()) + 1;
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(echoed(sent, p.iss + 1, p.seq), data);
  const Sent& fin = sent.back();
  ASSERT_TRUE(fin.has(flag::fin));
  EXPECT_EQ(fin.end(), p.iss + 1 + data.size() + 1) << "the FIN takes the number after the data";
  EXPECT_TRUE(poll(at(1999)).empty());
  const std::vector<Sent> again = poll(at(2000));
  ASSERT_FALSE(again.empty()) << "the FIN and its data again after 1 s (no RTT sample yet)";
  EXPECT_TRUE(again.back().has(flag::fin));
  EXPECT_EQ(again.back().end(), fin.end());
  EXPECT_EQ(echoed(again, p.iss + 1, p.seq), data);
  p.rcv_nxt = fin.end();
  EXPECT_TRUE(send(p.segment(), at(2010)).empty());
  EXPECT_FALSE(feeder().stack().next_deadline().has_value()) << "closed and forgotten";
}

}  // namespace
}  // namespace stack_test
