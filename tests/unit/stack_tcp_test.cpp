// TCP through the whole pipeline, on both link layers: a segment for a port nobody listens on is refused with a
// RST whose fields follow RFC 9293 §3.10.7.1; RSTs, broadcasts and bad segments get nothing at all. Every RST is
// read back with these tests' own byte reads and checksums (packets.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include "packets.hpp"
#include "stack_fixture.hpp"

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

// What a RST must carry besides SEQ, ACK and flags: the TOS and its ports (the segment's destination and source).
struct Extra {
  std::uint8_t tos = 0;
  std::uint16_t from = 80;
  std::uint16_t to = 40000;
};

class StackTcpTest : public ::testing::TestWithParam<LinkLayer> {
 protected:
  bool tap() const { return GetParam() == LinkLayer::ethernet; }
  std::size_t l3() const { return tap() ? 14 : 0; }

  // A segment from the peer in an IPv4 packet as the device delivers it.
  Frame deliver(const packets::Tcp& t, packets::Ipv4 h = {}, const packets::Ethernet& e = {}) const {
    h.protocol = 6;
    packets::Tcp with_addresses = t;
    with_addresses.destination = h.destination;
    const Frame ip = packets::ipv4(h, packets::tcp(with_addresses));
    return tap() ? packets::ethernet(e, ip) : ip;
  }

  // Feeds `segment`, which must be refused with exactly one RST; checks that RST in full against what the segment
  // says and returns its TCP header (20 bytes).
  Frame expect_reset(const Frame& segment, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                     const Extra& extra = {}) {
    const Counters before = harness_.stack().counters();
    const Verdict v = harness_.receive(segment);
    EXPECT_EQ(name(v.drop), "tcp_port_closed");
    EXPECT_EQ(v.frames_sent, 1u);
    if (v.frames_sent != 1) return {};
    const Frame reply = harness_.reply();
    expect_link_and_ip(reply, extra.tos);
    const Frame tcp(reply.begin() + static_cast<std::ptrdiff_t>(l3() + 20),
                    reply.begin() + static_cast<std::ptrdiff_t>(l3() + 40));
    EXPECT_EQ(get16(tcp, 0), extra.from) << "from the port the segment was sent to";
    EXPECT_EQ(get16(tcp, 2), extra.to) << "to the port it came from";
    EXPECT_EQ(get32(tcp, 4), seq) << "SEQ";
    EXPECT_EQ(get32(tcp, 8), ack) << "ACK";
    EXPECT_EQ(tcp[12], 0x50) << "a 20-byte header: no options";
    EXPECT_EQ(tcp[13], flags);
    EXPECT_EQ(get16(tcp, 14), 0) << "window";
    EXPECT_EQ(get16(tcp, 18), 0) << "urgent pointer";
    EXPECT_EQ(packets::reference_checksum(packets::with_pseudo_header(tcp, kOurIp, kPeerIp, 20, 6)), 0);
    expect_counted_once(before);
    return tcp;
  }

  // The link and IP headers of a RST: to the peer, from us, 40 bytes, DF, TTL 64, the checksum verifying.
  void expect_link_and_ip(const Frame& reply, std::uint8_t tos) const {
    const std::size_t at = l3();
    if (tap()) {
      EXPECT_EQ(get_mac(reply, 0), kPeerMac);
      EXPECT_EQ(get_mac(reply, 6), kOurMac);
      EXPECT_EQ(get16(reply, 12), packets::ethertype::ipv4);
      EXPECT_EQ(reply.size(), 60u) << "40 bytes of IP, padded to the Ethernet minimum";
      EXPECT_TRUE(std::all_of(reply.begin() + 54, reply.end(), [](std::uint8_t b) { return b == 0; }));
    } else {
      EXPECT_EQ(reply.size(), 40u);
    }
    EXPECT_EQ(reply[at], 0x45) << "IPv4, no options";
    EXPECT_EQ(reply[at + 1], tos);
    EXPECT_EQ(get16(reply, at + 2), 40u);
    EXPECT_EQ(get16(reply, at + 6), 0x4000) << "DF, as Linux's resets";
    EXPECT_EQ(reply[at + 8], 64) << "TTL";
    EXPECT_EQ(reply[at + 9], 6);
    EXPECT_EQ(get32(reply, at + 12), kOurIp.value);
    EXPECT_EQ(get32(reply, at + 16), kPeerIp.value);
    EXPECT_EQ(packets::reference_checksum(packets::ByteView{reply}.subspan(at, 20)), 0);
  }

  // One segment in, one out, one RST, and no ICMP error.
  void expect_counted_once(const Counters& before) const {
    EXPECT_EQ(harness_.count(Counter::tcpInSegs), before.get(Counter::tcpInSegs) + 1);
    EXPECT_EQ(harness_.count(Counter::tcpOutSegs), before.get(Counter::tcpOutSegs) + 1);
    EXPECT_EQ(harness_.count(Counter::tcpOutRsts), before.get(Counter::tcpOutRsts) + 1);
    EXPECT_EQ(harness_.count(Counter::icmpOutMsgs), before.get(Counter::icmpOutMsgs)) << "no ICMP error for TCP";
  }

  // Feeds `segment`, which must get nothing, dropped for `reason`; then a SYN must still be refused.
  void expect_nothing(const Frame& segment, DropReason reason) {
    const Counters before = harness_.receive_dropped(segment, reason);
    EXPECT_EQ(harness_.count(Counter::tcpOutRsts), before.get(Counter::tcpOutRsts));
    EXPECT_EQ(harness_.count(Counter::icmpOutMsgs), before.get(Counter::icmpOutMsgs)) << "no ICMP error either";
    SCOPED_TRACE("a SYN after it");
    expect_reset(deliver({.sequence = 5}), 0, 6, flag::rst | flag::ack);
  }

  Harness harness_{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(BothLinks, StackTcpTest, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip),
                         [](const ::testing::TestParamInfo<LinkLayer>& param_info) {
                           return param_info.param == LinkLayer::ethernet ? std::string{"Tap"} : std::string{"Tun"};
                         });

// RFC 9293 §3.10.7.1: "If the ACK bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
// <CTL=RST,ACK>", where SYN and FIN each count one in SEG.LEN.
TEST_P(StackTcpTest, WithoutAckTheResetAcknowledgesTheWholeSegment) {
  expect_reset(deliver({.sequence = 1000, .flags = flag::syn}), 0, 1001, flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 1000, .flags = flag::syn, .payload = packets::pattern(5)}), 0, 1006,
               flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 1000, .flags = flag::syn | flag::fin}), 0, 1002, flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 1000, .flags = flag::fin, .payload = packets::pattern(3)}), 0, 1004,
               flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 1000, .flags = 0}), 0, 1000, flag::rst | flag::ack);  // no flags at all
  expect_reset(deliver({.source_port = 1234, .destination_port = 4321, .sequence = 7}), 0, 8, flag::rst | flag::ack,
               {.from = 4321, .to = 1234});
}

// "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>": no ACK flag, whatever the segment carries.
TEST_P(StackTcpTest, WithAckTheResetTakesItsSequenceFromTheAck) {
  expect_reset(deliver({.sequence = 1000, .acknowledgment = 0xabcdef01, .flags = flag::ack}), 0xabcdef01, 0, flag::rst);
  expect_reset(
      deliver(
          {.sequence = 1000, .acknowledgment = 77, .flags = flag::psh | flag::ack, .payload = packets::pattern(100)}),
      77, 0, flag::rst);
  expect_reset(deliver({.acknowledgment = 5, .flags = flag::fin | flag::ack}), 5, 0, flag::rst);
  expect_reset(deliver({.acknowledgment = 9, .flags = flag::syn | flag::ack}), 9, 0, flag::rst);  // a SYN-ACK
}

// Sequence numbers are modulo 2^32 (RFC 9293 §3.4).
TEST_P(StackTcpTest, TheAcknowledgmentWrapsAround) {
  expect_reset(deliver({.sequence = 0xffffffff, .flags = flag::syn}), 0, 0, flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 0xfffffffe, .flags = flag::syn, .payload = packets::pattern(4)}), 0, 3,
               flag::rst | flag::ack);
}

// The reset is a bare 20-byte header however long the segment was, with the segment's options and IP options
// left behind; the TOS comes back without its ECN bits (RFC 3168 §6.1.1).
TEST_P(StackTcpTest, TheResetIsBareAndKeepsTheTos) {
  const Frame options = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07};
  expect_reset(deliver({.sequence = 1, .options = options, .payload = packets::pattern(1000)},
                       {.options = {0x01, 0x01, 0x01, 0x00}}),
               0, 1002, flag::rst | flag::ack);
  expect_reset(deliver({.sequence = 1}, {.tos = 0xb9}), 0, 2, flag::rst | flag::ack, {.tos = 0xb8});
}

// "An incoming segment containing a RST is discarded": never a RST about a RST.
TEST_P(StackTcpTest, AResetIsNeverAnswered) {
  expect_nothing(deliver({.flags = flag::rst}), DropReason::tcp_reset_ignored);
  expect_nothing(deliver({.acknowledgment = 1, .flags = flag::rst | flag::ack}), DropReason::tcp_reset_ignored);
  expect_nothing(deliver({.flags = flag::rst | flag::syn}), DropReason::tcp_reset_ignored);
}

// RFC 1122 §4.2.3.10: nothing to a broadcast or multicast destination, so a scan of the subnet cannot use us.
TEST_P(StackTcpTest, BroadcastsGetNothing) {
  const packets::Ethernet to_all{ministack::MacAddress::broadcast(), kPeerMac, packets::ethertype::ipv4};
  for (const Ipv4Address to :
       {ipv4_address(192, 168, 3, 255), ipv4_address(255, 255, 255, 255), ipv4_address(224, 0, 0, 1)}) {
    SCOPED_TRACE(to.value);
    expect_nothing(deliver({}, {.destination = to}, to_all), DropReason::tcp_to_broadcast);
  }
}

// Bad segments get nothing: not a RST (the header cannot be trusted), not an ICMP error; each counts in tcpInErrs.
TEST_P(StackTcpTest, BadSegmentsGetNothingAndCountAsErrors) {
  expect_nothing(deliver({.checksum = 0x1234}), DropReason::tcp_bad_checksum);
  expect_nothing(deliver({.data_offset = 4}), DropReason::tcp_bad_data_offset);
  expect_nothing(deliver({.options = {0x02, 0x03, 0x05, 0x01}}), DropReason::tcp_bad_options);
  const Frame cut = tap() ? packets::ethernet({}, packets::ipv4({.protocol = 6}, packets::pattern(19)))
                          : packets::ipv4({.protocol = 6}, packets::pattern(19));
  expect_nothing(cut, DropReason::tcp_truncated);
  EXPECT_EQ(harness_.count(Counter::tcpInErrs), 4u);
  EXPECT_EQ(harness_.count(Counter::tcpInSegs), 8u) << "the 4 bad ones and the 4 SYNs after them";
  EXPECT_EQ(harness_.count(Counter::ipInUnknownProtos), 0u);
}

// A SYN in two fragments (as a scanner's `nmap -f` sends) is refused once it is whole.
TEST_P(StackTcpTest, AFragmentedSegmentIsRefusedWhenWhole) {
  packets::Tcp syn{.sequence = 41, .options = Frame(20, 0x01)};
  syn.destination = kOurIp;
  const Frame datagram = packets::ipv4({.flags_fragment = 0, .protocol = 6}, packets::tcp(syn));
  const auto pieces = packets::fragments(datagram, 24);
  ASSERT_EQ(pieces.size(), 2u);
  const Verdict first = harness_.receive(tap() ? packets::ethernet({}, pieces[0]) : pieces[0]);
  EXPECT_EQ(first.frames_sent, 0u);
  expect_reset(tap() ? packets::ethernet({}, pieces[1]) : pieces[1], 0, 42, flag::rst | flag::ack);
}

}  // namespace
}  // namespace stack_test

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

// RFC 4987 §3.6: with the half-open connections at their cap (0 here), a SYN gets a SYN,ACK whose ISS is a cookie
// and no state; the ACK that brings it back makes the connection, and its data are echoed. A forged ACK does not.
TEST(SynCookies, TheAckThatBringsTheCookieBackMakesTheConnection) {
  StackConfig config;
  config.link = LinkLayer::ip;
  config.tcp.max_half_open = 0;
  ministack::testing::FrameFeeder feeder(config);
  const auto segment = [](const packets::Tcp& t) { return packets::ipv4({.protocol = 6}, packets::tcp(t)); };
  const ministack::Instant t0{std::chrono::minutes(10), {}};
  const auto& syn = feeder.feed(
      segment({.destination_port = 7, .sequence = 5000, .flags = flag::syn, .options = {0x02, 0x04, 0x05, 0xb4}}), t0);
  ASSERT_EQ(syn.sent.size(), 1u);
  const Frame syn_ack = syn.sent[0];
  ASSERT_EQ(syn_ack[20 + 13], flag::syn | flag::ack);
  EXPECT_EQ(get32(syn_ack, 20 + 8), 5001u);
  EXPECT_EQ(syn_ack[20 + 12], 0x60) << "MSS only: a cookie keeps no window scale";
  const std::uint32_t cookie = get32(syn_ack, 20 + 4);
  EXPECT_EQ(feeder.stack().counters().get(Counter::TcpExtSyncookiesSent), 1u);

  // A forged ACK (the cookie plus one) is refused with a RST.
  const auto& forged =
      feeder.feed(segment({.destination_port = 7, .sequence = 5001, .acknowledgment = cookie + 2, .flags = flag::ack}),
                  t0 + ministack::Duration{5});
  ASSERT_EQ(forged.sent.size(), 1u);
  EXPECT_EQ(forged.sent[0][20 + 13], flag::rst);
  EXPECT_EQ(feeder.stack().counters().get(Counter::TcpExtSyncookiesFailed), 1u);

  // The real one, a minute later still, with data: established, and the data come back.
  const auto& ack = feeder.feed(segment({.destination_port = 7,
                                         .sequence = 5001,
                                         .acknowledgment = cookie + 1,
                                         .flags = flag::ack | flag::psh,
                                         .payload = packets::bytes_of("hi")}),
                                t0 + std::chrono::seconds(61));
  EXPECT_EQ(feeder.stack().counters().get(Counter::TcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(feeder.stack().counters().get(Counter::tcpCurrEstab), 1u);
  ASSERT_EQ(ack.sent.size(), 1u);
  const Frame& echo = ack.sent[0];
  EXPECT_EQ(get32(echo, 20 + 4), cookie + 1);
  EXPECT_EQ(get32(echo, 20 + 8), 5003u);
  EXPECT_EQ(Frame(echo.begin() + 40, echo.end()), packets::bytes_of("hi"));
}

}  // namespace
}  // namespace stack_test

namespace stack_test {
namespace {

namespace flag = packets::tcp_flags;

// RFC 9293 §3.10.7.4 lets segments past a hole be held; RFC 5681 §4.2 wants a duplicate ACK for each at once and an
// immediate ACK when the hole fills. The echo then sends everything back in order, and a held FIN closes only when
// the data before it are in.
TEST(OutOfOrder, HeldDataFollowOnceTheHoleIsFilledAndAHeldFinWaits) {
  StackConfig config;
  config.link = LinkLayer::ip;
  ministack::testing::FrameFeeder feeder(config);
  const auto segment = [](const packets::Tcp& t) { return packets::ipv4({.protocol = 6}, packets::tcp(t)); };
  const auto& syn = feeder.feed(segment({.destination_port = 7, .sequence = 100, .flags = flag::syn}));
  ASSERT_EQ(syn.sent.size(), 1u);
  const std::uint32_t iss = get32(syn.sent[0], 20 + 4);
  feeder.feed(segment({.destination_port = 7, .sequence = 101, .acknowledgment = iss + 1, .flags = flag::ack}));
  const auto data = [&](std::uint32_t seq, const char* text, std::uint8_t extra = 0) {
    return segment({.destination_port = 7,
                    .sequence = seq,
                    .acknowledgment = iss + 1,
                    .flags = static_cast<std::uint8_t>(flag::ack | extra),
                    .payload = packets::bytes_of(text)});
  };
  // "world" and then "!" with FIN arrive before "hello ": each held, each answered by a duplicate ACK for 101.
  for (const auto& [seq, text, extra] :
       {std::tuple{107u, "world", std::uint8_t{0}}, std::tuple{112u, "!", flag::fin}}) {
    const auto& held = feeder.feed(data(seq, text, extra));
    EXPECT_FALSE(held.verdict.drop) << "held, not dropped";
    ASSERT_EQ(held.sent.size(), 1u);
    EXPECT_EQ(held.sent[0].size(), 40u) << "a bare ACK";
    EXPECT_EQ(get32(held.sent[0], 20 + 8), 101u) << "a duplicate ACK for the hole";
  }
  // The hole fills: all 12 bytes come back in order, the FIN is taken (ack 114), and our FIN follows.
  const auto& filled = feeder.feed(data(101, "hello "));
  Frame echoed;
  std::uint8_t flags = 0;
  std::uint32_t ack = 0;
  for (const Frame& f : filled.sent) {
    echoed.insert(echoed.end(), f.begin() + 20 + (f[20 + 12] >> 4) * 4, f.end());
    flags |= f[20 + 13];
    ack = get32(f, 20 + 8);
  }
  EXPECT_EQ(echoed, packets::bytes_of("hello world!"));
  EXPECT_EQ(ack, 114u) << "the data and the FIN";
  EXPECT_TRUE(flags & flag::fin) << "the echo closes after its peer";
}

}  // namespace
}  // namespace stack_test
