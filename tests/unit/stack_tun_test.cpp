// The pipeline on TUN only (StackTunTest): what a raw IP device delivers that only TUN can carry. The harness and
// the echo reply check: stack_fixture.hpp.
#include <gtest/gtest.h>

#include <optional>

#include "packets.hpp"
#include "stack_fixture.hpp"

namespace stack_test {
namespace {

// ---- TUN only -----------------------------------------------------------------------------------------------------

class StackTunTest : public ::testing::Test {
 protected:
  Harness harness_{LinkLayer::ip};
};

// On TUN (IFF_NO_PI) the version nibble is the only way to tell IPv6 from IPv4 (RFC 8200 §3): these go to IPv6,
// which takes a router solicitation to all routers as not for us (a host is no router), and the rest as truncated.
TEST_F(StackTunTest, SendsVersion6ToIpv6) {
  Frame ipv6 = {0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff};  // ICMPv6, hop limit 255
  ipv6.resize(40 + 8, 0x00);
  ipv6[8] = 0xfe;
  ipv6[9] = 0x80;
  ipv6[24] = 0xff;
  ipv6[25] = 0x02;
  ipv6[39] = 0x02;  // ff02::2, all routers
  ipv6[40] = 133;   // router solicitation
  harness_.receive_dropped(ipv6, DropReason::ipv6_not_for_us);
  for (const Frame& packet : {Frame{0x60}, Frame{0x6f, 0xff}})
    harness_.receive_dropped(packet, DropReason::ipv6_truncated);
  EXPECT_EQ(harness_.count(Counter::Ip6InReceives), 3u);
  EXPECT_EQ(harness_.stack().counters().frames_received(), 3u);
  EXPECT_EQ(harness_.count(Counter::ipInReceives), 0u) << "not an IPv4 datagram";
}

TEST_F(StackTunTest, DropsEmptyAndOneBytePackets) {
  for (const Frame& packet : {Frame{}, Frame{0x45}}) {
    const Verdict v = harness_.receive(packet);
    EXPECT_EQ(name(v.drop), name(DropReason::ip_truncated));
    EXPECT_EQ(v.frames_sent, 0u);
  }
}

TEST_F(StackTunTest, LargestEchoFillsTheBuffer) {
  const Frame request = packets::echo_request({.data = packets::pattern(1472)});
  ASSERT_EQ(request.size(), packets::kTunBufferSize);
  const Verdict v = harness_.receive(request);
  ASSERT_EQ(v.frames_sent, 1u);
  ASSERT_EQ(harness_.reply().size(), 1500u);
  expect_echo_reply(request, harness_.reply(), false);
}

}  // namespace
}  // namespace stack_test
