// IPv6 through the whole pipeline, on TAP and TUN (StackIpv6Test) and on TAP alone (neighbor discovery): echo
// (RFC 4443 §4), errors and their pointers (§3.1, §3.4), extension headers (RFC 8200 §4), fragments (§4.5), neighbor
// discovery (RFC 4861 §7), UDP and TCP over IPv6. Every reply is read back byte by byte with packets6.hpp's reads.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "collecting_sink.hpp"
#include "packets6.hpp"
#include "stack_fixture.hpp"

namespace stack_test {
namespace {

using namespace packets6;  // NOLINT(google-build-using-namespace): the test vocabulary

constexpr std::size_t kEth = 14;

class StackIpv6Test : public ::testing::TestWithParam<LinkLayer> {
 protected:
  bool tap() const { return GetParam() == LinkLayer::ethernet; }
  // What the device delivers for IPv6 `packet`: framed to `mac` on TAP, bare on TUN.
  Frame wire(const Frame& packet, const MacAddress& mac = packets::kOurMac) const {
    return tap() ? frame6(packet, mac) : packet;
  }
  // The IPv6 packet inside a frame the stack sent.
  Frame packet_of(const Frame& sent) const { return tap() ? packets::slice(sent, kEth, sent.size() - kEth) : sent; }

  // Feeds `packet`, which must draw exactly one reply; returns the reply's IPv6 packet.
  Frame one_reply(const Frame& packet, const MacAddress& mac = packets::kOurMac) {
    const Verdict v = harness_.receive(wire(packet, mac));
    EXPECT_EQ(v.frames_sent, 1u) << name(v.drop);
    if (v.frames_sent != 1) return Frame(40, 0);
    const Frame reply = harness_.reply();
    if (tap()) {
      EXPECT_EQ(get_mac(reply, 0), packets::kPeerMac) << "back to the requester's MAC";
      EXPECT_EQ(get_mac(reply, 6), packets::kOurMac);
      EXPECT_EQ(get16(reply, 12), 0x86dd);
    }
    return packet_of(reply);
  }
  // Checks the IPv6 header of `reply` and its ICMPv6 checksum; returns the ICMPv6 message.
  static Frame icmp_of(const Frame& reply, const Ipv6Address& source, const Ipv6Address& destination,
                       std::uint8_t hop_limit = 64) {
    EXPECT_EQ(reply[0] >> 4, 6);
    EXPECT_EQ(get16(reply, 4), reply.size() - 40) << "payload length";
    EXPECT_EQ(reply[6], 58);
    EXPECT_EQ(reply[7], hop_limit);
    EXPECT_EQ(get_address(reply, 8), source);
    EXPECT_EQ(get_address(reply, 24), destination);
    const Frame m = packets::slice(reply, 40, reply.size() - 40);
    EXPECT_EQ(get16(m, 2), checksum6(m, source, destination, 58, 2)) << "ICMPv6 checksum";
    return m;
  }

  Harness harness_{GetParam()};
};

TEST_P(StackIpv6Test, EchoRequestToEachOfOurAddressesIsAnsweredFromIt) {
  for (const auto& [ours, peer] : {std::pair{kOurGlobal, kPeerGlobal}, std::pair{kOurLinkLocal, kPeerLinkLocal}}) {
    SCOPED_TRACE(ours.to_string());
    const Frame request = echo_request6({.source = peer, .destination = ours, .traffic_class = 0x28}, 56, 0xbeef, 7);
    const Frame reply = one_reply(request);
    EXPECT_EQ((get32(reply, 0) >> 20) & 0xff, 0x28u) << "traffic class echoed, as Linux does";
    const Frame m = icmp_of(reply, ours, peer);
    EXPECT_EQ(m[0], 129);
    EXPECT_EQ(m[1], 0);
    EXPECT_EQ(packets::slice(m, 4, m.size() - 4), packets::slice(request, 44, request.size() - 44))
        << "identifier, sequence and data as received";
  }
  EXPECT_EQ(harness_.count(Counter::Icmp6InEchos), 2u);
  EXPECT_EQ(harness_.count(Counter::Icmp6OutEchoReplies), 2u);
  EXPECT_EQ(harness_.count(Counter::Ip6InDelivers), 2u);
}

// RFC 4443 §4.2 and Linux's echo_ignore_multicast=0: an echo to all-nodes is answered from our address of its scope.
TEST_P(StackIpv6Test, EchoToAllNodesIsAnsweredFromOurLinkLocalAddress) {
  const Frame request = echo_request6({.source = kPeerLinkLocal, .destination = kAllNodes});
  const Frame m = icmp_of(one_reply(request, group_mac(kAllNodes)), kOurLinkLocal, kPeerLinkLocal);
  EXPECT_EQ(m[0], 129);
}

TEST_P(StackIpv6Test, LongEchoIsReassembledAndItsReplyFragmentedToTheMtu) {
  const Frame request = echo_request6({}, 4000);
  const Frame icmp = packets::slice(request, 40, request.size() - 40);
  // Three fragments of 1448, 1448 and the rest (RFC 8200 §4.5), identification 0x01020304.
  std::vector<Frame> pieces;
  for (std::size_t offset = 0; offset < icmp.size(); offset += 1448) {
    const std::size_t n = std::min<std::size_t>(1448, icmp.size() - offset);
    Frame header = {58, 0, 0, 0, 0x01, 0x02, 0x03, 0x04};
    packets::put16(header, 2, static_cast<std::uint16_t>(offset | (offset + n < icmp.size() ? 1 : 0)));
    pieces.push_back(ipv6({.next_header = 44}, packets::concat(header, packets::slice(icmp, offset, n))));
  }
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    EXPECT_EQ(harness_.receive(wire(pieces[i])).outcome, ministack::Outcome::held);
  }
  const Verdict v = harness_.receive(wire(pieces.back()));
  ASSERT_EQ(v.frames_sent, 3u);
  Frame data;
  std::uint32_t id = 0;
  for (std::size_t i = 0; i < harness_.sent().size(); ++i) {
    const Frame f = packet_of(harness_.sent()[i]);
    ASSERT_LE(f.size(), 1500u);
    EXPECT_EQ(f[6], 44) << "a Fragment header";
    EXPECT_EQ(get16(f, 4), f.size() - 40);
    const std::uint16_t offset_flags = get16(f, 42);
    EXPECT_EQ(offset_flags & 0xfff8u, data.size());
    EXPECT_EQ(offset_flags & 1u, i + 1 < harness_.sent().size() ? 1u : 0u);
    if (i == 0) id = get32(f, 44);
    EXPECT_EQ(get32(f, 44), id) << "one identification";
    const Frame chunk = packets::slice(f, 48, f.size() - 48);
    if (i + 1 < harness_.sent().size()) {
      EXPECT_EQ(chunk.size() % 8, 0u);
    }
    data.insert(data.end(), chunk.begin(), chunk.end());
  }
  ASSERT_EQ(data.size(), icmp.size());
  EXPECT_EQ(data[0], 129);
  EXPECT_EQ(get16(data, 2), checksum6(data, kOurGlobal, kPeerGlobal, 58, 2));
  EXPECT_EQ(packets::slice(data, 4, data.size() - 4), packets::slice(icmp, 4, icmp.size() - 4));
  EXPECT_EQ(harness_.count(Counter::Ip6ReasmOKs), 1u);
  EXPECT_EQ(harness_.count(Counter::Ip6FragCreates), 3u);
}

// RFC 8200 §4.5: a fragment that is not the last must carry a multiple of 8 bytes; pointer: the Payload Length.
TEST_P(StackIpv6Test, FragmentNotAMultipleOfEightDrawsAParameterProblem) {
  const Frame header = {17, 0, 0x00, 0x01, 0, 0, 0, 9};  // UDP: an ICMPv6 error would not be reported (§2.4 (e.1))
  const Frame packet = ipv6({.next_header = 44}, packets::concat(header, packets::pattern(13)));
  const Frame m = icmp_of(one_reply(packet), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(get32(m, 4), 4u);
  EXPECT_EQ(packets::slice(m, 8, m.size() - 8), packet) << "the offending packet quoted whole";
  EXPECT_EQ(harness_.count(DropReason::ipv6_bad_fragment), 1u);
}

TEST_P(StackIpv6Test, UnknownNextHeaderDrawsParameterProblemCode1PointingAtIt) {
  const Frame packet = ipv6({.next_header = 99}, packets::pattern(16));
  const Frame m = icmp_of(one_reply(packet), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 1);
  EXPECT_EQ(get32(m, 4), 6u) << "the Next Header field of the IPv6 header";
  // Behind a destination options header, the pointer is that header's Next Header field.
  const Frame options = {99, 0, 1, 4, 0, 0, 0, 0};  // PadN of 4
  const Frame m2 = icmp_of(one_reply(ipv6({.next_header = 60}, packets::concat(options, packets::pattern(8)))),
                           kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m2[1], 1);
  EXPECT_EQ(get32(m2, 4), 40u);
  EXPECT_EQ(harness_.count(DropReason::ipv6_unknown_next_header), 2u);
  EXPECT_EQ(harness_.count(Counter::Icmp6OutParmProblems), 2u);
}

// RFC 8200 §4.2: the two high bits of an unknown option's type say skip, discard, or discard and report.
TEST_P(StackIpv6Test, UnknownOptionsAreHandledAsTheirTypeSays) {
  const Frame echo = packets::slice(echo_request6(), 40, 64);
  auto with_option = [&](std::uint8_t type, const Ipv6Address& destination) {
    const Frame options = {58, 0, type, 2, 0, 0, 1, 0};  // the option (2 bytes of data), then PadN of 0
    return ipv6({.destination = destination, .next_header = 60}, packets::concat(options, echo));
  };
  // 00: skipped, and the echo answered.
  EXPECT_EQ(icmp_of(one_reply(with_option(0x1e, kOurGlobal)), kOurGlobal, kPeerGlobal)[0], 129);
  // 01: discarded silently.
  harness_.receive_dropped(wire(with_option(0x5e, kOurGlobal)), DropReason::ipv6_unrecognized_option);
  // 10: discarded with a parameter problem, code 2, pointing at the option type (byte 42).
  Frame m = icmp_of(one_reply(with_option(0x9e, kOurGlobal)), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 2);
  EXPECT_EQ(get32(m, 4), 42u);
  // 11: the same, but never about a packet to a multicast address (RFC 4443 §2.4 (e.3)).
  harness_.receive_dropped(wire(with_option(0xde, kAllNodes), group_mac(kAllNodes)),
                           DropReason::ipv6_unrecognized_option);
}

// RFC 8200 §4.4: segments left means we would have to route it; we do not, so the routing type is refused.
TEST_P(StackIpv6Test, RoutingHeaderWithSegmentsLeftDrawsParameterProblemAtItsType) {
  Frame routing = {58, 2, 0, 1, 0, 0, 0, 0};  // type 0, one segment left, one address
  routing.resize(24, 0);
  const Frame packet = ipv6({.next_header = 43}, packets::concat(routing, packets::slice(echo_request6(), 40, 64)));
  const Frame m = icmp_of(one_reply(packet), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(get32(m, 4), 42u);
  // With no segments left the header is ignored and the echo answered.
  routing[3] = 0;
  const Frame ignored = ipv6({.next_header = 43}, packets::concat(routing, packets::slice(echo_request6(), 40, 64)));
  EXPECT_EQ(icmp_of(one_reply(ignored), kOurGlobal, kPeerGlobal)[0], 129);
}

TEST_P(StackIpv6Test, MalformedHeadersAreDroppedWithTheirReason) {
  Frame truncated = echo_request6();
  packets::put16(truncated, 4, 200);  // longer than what arrived
  harness_.receive_dropped(wire(truncated), DropReason::ipv6_truncated);
  harness_.receive_dropped(wire(packets::slice(echo_request6(), 0, 39)), DropReason::ipv6_truncated);
  harness_.receive_dropped(wire(echo_request6({.destination = address("fd00:3::99")})), DropReason::ipv6_not_for_us);
  for (const char* source : {"ff02::1", "::1", "::ffff:192.168.3.1", "fd00:3::12"}) {
    harness_.receive_dropped(wire(echo_request6({.source = address(source)})), DropReason::ipv6_bad_source);
  }
  Frame bad_checksum = echo_request6();
  bad_checksum[60] ^= 1;
  harness_.receive_dropped(wire(bad_checksum), DropReason::icmp6_bad_checksum);
  const Frame options_past_end = {58, 1, 1, 4, 0, 0, 0, 0};  // says 16 bytes, 8 there
  harness_.receive_dropped(wire(ipv6({.next_header = 60}, options_past_end)), DropReason::ipv6_bad_extension);
  harness_.receive_dropped(wire(ipv6({.next_header = 59}, {})), DropReason::ipv6_no_next_header);
  EXPECT_EQ(harness_.count(Counter::Ip6InReceives), 10u);
}

TEST_P(StackIpv6Test, UdpEchoAndPortUnreachableOverIpv6) {
  auto udp = [](std::uint16_t port, ByteView data, bool checksum = true) {
    Frame u(8 + data.size());
    packets::put16(u, 0, 40000);
    packets::put16(u, 2, port);
    packets::put16(u, 4, static_cast<std::uint16_t>(u.size()));
    packets::put_bytes(u, 8, data);
    if (checksum) packets::put16(u, 6, checksum6(u, kPeerGlobal, kOurGlobal, 17, 6));
    return ipv6({.next_header = 17}, u);
  };
  const Frame echo = one_reply(udp(7, packets::bytes_of("hello6")));
  EXPECT_EQ(echo[6], 17);
  EXPECT_EQ(get_address(echo, 8), kOurGlobal);
  const Frame u = packets::slice(echo, 40, echo.size() - 40);
  EXPECT_EQ(get16(u, 0), 7);
  EXPECT_EQ(get16(u, 2), 40000);
  EXPECT_EQ(get16(u, 6), checksum6(u, kOurGlobal, kPeerGlobal, 17, 6));
  EXPECT_EQ(packets::slice(u, 8, 6), packets::bytes_of("hello6"));

  const Frame closed = udp(9999, packets::bytes_of("x"));
  const Frame m = icmp_of(one_reply(closed), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 1);
  EXPECT_EQ(m[1], 4) << "port unreachable";
  EXPECT_EQ(packets::slice(m, 8, m.size() - 8), closed);
  // RFC 8200 §8.1: a zero UDP checksum is not allowed over IPv6.
  harness_.receive_dropped(wire(udp(7, packets::bytes_of("x"), false)), DropReason::udp_bad_checksum);
}

TEST_P(StackIpv6Test, TcpOverIpv6AnswersASynWithOurMssAndRefusesClosedPorts) {
  auto syn = [](std::uint16_t port) {
    Frame t(24);
    packets::put16(t, 0, 40000);
    packets::put16(t, 2, port);
    packets::put32(t, 4, 1000);
    t[12] = 6 << 4;
    t[13] = packets::tcp_flags::syn;
    packets::put16(t, 14, 64240);
    t[20] = 2;
    t[21] = 4;
    packets::put16(t, 22, 1440);
    packets::put16(t, 16, checksum6(t, kPeerGlobal, kOurGlobal, 6, 16));
    return ipv6({.next_header = 6}, t);
  };
  const Frame open = one_reply(syn(7));
  const Frame t = packets::slice(open, 40, open.size() - 40);
  EXPECT_EQ(t[13], packets::tcp_flags::syn | packets::tcp_flags::ack);
  EXPECT_EQ(get32(t, 8), 1001u);
  EXPECT_EQ(get16(t, 16), checksum6(t, kOurGlobal, kPeerGlobal, 6, 16));
  EXPECT_EQ(t[20], 2);
  EXPECT_EQ(get16(t, 22), 1500 - 40 - 20) << "the MTU less the IPv6 and TCP headers";

  const Frame refused = one_reply(syn(81));
  const Frame r = packets::slice(refused, 40, refused.size() - 40);
  EXPECT_EQ(r[13], packets::tcp_flags::rst | packets::tcp_flags::ack);
  EXPECT_EQ(get16(r, 16), checksum6(r, kOurGlobal, kPeerGlobal, 6, 16));
}

TEST_P(StackIpv6Test, WithIpv6TurnedOffEveryIpv6PacketIsNotSpoken) {
  StackConfig config;
  config.link = GetParam();
  config.ipv6 = false;
  ministack::testing::FrameFeeder feeder(config);
  const Frame request = wire(echo_request6());
  const Verdict v = feeder.feed(request).verdict;
  EXPECT_EQ(name(v.drop), name(DropReason::ipv6_not_spoken));
  EXPECT_EQ(v.frames_sent, 0u);
}

// As IPv4's RFC 1122 §3.3.6 and Linux's TCP and UDP: a unicast packet in a link-layer group frame gets nothing.
// (TAP only: TUN has no link-layer addresses.)
TEST(StackIpv6Tap, UnicastInALinkGroupFrameIsNotAnswered) {
  Harness harness{LinkLayer::ethernet};
  harness.receive_dropped(frame6(echo_request6(), group_mac(kAllNodes)), DropReason::ip_link_broadcast);
  harness.receive_dropped(frame6(echo_request6(), ministack::MacAddress::broadcast()), DropReason::ip_link_broadcast);
}

// RFC 8200 §5: below an MTU of 1280 there is no IPv6 on the link (Linux turns it off).
TEST_P(StackIpv6Test, BelowAnMtuOf1280NoIpv6IsTaken) {
  harness_.mutable_stack().set_mtu(1279);
  harness_.receive_dropped(wire(echo_request6()), DropReason::ipv6_not_spoken);
  harness_.mutable_stack().set_mtu(1280);
  EXPECT_EQ(icmp_of(one_reply(echo_request6()), kOurGlobal, kPeerGlobal)[0], 129);
}

// RFC 7112 §5: a first fragment that cuts the header chain short (here TCP's 20-byte header) is refused, code 3.
TEST_P(StackIpv6Test, FirstFragmentWithoutTheWholeHeaderChainDrawsCode3) {
  const Frame header = {6, 0, 0x00, 0x01, 0, 0, 0, 7};  // TCP, offset 0, more to come
  const Frame packet = ipv6({.next_header = 44}, packets::concat(header, packets::pattern(8)));
  const Frame m = icmp_of(one_reply(packet), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 3);
  EXPECT_EQ(get32(m, 4), 0u);
  EXPECT_EQ(harness_.count(DropReason::ipv6_header_chain_incomplete), 1u);
}

// RFC 8200 §4.1: hop-by-hop options behind a Fragment header are out of place once the packet is whole.
TEST_P(StackIpv6Test, HopByHopAfterAFragmentHeaderIsRefused) {
  const Frame echo = packets::slice(echo_request6(), 40, 64);
  const Frame hop_by_hop = {58, 0, 1, 4, 0, 0, 0, 0};
  const Frame whole = packets::concat(hop_by_hop, echo);
  const Frame first =
      ipv6({.next_header = 44}, packets::concat(Frame{0, 0, 0, 1, 0, 0, 0, 5}, packets::slice(whole, 0, 24)));
  const Frame last = ipv6({.next_header = 44}, packets::concat(Frame{0, 0, 0, 24, 0, 0, 0, 5},
                                                               packets::slice(whole, 24, whole.size() - 24)));
  EXPECT_EQ(harness_.receive(wire(first)).outcome, ministack::Outcome::held);
  const Frame m = icmp_of(one_reply(last), kOurGlobal, kPeerGlobal);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 1);
  EXPECT_EQ(harness_.count(DropReason::ipv6_unknown_next_header), 1u);
}

// As Linux's ip6_parse_tlv: at most 7 bytes of padding in a row and 8 options in one header.
TEST_P(StackIpv6Test, PaddingAndOptionFloodsAreRefused) {
  const Frame echo = packets::slice(echo_request6(), 40, 64);
  Frame pad1s = {58, 1};
  pad1s.resize(24, 0);  // 22 Pad1
  harness_.receive_dropped(wire(ipv6({.next_header = 60}, packets::concat(pad1s, echo))),
                           DropReason::ipv6_bad_extension);
  Frame nine = {58, 2};
  for (int i = 0; i < 9; ++i) nine.insert(nine.end(), {0x1e, 0});  // nine empty options to skip
  nine.resize(24, 0);
  nine[20] = 1;  // PadN of 2 to the end
  nine[21] = 2;
  harness_.receive_dropped(wire(ipv6({.next_header = 60}, packets::concat(nine, echo))),
                           DropReason::ipv6_bad_extension);
}

// RFC 7739: the identifications of fragmented packets are not a counter anyone can predict.
TEST_P(StackIpv6Test, FragmentIdentificationsAreUnpredictable) {
  std::vector<std::uint32_t> ids;
  for (std::uint16_t seq = 1; seq <= 3; ++seq) {
    const Frame request = echo_request6({}, 1500, 0x1234, seq);
    const Frame icmp = packets::slice(request, 40, request.size() - 40);
    for (std::size_t offset = 0; offset < icmp.size(); offset += 1448) {
      const std::size_t n = std::min<std::size_t>(1448, icmp.size() - offset);
      Frame header = {58, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(seq)};
      packets::put16(header, 2, static_cast<std::uint16_t>(offset | (offset + n < icmp.size() ? 1 : 0)));
      harness_.receive(wire(ipv6({.next_header = 44}, packets::concat(header, packets::slice(icmp, offset, n)))));
    }
    ASSERT_EQ(harness_.sent().size(), 2u);
    ids.push_back(get32(packet_of(harness_.sent()[0]), 44));
  }
  EXPECT_NE(ids[1], ids[0] + 1);
  EXPECT_NE(ids[2], ids[1] + 1);
  EXPECT_NE(ids[0], ids[1]);
}

INSTANTIATE_TEST_SUITE_P(Links, StackIpv6Test, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip));

// ---- neighbor discovery (TAP) ---------------------------------------------------------------------------------

class NeighborDiscoveryTest : public ::testing::Test {
 protected:
  // An NS for `target` from `h`'s source, as the host sends it (to the target's solicited-node group).
  Verdict solicit(const Ipv6Address& target, Ipv6 h, bool slla = true) {
    if (h.destination == kOurGlobal) h.destination = target.solicited_node();
    h.hop_limit = 255;
    return harness_.receive(frame6(neighbor_solicitation(target, h, slla), group_mac(h.destination)));
  }
  Harness harness_{LinkLayer::ethernet};
};

// RFC 4861 §7.2.4: a solicited advertisement, with the target link-layer address, from the target to the solicitor.
TEST_F(NeighborDiscoveryTest, SolicitationForOurAddressIsAnsweredAndItsSenderLearned) {
  for (const Ipv6Address& target : {kOurGlobal, kOurLinkLocal}) {
    SCOPED_TRACE(target.to_string());
    const Verdict v = solicit(target, {.source = kPeerGlobal});
    ASSERT_EQ(v.frames_sent, 1u);
    const Frame f = harness_.reply();
    EXPECT_EQ(get_mac(f, 0), packets::kPeerMac);
    const Frame p = packets::slice(f, kEth, f.size() - kEth);
    EXPECT_EQ(p[7], 255) << "hop limit 255 (RFC 4861 §7.1.2)";
    EXPECT_EQ(get_address(p, 8), target);
    EXPECT_EQ(get_address(p, 24), kPeerGlobal);
    const Frame m = packets::slice(p, 40, p.size() - 40);
    ASSERT_EQ(m.size(), 32u);
    EXPECT_EQ(m[0], 136);
    EXPECT_EQ(m[4], 0x60) << "solicited and override, not router";
    EXPECT_EQ(get_address(m, 8), target);
    EXPECT_EQ(m[24], 2);
    EXPECT_EQ(m[25], 1);
    EXPECT_EQ(get_mac(m, 26), packets::kOurMac);
    EXPECT_EQ(get16(m, 2), checksum6(m, target, kPeerGlobal, 58, 2));
  }
  EXPECT_EQ(harness_.stack().neighbors().lookup(ministack::IpAddress{kPeerGlobal}), packets::kPeerMac)
      << "RFC 4861 §7.2.3: the source link-layer address is learned";
  EXPECT_EQ(harness_.count(Counter::ifInMulticastPkts), 2u);
}

// RFC 4862 §5.4.3: another node's duplicate address detection for our address is answered to all nodes, defending it.
TEST_F(NeighborDiscoveryTest, ProbeForOurAddressIsAnsweredToAllNodes) {
  ASSERT_EQ(solicit(kOurGlobal, {.source = Ipv6Address{}}, false).frames_sent, 1u);
  const Frame f = harness_.reply();
  EXPECT_EQ(get_mac(f, 0), group_mac(kAllNodes));
  const Frame p = packets::slice(f, kEth, f.size() - kEth);
  EXPECT_EQ(get_address(p, 24), kAllNodes);
  EXPECT_EQ(p[kEth + 40 - kEth + 4], 0x20) << "override only: unsolicited";
  EXPECT_EQ(harness_.count(Counter::ifOutMulticastPkts), 1u);
}

TEST_F(NeighborDiscoveryTest, InvalidOrForeignSolicitationsAreDropped) {
  Ipv6 forwarded{.source = kPeerGlobal, .destination = kOurGlobal.solicited_node(), .hop_limit = 64};
  harness_.receive_dropped(frame6(neighbor_solicitation(kOurGlobal, forwarded), group_mac(forwarded.destination)),
                           DropReason::nd_invalid);
  const Ipv6 unicast{.source = kPeerGlobal, .destination = kOurGlobal, .hop_limit = 255};
  harness_.receive_dropped(frame6(neighbor_solicitation(address("fd00:3::77"), unicast)), DropReason::nd_not_for_us);
  // RFC 4861 §7.1.1: a probe (from ::) carries no source link-layer address.
  EXPECT_EQ(name(solicit(kOurGlobal, {.source = Ipv6Address{}}, true).drop), name(DropReason::nd_invalid));
}

// A group, zero or our own MAC names no neighbor; an advertisement without Override replaces no known address
// (RFC 4861 §7.2.5).
TEST_F(NeighborDiscoveryTest, TheCacheIsNotPoisoned) {
  const ministack::IpAddress peer{kPeerGlobal};
  for (const MacAddress& bad :
       {MacAddress::broadcast(), MacAddress{{0x01, 0x00, 0x5e, 0, 0, 1}}, MacAddress{}, packets::kOurMac}) {
    Frame ns = neighbor_solicitation(kOurGlobal, {.source = kPeerGlobal, .destination = kOurGlobal, .hop_limit = 255});
    packets::put_mac(ns, 40 + 26, bad);
    packets::put16(ns, 42, 0);
    packets::put16(ns, 42, checksum6(packets::slice(ns, 40, ns.size() - 40), kPeerGlobal, kOurGlobal, 58, 2));
    EXPECT_EQ(harness_.receive(frame6(ns)).frames_sent, 1u) << "still answered";
    EXPECT_FALSE(harness_.stack().neighbors().lookup(peer)) << bad.to_string() << " was learned";
  }
  solicit(kOurGlobal, {.source = kPeerGlobal});
  ASSERT_EQ(harness_.stack().neighbors().lookup(peer), packets::kPeerMac);
  const MacAddress other{{0x02, 0, 0, 0, 0, 0x99}};
  const Ipv6 h{.source = kPeerGlobal, .destination = kOurGlobal, .hop_limit = 255};
  harness_.receive(frame6(neighbor_advertisement(kPeerGlobal, other, 0x40, h)));
  EXPECT_EQ(harness_.stack().neighbors().lookup(peer), packets::kPeerMac) << "replaced without the Override flag";
  harness_.receive(frame6(neighbor_advertisement(kPeerGlobal, other, 0x60, h)));
  EXPECT_EQ(harness_.stack().neighbors().lookup(peer), other) << "not replaced with the Override flag";
}

TEST_F(NeighborDiscoveryTest, AdvertisementForOurAddressIsAConflict) {
  const Ipv6 h{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 255};
  harness_.receive_dropped(frame6(neighbor_advertisement(kOurGlobal, packets::kPeerMac, 0x20, h), group_mac(kAllNodes)),
                           DropReason::nd_duplicate_address);
}

TEST_F(NeighborDiscoveryTest, RouterAndMldMessagesAreCountedAndIgnored) {
  const Ipv6 rs{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 255};
  harness_.receive_dropped(frame6(ipv6(rs, icmpv6(134, 0, 0, packets::pattern(8), rs)), group_mac(kAllNodes)),
                           DropReason::nd_router_ignored);
  const Ipv6 query{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 1};
  harness_.receive_dropped(frame6(ipv6(query, icmpv6(130, 0, 0, packets::pattern(20), query)), group_mac(kAllNodes)),
                           DropReason::mld_ignored);
  // A report to ff02::16 goes to a group we never joined: the link does not take it (RFC 2464 §7).
  harness_.receive_dropped(frame6(echo_request6(), group_mac(address("ff02::16"))),
                           DropReason::eth_multicast_not_joined);
}

// RFC 4862 §5.4.2: at start, a probe for each of our addresses, from ::, to its solicited-node group.
TEST(StackIpv6Announce, DuplicateAddressDetectionProbesEachAddress) {
  Stack stack(StackConfig{});
  ministack::testing::CollectingSink sink;
  stack.announce(sink);
  ASSERT_EQ(sink.frames.size(), 3u) << "the gratuitous ARP, then two probes";
  const Ipv6Address targets[] = {kOurLinkLocal, kOurGlobal};
  for (std::size_t i = 0; i < 2; ++i) {
    const Frame& f = sink.frames[i + 1];
    const Frame p = packets::slice(f, kEth, f.size() - kEth);
    EXPECT_EQ(get_mac(f, 0), group_mac(targets[i].solicited_node()));
    EXPECT_EQ(get_address(p, 8), Ipv6Address{});
    EXPECT_EQ(get_address(p, 24), targets[i].solicited_node());
    EXPECT_EQ(p[7], 255);
    ASSERT_EQ(p.size(), 40u + 24u) << "no source link-layer address option";
    EXPECT_EQ(p[40], 135);
    EXPECT_EQ(get_address(p, 48), targets[i]);
  }
}

}  // namespace
}  // namespace stack_test
