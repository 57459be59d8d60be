// UDP (RFC 768): the checked view, the pseudo-header checksum, and finish_udp().
#include "stack/wire/udp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "packets.hpp"

namespace {

using ministack::Bytes;
using ministack::DropReason;
using ministack::Ipv4Address;
using ministack::MutableBytes;
using ministack::UdpView;
using packets::bytes_of;
using packets::Frame;
using packets::with_pseudo_header;

constexpr Ipv4Address kClient = packets::ipv4_address(192, 168, 3, 11);
constexpr Ipv4Address kServer = packets::ipv4_address(192, 168, 3, 12);

// The client's datagram in pcaps/tap_udp_closed.pcap (`echo hello >/dev/udp/192.168.3.12/9`), from the real Linux
// kernel with checksum offload off: 192.168.3.11:51387 -> 192.168.3.12:9, length 14, checksum 0x6bc9, "hello\n".
const Frame kCapturedDatagram = {0xc8, 0xbb, 0x00, 0x09, 0x00, 0x0e, 0x6b, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a};

// A datagram from the client to the server (packets::udp: built byte by byte, the checksum from
// packets::reference_checksum over the pseudo-header and the bytes the length field covers, never from the code
// under test).
Frame udp(packets::Udp u) {
  u.source = kClient;
  u.destination = kServer;
  return packets::udp(u);
}

TEST(UdpView, ParsesAGoodDatagram) {
  const Frame datagram = udp({.source_port = 0xabcd, .destination_port = 53, .payload = packets::pattern(20)});
  const auto view = UdpView::parse(datagram, kClient, kServer);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->source_port(), 0xabcd);
  EXPECT_EQ(view->destination_port(), 53);
  EXPECT_EQ(view->length(), 28);
  EXPECT_EQ(view->checksum(), packets::get16(datagram, 6));
  EXPECT_NE(view->checksum(), 0);
  EXPECT_TRUE(std::ranges::equal(view->payload(), packets::pattern(20)));
  EXPECT_EQ(view->payload().data(), datagram.data() + 8);  // a view, not a copy
  EXPECT_EQ(view->bytes().size(), 28u);
}

TEST(UdpView, HeaderOnlyDatagramIsValid) {
  const Frame datagram = udp({.payload = {}});
  const auto view = UdpView::parse(datagram, kClient, kServer);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->length(), 8);
  EXPECT_TRUE(view->payload().empty());
}

// A datagram from a real capture, with the checksum the Linux kernel computed.
TEST(UdpView, ParsesTheDatagramFromARealCapture) {
  ASSERT_EQ(packets::reference_checksum(with_pseudo_header(kCapturedDatagram, kClient, kServer, 14)), 0)
      << "the captured bytes themselves must verify";
  const auto view = UdpView::parse(kCapturedDatagram, kClient, kServer);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->source_port(), 51387);
  EXPECT_EQ(view->destination_port(), 9);
  EXPECT_EQ(view->length(), 14);
  EXPECT_EQ(view->checksum(), 0x6bc9);
  EXPECT_TRUE(std::ranges::equal(view->payload(), bytes_of("hello\n")));
}

TEST(UdpView, TruncatedAtEveryLengthBelowTheHeader) {
  for (std::size_t length = 0; length < ministack::kUdpHeaderLength; ++length) {
    const auto view = UdpView::parse(Bytes{kCapturedDatagram}.first(length), kClient, kServer);
    ASSERT_FALSE(view) << "length " << length;
    EXPECT_EQ(view.reason(), DropReason::udp_truncated) << "length " << length;
  }
}

TEST(UdpView, RejectsALengthFieldBeyondTheBytesGiven) {
  for (const std::uint16_t length : {std::uint16_t{15}, std::uint16_t{16}, std::uint16_t{0xffff}}) {
    const Frame datagram = udp({.length = length});  // 14 bytes there
    const auto view = UdpView::parse(datagram, kClient, kServer);
    ASSERT_FALSE(view) << "length field " << length;
    EXPECT_EQ(view.reason(), DropReason::udp_truncated) << "length field " << length;
  }
  // The datagram cut short by one byte: its length field (14) now exceeds what arrived.
  const auto cut = UdpView::parse(Bytes{kCapturedDatagram}.first(13), kClient, kServer);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.reason(), DropReason::udp_truncated);
}

TEST(UdpView, RejectsALengthFieldBelowTheHeader) {
  for (std::uint16_t length = 0; length < 8; ++length) {
    const Frame datagram = udp({.length = length});
    const auto view = UdpView::parse(datagram, kClient, kServer);
    ASSERT_FALSE(view) << "length field " << length;
    EXPECT_EQ(view.reason(), DropReason::udp_truncated) << "length field " << length;
  }
}

TEST(UdpView, RejectsABadChecksum) {
  const Frame marked = udp({.checksum = 0x1234});
  const auto view = UdpView::parse(marked, kClient, kServer);
  ASSERT_FALSE(view);
  EXPECT_EQ(view.reason(), DropReason::udp_bad_checksum);

  // Every byte is covered, the odd last one included (except the length field, whose change is a truncation).
  const Frame datagram = udp({.payload = packets::pattern(9)});  // 17 bytes
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    if (i == 4 || i == 5) continue;
    Frame damaged = datagram;
    damaged[i] = static_cast<std::uint8_t>(damaged[i] ^ 0x01);
    const auto parsed = UdpView::parse(damaged, kClient, kServer);
    ASSERT_FALSE(parsed) << "byte " << i;
    EXPECT_EQ(parsed.reason(), DropReason::udp_bad_checksum) << "byte " << i;
  }
}

// RFC 768: the pseudo-header puts the IP addresses under the checksum; a datagram for another address fails.
TEST(UdpView, ChecksumCoversThePseudoHeader) {
  const Frame datagram = udp({});
  ASSERT_TRUE(UdpView::parse(datagram, kClient, kServer));
  const Ipv4Address other = packets::ipv4_address(192, 168, 3, 13);
  const auto wrong_source = UdpView::parse(datagram, other, kServer);
  ASSERT_FALSE(wrong_source);
  EXPECT_EQ(wrong_source.reason(), DropReason::udp_bad_checksum);
  const auto wrong_destination = UdpView::parse(datagram, kClient, other);
  ASSERT_FALSE(wrong_destination);
  EXPECT_EQ(wrong_destination.reason(), DropReason::udp_bad_checksum);
  // Swapped addresses sum the same: one's complement addition commutes. Expected, and documented here.
  EXPECT_TRUE(UdpView::parse(datagram, kServer, kClient));
}

// RFC 768 / RFC 1122 §4.1.3.4: a checksum field of 0 means the sender computed none; the datagram is accepted.
TEST(UdpView, AcceptsAZeroChecksum) {
  const Frame datagram = udp({.payload = packets::pattern(5), .checksum = 0});
  const auto view = UdpView::parse(datagram, kClient, kServer);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->checksum(), 0);
  EXPECT_TRUE(std::ranges::equal(view->payload(), packets::pattern(5)));
  // Whatever the addresses and contents: nothing is verified.
  Frame changed = datagram;
  changed[10] = 0xee;
  EXPECT_TRUE(UdpView::parse(changed, kServer, packets::kPeerIp));
}

// Bytes after the UDP length inside the IP payload (slack) are neither payload nor under the checksum.
TEST(UdpView, PayloadEndsAtTheLengthField) {
  const Frame datagram = udp({.payload = bytes_of("abc"), .slack = Frame{0xde, 0xad, 0xbe, 0xef, 0x01}});
  ASSERT_EQ(datagram.size(), 16u);
  const auto view = UdpView::parse(datagram, kClient, kServer);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->length(), 11);
  EXPECT_TRUE(std::ranges::equal(view->payload(), bytes_of("abc")));
  EXPECT_EQ(view->bytes().size(), 11u);

  // Changing the slack changes nothing.
  Frame other_slack = datagram;
  other_slack.back() = 0x77;
  EXPECT_TRUE(UdpView::parse(other_slack, kClient, kServer));
}

// ---- finish_udp -------------------------------------------------------------------------------------------------

TEST(FinishUdp, RoundTripsThroughParse) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{6}, std::size_t{7}, std::size_t{1472}}) {
    Frame datagram(8 + size, 0xcc);  // header contents are ignored
    packets::put_bytes(datagram, 8, packets::pattern(size, 0x41));
    ministack::finish_udp(datagram, kServer, kClient, 9, 51387);

    EXPECT_EQ(packets::get16(datagram, 0), 9) << size;
    EXPECT_EQ(packets::get16(datagram, 2), 51387) << size;
    EXPECT_EQ(packets::get16(datagram, 4), 8 + size) << size;
    EXPECT_EQ(packets::reference_checksum(
                  with_pseudo_header(datagram, kServer, kClient, static_cast<std::uint16_t>(8 + size))),
              0)
        << size;

    const auto view = UdpView::parse(datagram, kServer, kClient);
    ASSERT_TRUE(view) << size;
    EXPECT_EQ(view->source_port(), 9);
    EXPECT_EQ(view->destination_port(), 51387);
    EXPECT_EQ(view->length(), 8 + size);
    EXPECT_NE(view->checksum(), 0);
    EXPECT_TRUE(std::ranges::equal(view->payload(), packets::pattern(size, 0x41)));
  }
}

TEST(FinishUdp, ReproducesTheCapturedChecksum) {
  Frame datagram = kCapturedDatagram;
  std::fill_n(datagram.begin(), 8, 0);
  ministack::finish_udp(datagram, kClient, kServer, 51387, 9);
  EXPECT_EQ(datagram, kCapturedDatagram);
  EXPECT_EQ(packets::get16(datagram, 6), 0x6bc9);
}

// RFC 768: a computed checksum of 0 is sent as all ones, since 0 would mean "no checksum".
TEST(FinishUdp, SendsAComputedZeroAsAllOnes) {
  // Two payload bytes chosen so that the whole sum is 0xffff: the checksum field then computes to 0.
  Frame datagram(8 + 4, 0);
  packets::put16(datagram, 0, 1234);
  packets::put16(datagram, 2, 5678);
  packets::put16(datagram, 4, 12);
  packets::put16(datagram, 8, 0x0102);
  packets::put16(datagram, 10, packets::reference_checksum(with_pseudo_header(datagram, kServer, kClient, 12)));
  ASSERT_EQ(packets::reference_checksum(with_pseudo_header(datagram, kServer, kClient, 12)), 0)
      << "with the field at 0 the datagram already sums to all ones";

  const Frame payload(datagram.begin() + 8, datagram.end());
  ministack::finish_udp(datagram, kServer, kClient, 1234, 5678);
  EXPECT_EQ(packets::get16(datagram, 6), 0xffff);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), datagram.begin() + 8));

  // And 0xffff verifies on the way in (it is one's complement zero).
  const auto view = UdpView::parse(datagram, kServer, kClient);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->checksum(), 0xffff);
}

TEST(FinishUdp, WritesOnlyTheDatagram) {
  Frame buffer(40, 0x5a);
  const MutableBytes datagram = MutableBytes{buffer}.subspan(4, 20);
  ministack::finish_udp(datagram, kClient, kServer, 1, 2);
  EXPECT_TRUE(std::all_of(buffer.begin(), buffer.begin() + 4, [](std::uint8_t b) { return b == 0x5a; }));
  EXPECT_TRUE(std::all_of(buffer.begin() + 24, buffer.end(), [](std::uint8_t b) { return b == 0x5a; }));
  EXPECT_TRUE(UdpView::parse(datagram, kClient, kServer));
}

}  // namespace
