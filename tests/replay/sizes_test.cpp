// Sizes decided by what arrived (issue 9), through the real event loop: a 9000-byte echo request in one frame on a
// 1500-MTU device is read whole and answered in 7 fragments, judged frame by frame; the same request under a larger
// MTU, or after the device's MTU has grown, is answered whole; a frame longer than any device delivers is dropped
// as frame_too_long, not blamed on its sender.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device/pcap_writer.hpp"
#include "device/queue_device.hpp"
#include "packets.hpp"
#include "replay.hpp"
#include "temp_files.hpp"

namespace {

using ministack::DropReason;
using ministack::LinkLayer;
using ministack::QueueDevice;
using ministack::testing::Replay;
using ministack::testing::ReplayOptions;
using packets::Frame;

constexpr std::size_t kJumboData = 8972;  // ping -s 8972: a 9000-byte datagram, a 9014-byte Ethernet frame

Frame jumbo_request(LinkLayer link) {
  // DF clear (ping -M dont): the sender's MTU let it go out whole.
  const Frame packet = packets::echo_request({.data = packets::distinct_bytes(kJumboData, 7)}, {.flags_fragment = 0});
  return link == LinkLayer::ethernet ? packets::ethernet({}, packet) : packet;
}

// The IPv4 packets of `sent`, without their link header, each checked against it (TAP: to the peer, from us).
std::vector<Frame> packets_of(const std::vector<Frame>& sent, LinkLayer link) {
  std::vector<Frame> out;
  for (const Frame& f : sent) {
    if (link == LinkLayer::ip) {
      out.push_back(f);
      continue;
    }
    EXPECT_EQ(packets::get_mac(f, 0), packets::kPeerMac);
    EXPECT_EQ(packets::get_mac(f, 6), packets::kOurMac);
    EXPECT_EQ(packets::get16(f, 12), 0x0800);
    out.push_back(packets::slice(f, 14, f.size() - 14));
  }
  return out;
}

// Checks that `fragments` are the echo reply to jumbo_request() cut at `mtu`, frame by frame: lengths, offsets, MF,
// one identification, addresses, header checksums; and that their payloads, put together, are the echo reply.
void expect_reply_cut_at(const std::vector<Frame>& fragments, std::size_t mtu) {
  const std::size_t icmp_length = 8 + kJumboData;
  const std::size_t chunk = (mtu - 20) / 8 * 8;
  const std::size_t expected_count = 20 + icmp_length <= mtu ? 1 : (icmp_length + chunk - 1) / chunk;
  ASSERT_EQ(fragments.size(), expected_count);
  Frame icmp;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    SCOPED_TRACE("fragment " + std::to_string(i + 1));
    const Frame& f = fragments[i];
    const bool last = i + 1 == fragments.size();
    const std::size_t data = last ? icmp_length - i * chunk : chunk;
    ASSERT_EQ(f.size(), 20 + data);
    EXPECT_EQ(f[0], 0x45);
    EXPECT_EQ(packets::get16(f, 2), 20 + data);
    EXPECT_EQ(packets::get16(f, 4), packets::get16(fragments[0], 4)) << "one identification";
    EXPECT_EQ(packets::get16(f, 6), (last ? 0 : 0x2000) | (i * chunk / 8)) << "MF and offset, DF clear";
    EXPECT_EQ(f[9], 1);
    EXPECT_EQ(packets::get32(f, 12), packets::kOurIp.value);
    EXPECT_EQ(packets::get32(f, 16), packets::kPeerIp.value);
    EXPECT_EQ(packets::reference_checksum(packets::ByteView{f}.first(20)), 0) << "header checksum";
    icmp.insert(icmp.end(), f.begin() + 20, f.end());
  }
  ASSERT_EQ(icmp.size(), icmp_length);
  EXPECT_EQ(icmp[0], 0) << "echo reply";
  EXPECT_EQ(icmp[1], 0);
  EXPECT_EQ(packets::reference_checksum(icmp), 0) << "ICMP checksum over the whole message";
  EXPECT_EQ(packets::slice(icmp, 8, kJumboData), packets::distinct_bytes(kJumboData, 7)) << "the data echoed";
}

class Sizes : public ::testing::TestWithParam<LinkLayer> {
 protected:
  // Writes `frames` to a capture and replays it as `ministack --replay` does, with `config`.
  Replay replay(const std::vector<Frame>& frames, ministack::StackConfig config = {}) {
    const std::string path = dir_.file("sizes.pcap");
    {
      ministack::PcapWriter writer(path, ministack::capture_link_type_for(GetParam()));
      std::int64_t t = 1'700'000'000'000'000;
      for (const Frame& f : frames) writer.write(f, ministack::Received::Timestamp{t += 1000});
    }
    return ministack::testing::replay_capture(path, {.config = config});
  }
  ministack::testing::TempDir dir_{"ministack-sizes"};
};

TEST_P(Sizes, JumboRequestAtMtu1500IsReadWholeAndAnsweredInSevenFragments) {
  const Replay r = replay({jumbo_request(GetParam())});
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_FALSE(r.frames[0].drop) << ministack::describe(*r.frames[0].drop).name;
  EXPECT_EQ(r.frames[0].input.size(), jumbo_request(GetParam()).size()) << "read whole";
  const std::vector<Frame> sent = packets_of(r.frames[0].sent, GetParam());
  // 9008 bytes of ICMP: six fragments of 1480 data bytes (1500 in all), one of 128 (148): Linux's answer too.
  ASSERT_EQ(sent.size(), 7u);
  expect_reply_cut_at(sent, 1500);
}

TEST_P(Sizes, JumboRequestAtMtu9000IsAnsweredWhole) {
  ministack::StackConfig config;
  config.mtu = 9000;
  const Replay r = replay({jumbo_request(GetParam())}, config);
  ASSERT_EQ(r.frames.size(), 1u);
  const std::vector<Frame> sent = packets_of(r.frames[0].sent, GetParam());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].size(), 9000u);
  expect_reply_cut_at(sent, 9000);
}

TEST_P(Sizes, FrameLongerThanAnyDeviceDeliversIsDroppedAsTooLongNotTruncated) {
  const Frame giant = packets::pad_to(jumbo_request(GetParam()), 70000);
  const Replay r = replay({giant, jumbo_request(GetParam())});
  ASSERT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.frames[0].drop, DropReason::frame_too_long);
  EXPECT_TRUE(r.frames[0].sent.empty());
  EXPECT_EQ(r.counters.get(DropReason::frame_too_long), 1u);
  EXPECT_EQ(r.counters.get(ministack::Counter::ifInErrors), 1u);
  EXPECT_EQ(r.counters.get(DropReason::ip_truncated), 0u);
  EXPECT_EQ(r.frames[1].sent.size(), 7u) << "the next frame is read and answered as usual";
}

// The loop hands the device's new MTU to the stack between frames (a live device reports it through rtnetlink);
// with the MTU fixed (--mtu), it does not.
TEST_P(Sizes, LoopFollowsTheDevicesMtuUnlessItIsFixed) {
  for (const bool follow : {true, false}) {
    SCOPED_TRACE(follow ? "following" : "fixed");
    QueueDevice device(GetParam(), 1500);
    device.inject(jumbo_request(GetParam()));
    device.inject_mtu_change(9000);
    device.inject(jumbo_request(GetParam()));
    device.inject_mtu_change(1500);
    device.inject(jumbo_request(GetParam()));
    const Replay r = ministack::testing::replay_device(device, {.follow_device_mtu = follow});
    ASSERT_EQ(r.frames.size(), 3u);
    expect_reply_cut_at(packets_of(r.frames[0].sent, GetParam()), 1500);
    expect_reply_cut_at(packets_of(r.frames[1].sent, GetParam()), follow ? 9000 : 1500);
    expect_reply_cut_at(packets_of(r.frames[2].sent, GetParam()), 1500);
  }
}

INSTANTIATE_TEST_SUITE_P(Links, Sizes, ::testing::Values(LinkLayer::ethernet, LinkLayer::ip),
                         [](const auto& param_info) {
                           return std::string(param_info.param == LinkLayer::ethernet ? "tap" : "tun");
                         });

}  // namespace
