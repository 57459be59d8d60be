// Ethernet II framing (RFC 894): the view, the header writer and short-frame padding.
#include "stack/wire/ethernet.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "packets.hpp"

namespace {

using ministack::DropReason;
using ministack::EthernetView;
using ministack::MacAddress;
using packets::Frame;

TEST(EthernetView, ParsesHeaderFields) {
  const Frame frame = packets::ethernet({packets::kOurMac, packets::kPeerMac, 0x0806}, packets::pattern(28));
  const auto eth = EthernetView::parse(frame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->destination(), packets::kOurMac);
  EXPECT_EQ(eth->source(), packets::kPeerMac);
  EXPECT_EQ(eth->ethertype(), 0x0806);
  ASSERT_EQ(eth->payload().size(), 28u);
  EXPECT_EQ(eth->payload().data(), frame.data() + 14);  // a view into the frame, not a copy
}

// The view does not know the network layer's length: padding stays in its payload for that layer to trim.
TEST(EthernetView, PayloadKeepsPadding) {
  const Frame frame = packets::pad_to(packets::arp_frame(), 60, 0xab);
  const auto eth = EthernetView::parse(frame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->payload().size(), 46u);
  EXPECT_EQ(eth->payload().back(), 0xab);
}

TEST(EthernetView, TruncatedAtEveryLengthBelowTheHeader) {
  const Frame frame = packets::echo_request_frame();
  for (std::size_t length = 0; length < ministack::kEthernetHeaderLength; ++length) {
    const auto eth = EthernetView::parse(ministack::Bytes{frame}.first(length));
    ASSERT_FALSE(eth) << "length " << length;
    EXPECT_EQ(eth.reason(), DropReason::eth_truncated) << "length " << length;
  }
}

TEST(EthernetView, HeaderAloneIsAValidFrameWithEmptyPayload) {
  const Frame frame = packets::ethernet({}, {});
  ASSERT_EQ(frame.size(), 14u);
  const auto eth = EthernetView::parse(frame);
  ASSERT_TRUE(eth);
  EXPECT_TRUE(eth->payload().empty());
}

TEST(EthernetView, ReadsEthertypeBigEndian) {
  for (std::uint16_t type : {std::uint16_t{0x0800}, std::uint16_t{0x86dd}, std::uint16_t{0x8100}, std::uint16_t{0x0008},
                             std::uint16_t{0x0040}}) {
    const Frame frame = packets::ethernet({.type = type}, {});
    const auto eth = EthernetView::parse(frame);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->ethertype(), type);
  }
}

TEST(WriteEthernetHeader, RoundTripsThroughTheView) {
  Frame buffer(60, 0xee);
  const MacAddress destination{{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}};
  ministack::write_ethernet_header(buffer, destination, packets::kOurMac, 0x0806);
  // Byte for byte what RFC 894 lays out.
  EXPECT_EQ(packets::get_mac(buffer, 0), destination);
  EXPECT_EQ(packets::get_mac(buffer, 6), packets::kOurMac);
  EXPECT_EQ(packets::get16(buffer, 12), 0x0806);
  EXPECT_TRUE(std::all_of(buffer.begin() + 14, buffer.end(), [](std::uint8_t b) { return b == 0xee; }))
      << "only the 14 header bytes are written";

  const auto eth = EthernetView::parse(buffer);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->destination(), destination);
  EXPECT_EQ(eth->source(), packets::kOurMac);
  EXPECT_EQ(eth->ethertype(), 0x0806);
}

// IEEE 802.3 §4.2.3.3: frames shorter than 60 bytes (without FCS) are padded; the padding must be zeros, not what
// a reused buffer held before.
TEST(PadEthernetFrame, ZeroFillsShortFramesTo60) {
  for (std::size_t length = 0; length < 60; ++length) {
    Frame buffer(1514, 0xee);
    EXPECT_EQ(ministack::pad_ethernet_frame(buffer, length), 60u) << "length " << length;
    EXPECT_TRUE(std::all_of(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(length),
                            [](std::uint8_t b) { return b == 0xee; }))
        << "the frame itself is untouched, length " << length;
    EXPECT_TRUE(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(length), buffer.begin() + 60,
                            [](std::uint8_t b) { return b == 0; }))
        << "padding is zero, length " << length;
    EXPECT_TRUE(std::all_of(buffer.begin() + 60, buffer.end(), [](std::uint8_t b) { return b == 0xee; }))
        << "nothing past 60 is written, length " << length;
  }
}

TEST(PadEthernetFrame, LeavesLongFramesAlone) {
  for (std::size_t length : {std::size_t{60}, std::size_t{61}, std::size_t{98}, std::size_t{1514}}) {
    Frame buffer(1514, 0xee);
    EXPECT_EQ(ministack::pad_ethernet_frame(buffer, length), length);
    EXPECT_TRUE(std::all_of(buffer.begin(), buffer.end(), [](std::uint8_t b) { return b == 0xee; }));
  }
}

TEST(PadEthernetFrame, WorksInAMinimalBuffer) {
  Frame buffer(60, 0xee);
  EXPECT_EQ(ministack::pad_ethernet_frame(buffer, 42), 60u);
  EXPECT_TRUE(std::all_of(buffer.begin() + 42, buffer.end(), [](std::uint8_t b) { return b == 0; }));
}

}  // namespace
