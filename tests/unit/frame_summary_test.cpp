// What the -v log says of a frame (frame_summary) and how SIGUSR1 shows the neighbor cache (neighbor_table): who sent
// what to whom, and entries as `ip neigh` prints them (issue 13).
#include "apps/ministack/frame_summary.hpp"

#include <gtest/gtest.h>

#include "apps/ministack/stats.hpp"
#include "packets.hpp"

namespace {

using namespace ministack;

TEST(FrameSummary, NamesAnEchoRequestWithAddressesAndIds) {
  const auto frame = packets::echo_request_frame({.identifier = 7, .sequence = 1});
  EXPECT_EQ(frame_summary(LinkLayer::ethernet, frame), "192.168.3.1 > 192.168.3.12 ICMP echo request id 7 seq 1");
  EXPECT_EQ(frame_summary(LinkLayer::ip, packets::echo_request({.identifier = 7, .sequence = 1})),
            "192.168.3.1 > 192.168.3.12 ICMP echo request id 7 seq 1");
}

TEST(FrameSummary, NamesArpUdpTcpAndVlan) {
  EXPECT_EQ(frame_summary(LinkLayer::ethernet, packets::arp_frame()), "ARP who-has 192.168.3.12 tell 192.168.3.1");
  EXPECT_EQ(frame_summary(LinkLayer::ip,
                          packets::ipv4({.protocol = 17}, packets::udp({.source_port = 40000, .destination_port = 7}))),
            "192.168.3.1 > 192.168.3.12 UDP 40000 > 7");
  const auto tagged = packets::ethernet({.type = packets::ethertype::vlan}, packets::Frame{0x00, 0x05, 0x08, 0x00});
  EXPECT_EQ(frame_summary(LinkLayer::ethernet, tagged), "802.1Q VLAN 5 from 52:54:00:12:34:56");
}

TEST(FrameSummary, NeverReadsPastTheEnd) {
  EXPECT_EQ(frame_summary(LinkLayer::ethernet, packets::Frame(10, 0xab)), "Ethernet, truncated");
  EXPECT_EQ(frame_summary(LinkLayer::ip, packets::Frame{0x45, 0x00}), "IPv4, truncated or malformed");
  EXPECT_EQ(frame_summary(LinkLayer::ip, {}), "empty packet");
}

TEST(FrameSummary, TimeOfDayIsUtcToTheMillisecond) {
  EXPECT_EQ(time_of_day(std::chrono::microseconds{((21 * 60 + 40) * 60 + 1) * 1'000'000LL + 123'456}), "21:40:01.123");
}

TEST(NeighborTable, PrintsEntriesAsIpNeighDoes) {
  NeighborCache cache;
  const Instant t0{std::chrono::seconds(10), {}};
  cache.insert(packets::kPeerIp, packets::kPeerMac, t0);
  const std::string table = neighbor_table(cache.snapshot(t0 + std::chrono::milliseconds(1500)), "tap0");
  EXPECT_EQ(table, "neighbors (1):\n  192.168.3.1 dev tap0 lladdr 52:54:00:12:34:56 REACHABLE (confirmed 1.5 s ago)\n");
  const std::string stale = neighbor_table(cache.snapshot(t0 + std::chrono::seconds(61)), "tap0");
  EXPECT_NE(stale.find(" STALE (confirmed 61.0 s ago)"), std::string::npos) << stale;
  EXPECT_EQ(neighbor_table({}, "tap0"), "neighbors: none\n");
}

TEST(NeighborTable, ShowsAResolutionUnderWayAsIncomplete) {
  NeighborCache cache;
  const Instant t0{std::chrono::seconds(1), {}};
  const packets::Frame datagram(28, 0);
  cache.enqueue(packets::kPeerIp, datagram, t0);
  const auto rows = cache.snapshot(t0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, NeighborRow::State::incomplete);
  EXPECT_NE(neighbor_table(rows, "tap0").find("192.168.3.1 dev tap0 INCOMPLETE"), std::string::npos);
}

}  // namespace
