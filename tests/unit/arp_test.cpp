// ARP for IPv4 over Ethernet (RFC 826): the checked view and the writer.
#include "stack/wire/arp.hpp"

#include <gtest/gtest.h>

#include "packets.hpp"

namespace {

using ministack::ArpView;
using ministack::Bytes;
using ministack::DropReason;
using ministack::MacAddress;
using packets::Frame;

TEST(ArpView, ParsesRequestFields) {
  const Frame packet = packets::arp({.operation = 1,
                                     .sender_mac = packets::kPeerMac,
                                     .sender_ip = packets::kPeerIp,
                                     .target_mac = {},
                                     .target_ip = packets::kOurIp});
  const auto arp = ArpView::parse(packet);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation(), ministack::arp_op::request);
  EXPECT_EQ(arp->sender_mac(), packets::kPeerMac);
  EXPECT_EQ(arp->sender_ip(), packets::kPeerIp);
  EXPECT_EQ(arp->target_mac(), MacAddress{});
  EXPECT_EQ(arp->target_ip(), packets::kOurIp);
}

TEST(ArpView, ReadsEveryFieldFromItsOwnOffset) {
  // Distinct bytes everywhere, so a field read from the wrong offset shows.
  const MacAddress sender{{0x10, 0x11, 0x12, 0x13, 0x14, 0x16}};
  const MacAddress target{{0x20, 0x21, 0x22, 0x23, 0x24, 0x26}};
  const Frame packet = packets::arp({.operation = 0x0102,
                                     .sender_mac = sender,
                                     .sender_ip = packets::ipv4_address(1, 2, 3, 4),
                                     .target_mac = target,
                                     .target_ip = packets::ipv4_address(5, 6, 7, 8)});
  const auto arp = ArpView::parse(packet);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation(), 0x0102);
  EXPECT_EQ(arp->sender_mac(), sender);
  EXPECT_EQ(arp->sender_ip(), packets::ipv4_address(1, 2, 3, 4));
  EXPECT_EQ(arp->target_mac(), target);
  EXPECT_EQ(arp->target_ip(), packets::ipv4_address(5, 6, 7, 8));
}

TEST(ArpView, AcceptsEthernetPaddingAfterThe28Bytes) {
  const Frame padded = packets::pad_to(packets::arp({}), 46, 0xab);  // a 60-byte frame's payload
  const auto arp = ArpView::parse(padded);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->target_ip(), packets::kOurIp);
}

TEST(ArpView, TruncatedAtEveryLengthBelow28) {
  const Frame packet = packets::arp({});
  for (std::size_t length = 0; length < ministack::kArpLength; ++length) {
    const auto arp = ArpView::parse(Bytes{packet}.first(length));
    ASSERT_FALSE(arp) << "length " << length;
    EXPECT_EQ(arp.reason(), DropReason::arp_truncated) << "length " << length;
  }
  EXPECT_TRUE(ArpView::parse(Bytes{packet}.first(28)));
}

// RFC 826: ministack resolves only Ethernet (hardware type 1, 6-byte addresses) to IPv4 (0x0800, 4 bytes).
TEST(ArpView, RejectsOtherHardwareAndProtocolFormats) {
  struct Case {
    const char* what;
    packets::Arp arp;
  };
  const Case cases[] = {
      {"htype 0", {.htype = 0}},
      {"htype 6 (IEEE 802)", {.htype = 6}},
      {"htype byte-swapped", {.htype = 0x0100}},
      {"ptype IPv6", {.ptype = 0x86dd}},
      {"ptype byte-swapped", {.ptype = 0x0008}},
      {"ptype 0", {.ptype = 0}},
      {"hlen 0", {.hlen = 0}},
      {"hlen 8", {.hlen = 8}},
      {"hlen 255 (arp-leak)", {.hlen = 255}},
      {"plen 0", {.plen = 0}},
      {"plen 16 (IPv6)", {.plen = 16}},
      {"plen 6", {.plen = 6}},
  };
  for (const Case& c : cases) {
    const Frame packet = packets::arp(c.arp);
    const auto arp = ArpView::parse(packet);
    ASSERT_FALSE(arp) << c.what;
    EXPECT_EQ(arp.reason(), DropReason::arp_unsupported_format) << c.what;
  }
}

// The fixed 8-byte part says how long the rest is: a packet whose lengths are not Ethernet/IPv4 is reported as such
// even when it is also short, since its real length cannot be known from 28.
TEST(ArpView, FormatIsJudgedBeforeTheFullLength) {
  const Frame packet = packets::arp({.hlen = 255});
  for (std::size_t length = 8; length <= 28; ++length) {
    const auto arp = ArpView::parse(Bytes{packet}.first(length));
    ASSERT_FALSE(arp) << "length " << length;
    EXPECT_EQ(arp.reason(), DropReason::arp_unsupported_format) << "length " << length;
  }
}

TEST(ArpView, AnyOperationParses) {
  // Operation is the caller's decision (RFC 826 answers requests only); the view reports it as is.
  for (std::uint16_t op : {std::uint16_t{1}, std::uint16_t{2}, std::uint16_t{3}, std::uint16_t{4}, std::uint16_t{0},
                           std::uint16_t{0xffff}}) {
    const Frame packet = packets::arp({.operation = op});
    const auto arp = ArpView::parse(packet);
    ASSERT_TRUE(arp) << "operation " << op;
    EXPECT_EQ(arp->operation(), op);
  }
}

TEST(WriteArp, WritesTheRfc826Layout) {
  Frame buffer(40, 0xee);
  const MacAddress target_mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  ministack::write_arp(buffer,
                       {ministack::arp_op::reply, packets::kOurMac, packets::kOurIp, target_mac, packets::kPeerIp});
  EXPECT_EQ(packets::get16(buffer, 0), 1);       // htype Ethernet
  EXPECT_EQ(packets::get16(buffer, 2), 0x0800);  // ptype IPv4
  EXPECT_EQ(buffer[4], 6);                       // hlen
  EXPECT_EQ(buffer[5], 4);                       // plen
  EXPECT_EQ(packets::get16(buffer, 6), 2);       // reply
  EXPECT_EQ(packets::get_mac(buffer, 8), packets::kOurMac);
  EXPECT_EQ(packets::get32(buffer, 14), packets::kOurIp.value);
  EXPECT_EQ(packets::get_mac(buffer, 18), target_mac);
  EXPECT_EQ(packets::get32(buffer, 24), packets::kPeerIp.value);
  for (std::size_t i = 28; i < buffer.size(); ++i) EXPECT_EQ(buffer[i], 0xee) << "byte " << i << " was written";
  // And it is exactly what the independent test builder produces.
  const Frame expected = packets::arp({.operation = 2,
                                       .sender_mac = packets::kOurMac,
                                       .sender_ip = packets::kOurIp,
                                       .target_mac = target_mac,
                                       .target_ip = packets::kPeerIp});
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), buffer.begin()));
}

TEST(WriteArp, RoundTripsThroughTheView) {
  Frame buffer(28);
  const ministack::ArpFields fields{ministack::arp_op::request, packets::kPeerMac, packets::kPeerIp, MacAddress{},
                                    packets::ipv4_address(192, 168, 3, 77)};
  ministack::write_arp(buffer, fields);
  const auto arp = ArpView::parse(buffer);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation(), fields.operation);
  EXPECT_EQ(arp->sender_mac(), fields.sender_mac);
  EXPECT_EQ(arp->sender_ip(), fields.sender_ip);
  EXPECT_EQ(arp->target_mac(), fields.target_mac);
  EXPECT_EQ(arp->target_ip(), fields.target_ip);
}

}  // namespace
