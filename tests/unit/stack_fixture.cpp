// The pipeline tests' harness and echo reply check (stack_fixture.hpp).
#include "stack_fixture.hpp"

#include <algorithm>

namespace ministack {
void PrintTo(LinkLayer link, std::ostream* os) { *os << (link == LinkLayer::ethernet ? "ethernet" : "ip"); }
}  // namespace ministack

namespace stack_test {

std::string_view name(const std::optional<DropReason>& reason) {
  return reason ? ministack::describe(*reason).name : std::string_view{"(not dropped)"};
}

namespace {

StackConfig config_for(LinkLayer link) {
  StackConfig config;
  config.link = link;
  return config;
}

}  // namespace

Harness::Harness(LinkLayer link) : feeder_(config_for(link)) {}

Verdict Harness::receive(const Frame& frame, ministack::Instant now) {
  EXPECT_LE(frame.size(), feeder_.buffer_size()) << "test frame larger than the device buffer";
  const ministack::testing::ReplayedFrame& f = feeder_.feed(frame, now);
  EXPECT_EQ(f.verdict.frames_sent, f.sent.size()) << "the verdict counts what the sink got";
  return f.verdict;
}

Counters Harness::receive_dropped(const Frame& frame, DropReason reason) {
  const Counters before = stack().counters();
  const Verdict v = receive(frame);
  EXPECT_EQ(name(v.drop), name(reason));
  EXPECT_EQ(v.frames_sent, 0u);
  EXPECT_EQ(count(reason), before.get(reason) + 1);
  EXPECT_EQ(stack().counters().total_drops(), before.total_drops() + 1);
  EXPECT_EQ(stack().counters().frames_sent(), before.frames_sent());
  return before;
}

Frame Harness::reply() const { return feeder_.frames().empty() ? Frame{} : feeder_.frames().back().reply; }

const std::vector<Frame>& Harness::sent() const {
  static const std::vector<Frame> none;
  return feeder_.frames().empty() ? none : feeder_.frames().back().sent;
}

void expect_echo_reply(const Frame& request, const Frame& reply, bool tap) {
  const std::size_t at = tap ? ministack::kEthernetHeaderLength : 0;
  const std::size_t request_ihl = std::size_t{request.at(at) & 0x0fu} * 4;
  const std::size_t request_total = get16(request, at + 2);
  const Bytes request_icmp = Bytes{request}.subspan(at + request_ihl, request_total - request_ihl);
  const std::size_t ip_length = 20 + request_icmp.size();

  if (tap) {
    ASSERT_EQ(reply.size(), std::max<std::size_t>(60, 14 + ip_length)) << "frame length";
    EXPECT_EQ(get_mac(reply, 0), get_mac(request, 6)) << "Ethernet destination = the request's source";
    EXPECT_EQ(get_mac(reply, 6), kOurMac) << "Ethernet source";
    EXPECT_EQ(get16(reply, 12), 0x0800) << "EtherType";
    for (std::size_t i = 14 + ip_length; i < reply.size(); ++i) EXPECT_EQ(reply[i], 0) << "padding byte " << i;
  } else {
    ASSERT_EQ(reply.size(), ip_length) << "packet length";
  }

  const Bytes ip = Bytes{reply}.subspan(at, ip_length);
  EXPECT_EQ(ip[0], 0x45) << "version 4, IHL 5: options are not echoed";
  EXPECT_EQ(ip[1], request[at + 1]) << "TOS";
  EXPECT_EQ(std::size_t{get16(ip, 2)}, ip_length) << "total length";
  EXPECT_EQ(get16(ip, 6) & 0x3fff, 0) << "MF clear, offset 0";
  EXPECT_EQ(ip[8], 64) << "TTL";
  EXPECT_EQ(ip[9], 1) << "protocol ICMP";
  EXPECT_EQ(get16(ip, 10), packets::expected_checksum(ip.first(20), 10)) << "IP header checksum";
  EXPECT_EQ(get32(ip, 12), get32(request, at + 16)) << "source = the request's destination";
  EXPECT_EQ(get32(ip, 16), get32(request, at + 12)) << "destination = the request's source";

  const Bytes icmp = ip.subspan(20);
  EXPECT_EQ(icmp[0], 0) << "type echo reply";
  EXPECT_EQ(icmp[1], request_icmp[1]) << "code";
  EXPECT_EQ(get16(icmp, 2), packets::expected_checksum(icmp, 2)) << "ICMP checksum";
  EXPECT_EQ(get16(icmp, 4), get16(request_icmp, 4)) << "identifier";
  EXPECT_EQ(get16(icmp, 6), get16(request_icmp, 6)) << "sequence number";
  EXPECT_TRUE(std::ranges::equal(icmp.subspan(8), request_icmp.subspan(8))) << "data";
}

}  // namespace stack_test
