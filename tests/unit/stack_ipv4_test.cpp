// The pipeline beyond one frame per datagram: reassembly of what arrives fragmented, fragmentation of what is sent,
// echoed IP options, UDP echo, ICMP errors and their limits, the broadcast echo policy, and ARP resolution for what
// the stack originates. Frames come from packets.hpp; answers are checked with the test's own byte reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "collecting_sink.hpp"
#include "frame_feeder.hpp"
#include "packets.hpp"
#include "stack/stack.hpp"

namespace {

using ministack::Bytes;
using ministack::Counter;
using ministack::DropReason;
using ministack::Instant;
using ministack::Ipv4Address;
using ministack::LinkLayer;
using ministack::MacAddress;
using ministack::Stack;
using ministack::StackConfig;
using ministack::Verdict;
using packets::Frame;
using packets::get16;
using packets::get32;
using packets::kOurIp;
using packets::kOurMac;
using packets::kPeerIp;
using packets::kPeerMac;

using ministack::testing::CollectingSink;

Instant at_ms(long ms) { return Instant{ministack::Duration{ms}, std::chrono::microseconds{ms * 1000}}; }

// A stack on either link, fed through a receive buffer large enough for any datagram.
class Pipeline {
 public:
  static constexpr std::size_t kBufferSize = 65600;

  explicit Pipeline(LinkLayer link, StackConfig config = {})
      : link_(link), feeder_((config.link = link, config), kBufferSize) {}

  // Feeds one frame (an IP packet: the Ethernet header is added on TAP) and returns what was sent.
  std::vector<Frame> feed(const Frame& ip_packet, Instant now = {}, packets::Ethernet eth = {}) {
    const Frame frame = link_ == LinkLayer::ethernet ? packets::ethernet(eth, ip_packet) : ip_packet;
    const auto& fed = feeder_.feed(frame, now);
    EXPECT_EQ(fed.verdict.frames_sent, fed.sent.size());
    return fed.sent;
  }
  // Feeds a whole frame as the device delivers it.
  std::vector<Frame> feed_frame(const Frame& frame, Instant now = {}) { return feeder_.feed(frame, now).sent; }
  // The IP packet inside a sent frame.
  Frame ip_of(const Frame& sent) const {
    return link_ == LinkLayer::ethernet ? Frame(sent.begin() + 14, sent.end()) : sent;
  }
  Stack& stack() { return feeder_.stack(); }
  const Verdict& verdict() const { return feeder_.frames().back().verdict; }
  LinkLayer link() const { return link_; }

 private:
  LinkLayer link_;
  ministack::testing::FrameFeeder feeder_;
};

// Cuts a datagram into fragments of at most `mtu` bytes as RFC 791 §3.2 says (data multiple of 8 but the last).
std::vector<Frame> fragment(const Frame& datagram, std::size_t mtu) {
  return packets::fragments(datagram, (mtu - packets::header_length_of(datagram)) & ~std::size_t{7});
}

// Puts fragments back together with the test's own reads, checking each is a well-formed fragment of one datagram.
Frame reassemble(const std::vector<Frame>& fragments, std::size_t mtu) {
  std::map<std::size_t, Frame> by_offset;
  std::size_t end = 0;
  Frame header;
  for (const Frame& f : fragments) {
    const std::size_t hl = std::size_t{f[0] & 0x0fu} * 4;
    EXPECT_LE(f.size(), mtu) << "a fragment larger than the MTU";
    EXPECT_EQ(get16(f, 2), f.size());
    EXPECT_EQ(packets::reference_checksum(ministack::Bytes{f.data(), hl}), 0) << "fragment header checksum";
    const std::uint16_t flags = get16(f, 6);
    const std::size_t offset = std::size_t{flags & 0x1fffu} * 8;
    const bool more = flags & 0x2000;
    EXPECT_FALSE(flags & 0x4000) << "DF on a fragment";
    if (more) {
      EXPECT_EQ((f.size() - hl) % 8, 0u) << "non-final fragment data not a multiple of 8";
    }
    if (!more) end = offset + f.size() - hl;
    if (offset == 0) header.assign(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(hl));
    by_offset[offset] = Frame(f.begin() + static_cast<std::ptrdiff_t>(hl), f.end());
  }
  Frame whole = header;
  std::size_t next = 0;
  for (const auto& [offset, data] : by_offset) {
    EXPECT_EQ(offset, next) << "a hole or an overlap in the fragments";
    whole.insert(whole.end(), data.begin(), data.end());
    next = offset + data.size();
  }
  EXPECT_EQ(next, end);
  if (whole.size() >= 20) packets::put16(whole, 2, static_cast<std::uint16_t>(whole.size()));
  return whole;
}

class Both : public ::testing::TestWithParam<LinkLayer> {};
INSTANTIATE_TEST_SUITE_P(Links, Both, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip),
                         [](const ::testing::TestParamInfo<LinkLayer>& param_info) {
                           return param_info.param == LinkLayer::ethernet ? "Tap" : "Tun";
                         });

// RFC 791 §3.2 and RFC 815: a fragmented echo request is reassembled, answered, and the answer fragmented.
TEST_P(Both, FragmentedEchoIsReassembledAndAnsweredInFragments) {
  for (const std::size_t size : {4000u, 65000u}) {
    Pipeline p(GetParam());
    const Frame request = packets::echo_request({.data = packets::pattern(size)}, {.flags_fragment = 0});
    auto fragments = fragment(request, 1500);
    std::reverse(fragments.begin(), fragments.end());  // any order
    std::vector<Frame> sent;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      sent = p.feed(fragments[i]);
      if (i + 1 < fragments.size()) {
        EXPECT_TRUE(sent.empty()) << "answered before the datagram was whole";
      }
    }
    ASSERT_EQ(sent.size(), (size + 8 + 1479) / 1480) << size;
    std::vector<Frame> ips;
    for (const Frame& f : sent) ips.push_back(p.ip_of(f));
    const Frame reply = reassemble(ips, 1500);
    ASSERT_EQ(reply.size(), request.size());
    EXPECT_EQ(reply[20], 0) << "echo reply";
    EXPECT_EQ(get32(reply, 12), kOurIp.value);
    EXPECT_EQ(get32(reply, 16), kPeerIp.value);
    EXPECT_TRUE(std::equal(reply.begin() + 24, reply.end(), request.begin() + 24)) << "id, sequence and data";
    EXPECT_EQ(packets::reference_checksum(ministack::Bytes{reply}.subspan(20)), 0) << "ICMP checksum";
    EXPECT_EQ(p.stack().counters().get(Counter::ipReasmOKs), 1u);
    EXPECT_EQ(p.stack().counters().get(Counter::ipFragCreates), sent.size());
  }
}

TEST_P(Both, RepliesAreFragmentedToTheConfiguredMtu) {
  StackConfig config;
  config.mtu = 576;
  Pipeline p(GetParam(), config);
  const auto sent = p.feed(packets::echo_request({.data = packets::pattern(1400)}));
  ASSERT_EQ(sent.size(), 3u) << "1428 bytes at MTU 576: 552 + 552 + 304 data bytes";
  std::vector<Frame> ips;
  for (const Frame& f : sent) ips.push_back(p.ip_of(f));
  EXPECT_EQ(reassemble(ips, 576).size(), 1428u);
}

TEST_P(Both, UdpEchoServiceAnswersOnPort7) {
  Pipeline p(GetParam());
  const Frame udp = packets::udp({.destination_port = 7, .payload = packets::bytes_of("hello"), .checksum = 0});
  const auto sent = p.feed(packets::ipv4({.protocol = 17}, udp));
  ASSERT_EQ(sent.size(), 1u);
  const Frame ip = p.ip_of(sent[0]);
  EXPECT_EQ(ip[9], 17);
  EXPECT_EQ(get32(ip, 12), kOurIp.value);
  EXPECT_EQ(get32(ip, 16), kPeerIp.value);
  EXPECT_EQ(get16(ip, 20), 7);
  EXPECT_EQ(get16(ip, 22), 40000);
  EXPECT_EQ(get16(ip, 24), 13);
  EXPECT_TRUE(std::equal(ip.begin() + 28, ip.begin() + 33, udp.begin() + 8));
  // The UDP checksum, over the pseudo-header (RFC 768), with the test's own sum.
  Frame pseudo(12);
  packets::put32(pseudo, 0, kOurIp.value);
  packets::put32(pseudo, 4, kPeerIp.value);
  pseudo[9] = 17;
  packets::put16(pseudo, 10, 13);
  pseudo.insert(pseudo.end(), ip.begin() + 20, ip.begin() + 33);
  EXPECT_EQ(packets::reference_checksum(pseudo), 0);
  EXPECT_EQ(p.stack().counters().get(Counter::udpInDatagrams), 1u);
}

// A UDP datagram with 6 zero bytes and no checksum, from port 40000 to `port`.
Frame udp_to(std::uint16_t port) {
  return packets::udp({.destination_port = port, .payload = Frame(6, 0), .checksum = 0});
}

// RFC 1122 §4.1.3.1 and §3.2.2.1: port and protocol unreachable, quoting the offending datagram.
TEST_P(Both, ClosedPortAndUnknownProtocolGetDestinationUnreachable) {
  Pipeline p(GetParam());
  const Frame offending = packets::ipv4({.protocol = 17}, udp_to(9));
  auto sent = p.feed(offending);
  EXPECT_EQ(p.verdict().drop, DropReason::udp_port_unreachable);
  ASSERT_EQ(sent.size(), 1u);
  Frame ip = p.ip_of(sent[0]);
  EXPECT_EQ(ip[9], 1);
  EXPECT_EQ(ip[20], 3);
  EXPECT_EQ(ip[21], 3) << "port unreachable";
  EXPECT_EQ(get32(ip, 16), kPeerIp.value);
  EXPECT_TRUE(std::equal(offending.begin(), offending.end(), ip.begin() + 28)) << "the whole datagram is quoted";

  sent = p.feed(packets::ipv4({.protocol = 132}, Frame(20)));  // SCTP, not spoken
  EXPECT_EQ(p.verdict().drop, DropReason::ip_unknown_protocol);
  ASSERT_EQ(sent.size(), 1u);
  ip = p.ip_of(sent[0]);
  EXPECT_EQ(ip[20], 3);
  EXPECT_EQ(ip[21], 2) << "protocol unreachable";
  EXPECT_EQ(p.stack().counters().get(Counter::icmpOutDestUnreachs), 2u);
}

// RFC 1122 §3.2.2: never an error about a broadcast, or about an ICMP error.
TEST_P(Both, NoErrorsAboutBroadcastsOrIcmpErrors) {
  Pipeline p(GetParam());
  EXPECT_TRUE(p.feed(packets::ipv4({.protocol = 17, .destination = packets::ipv4_address(192, 168, 3, 255)}, udp_to(9)),
                     {}, {.destination = MacAddress::broadcast()})
                  .empty());
  EXPECT_EQ(p.verdict().drop, DropReason::udp_port_unreachable);
  EXPECT_TRUE(p.feed(packets::echo_request({.type = 3, .code = 3})).empty());
}

// Linux's icmp_ratelimit: a burst of 6 errors to one destination, then one per second.
TEST_P(Both, ErrorsAreRateLimitedPerDestination) {
  Pipeline p(GetParam());
  std::size_t errors = 0;
  for (int i = 0; i < 20; ++i) errors += p.feed(packets::ipv4({.protocol = 17}, udp_to(9)), at_ms(0)).size();
  EXPECT_EQ(errors, 6u);
  EXPECT_EQ(p.stack().counters().get(DropReason::icmp_error_rate_limited), 14u);
  EXPECT_EQ(p.feed(packets::ipv4({.protocol = 17}, udp_to(9)), at_ms(1000)).size(), 1u) << "refilled after 1 s";
  EXPECT_EQ(p.feed(packets::ipv4({.protocol = 17, .source = packets::ipv4_address(192, 168, 3, 77)}, udp_to(9)),
                   at_ms(1000))
                .size(),
            1u)
      << "another destination has its own bucket";
}

// icmp_echo_ignore_broadcasts: off by default, on when configured; the answer always comes from our address.
TEST_P(Both, BroadcastEchoIsIgnoredUnlessAllowed) {
  const Frame request = packets::echo_request({}, {.destination = packets::ipv4_address(192, 168, 3, 255)});
  Pipeline quiet(GetParam());
  EXPECT_TRUE(quiet.feed(request, {}, {.destination = MacAddress::broadcast()}).empty());
  EXPECT_EQ(quiet.verdict().drop, DropReason::ip_broadcast_echo_ignored);

  StackConfig config;
  config.answer_broadcast_echo = true;
  Pipeline loud(GetParam(), config);
  const auto sent = loud.feed(request, {}, {.destination = MacAddress::broadcast()});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(get32(loud.ip_of(sent[0]), 12), kOurIp.value);
}

// RFC 1122 §3.2.2.6: Record Route comes back with our address recorded.
TEST_P(Both, RecordRouteIsEchoedWithOurAddress) {
  Pipeline p(GetParam());
  Frame rr(40, 0);
  rr[0] = 1;  // NOP, as ping -R sends it
  rr[1] = 7;  // Record Route
  rr[2] = 39;
  rr[3] = 4;  // pointer: first slot
  const auto sent = p.feed(packets::echo_request({}, {.options = rr}));
  ASSERT_EQ(sent.size(), 1u);
  const Frame ip = p.ip_of(sent[0]);
  ASSERT_GT(ip[0] & 0x0f, 5) << "the reply carries the option";
  const std::size_t hl = std::size_t{ip[0] & 0x0fu} * 4;
  bool found = false;
  for (std::size_t i = 20; i + 4 <= hl; ++i) found = found || get32(ip, i) == kOurIp.value;
  EXPECT_TRUE(found) << "our address recorded";
  EXPECT_EQ(packets::reference_checksum(ministack::Bytes{ip.data(), hl}), 0);
  EXPECT_EQ(packets::reference_checksum(ministack::Bytes{ip}.subspan(hl)), 0);
}

TEST_P(Both, MalformedOptionsAreDropped) {
  Pipeline p(GetParam());
  EXPECT_TRUE(p.feed(packets::echo_request({}, {.options = Frame{7, 0, 0, 0}})).empty());
  EXPECT_EQ(p.verdict().drop, DropReason::ip_bad_options);
}

TEST_P(Both, IncompleteDatagramsTimeOut) {
  Pipeline p(GetParam());
  const auto fragments = fragment(packets::echo_request({.data = packets::pattern(3000)}, {.flags_fragment = 0}), 1500);
  EXPECT_TRUE(p.feed(fragments[0], at_ms(0)).empty());
  CollectingSink sink;
  p.stack().poll(at_ms(29000), sink);
  EXPECT_EQ(p.stack().counters().get(DropReason::reasm_timeout), 0u);
  p.stack().poll(at_ms(31000), sink);
  EXPECT_EQ(p.stack().counters().get(DropReason::reasm_timeout), 1u);
  EXPECT_TRUE(sink.frames.empty()) << "no ICMP time exceeded yet";
}

// RFC 5227 §2.3: the announcement asks for our own address, from our own address, to everyone.
TEST(StackArp, AnnouncementIsAGratuitousRequest) {
  Stack stack(StackConfig{});
  CollectingSink sink;
  stack.announce(sink);
  ASSERT_EQ(sink.frames.size(), 3u) << "then the IPv6 duplicate address probes (stack_ipv6_test.cpp)";
  const Frame& f = sink.frames[0];
  EXPECT_EQ(packets::get_mac(f, 0), MacAddress::broadcast());
  EXPECT_EQ(get16(f, 12), 0x0806);
  EXPECT_EQ(get16(f, 20), 1);
  EXPECT_EQ(get32(f, 28), kOurIp.value);
  EXPECT_EQ(get32(f, 38), kOurIp.value);
}

// RFC 1122 §2.3.2.2: what we originate to an unresolved address waits for ARP, which is retried, then given up.
TEST(StackArp, OriginatedDatagramWaitsForResolution) {
  Pipeline p(LinkLayer::ethernet);
  CollectingSink sink;
  const Frame payload{'p', 'i', 'n', 'g'};
  ASSERT_TRUE(p.stack().send_udp(kPeerIp, 5000, 6000, payload, at_ms(0), sink));
  ASSERT_EQ(sink.frames.size(), 1u) << "an ARP request, not the datagram";
  EXPECT_EQ(get16(sink.frames[0], 12), 0x0806);
  EXPECT_EQ(get32(sink.frames[0], 38), kPeerIp.value);

  // The peer answers: the datagram goes to its MAC.
  const auto sent = p.feed_frame(packets::arp_frame({.operation = 2, .target_mac = kOurMac},
                                                    {kOurMac, kPeerMac, packets::ethertype::arp}),
                                 at_ms(10));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(packets::get_mac(sent[0], 0), kPeerMac);
  EXPECT_EQ(get16(sent[0], 12), 0x0800);
  EXPECT_EQ(get16(sent[0], 14 + 22), 6000);

  // Now known: sent at once.
  sink.frames.clear();
  ASSERT_TRUE(p.stack().send_udp(kPeerIp, 5000, 6000, payload, at_ms(20), sink));
  ASSERT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(get16(sink.frames[0], 12), 0x0800);
}

TEST(StackArp, UnansweredResolutionIsRetriedThenDropped) {
  Stack stack(StackConfig{});
  CollectingSink sink;
  const Ipv4Address silent = packets::ipv4_address(192, 168, 3, 99);
  ASSERT_TRUE(stack.send_udp(silent, 1, 2, Frame{1}, at_ms(0), sink));
  stack.poll(at_ms(500), sink);
  EXPECT_EQ(sink.frames.size(), 1u) << "no retry before a second";
  stack.poll(at_ms(1000), sink);
  stack.poll(at_ms(2000), sink);
  EXPECT_EQ(sink.frames.size(), 3u) << "three requests in all";
  stack.poll(at_ms(3000), sink);
  EXPECT_EQ(sink.frames.size(), 3u);
  EXPECT_EQ(stack.counters().get(DropReason::arp_unresolved), 1u);
  EXPECT_EQ(stack.neighbors().pending_packets(), 0u);
}

TEST(StackArp, OffLinkDestinationsAreRefused) {
  Stack stack(StackConfig{});
  CollectingSink sink;
  EXPECT_FALSE(stack.send_udp(packets::ipv4_address(10, 0, 0, 1), 1, 2, Frame{1}, {}, sink));
  EXPECT_TRUE(sink.frames.empty());
}

}  // namespace
