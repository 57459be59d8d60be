// IPv4 (RFC 791 §3.1, RFC 1122 §3.2.1): the checked view, the header writer and martian sources.
#include "stack/wire/ipv4.hpp"
#include "stack/ipv4/ipv4_header.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "packets.hpp"

namespace {

using ministack::Bytes;
using ministack::DropReason;
using ministack::Ipv4Address;
using ministack::Ipv4View;
using packets::Frame;

void expect_drop(const Frame& packet, DropReason reason, const std::string& what) {
  const auto ip = Ipv4View::parse(packet);
  ASSERT_FALSE(ip) << what;
  EXPECT_EQ(ip.reason(), reason) << what << ": got " << ministack::describe(ip.reason()).name;
}

// The header from Wikipedia's "IPv4 header checksum" example (a real UDP datagram, checksum 0xb861), followed by
// the 95 bytes its total length (0x73 = 115) announces.
Frame wikipedia_datagram() {
  const Frame header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  return packets::concat(header, packets::pattern(95));
}

TEST(Ipv4View, ParsesARealHeader) {
  const Frame packet = wikipedia_datagram();
  const auto ip = Ipv4View::parse(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->header_length(), 20u);
  EXPECT_EQ(ip->tos(), 0);
  EXPECT_EQ(ip->total_length(), 115);
  EXPECT_EQ(ip->identification(), 0);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_EQ(ip->fragment_offset(), 0u);
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), 17);  // UDP
  EXPECT_EQ(ip->header_checksum(), 0xb861);
  EXPECT_EQ(ip->source(), packets::ipv4_address(192, 168, 0, 1));
  EXPECT_EQ(ip->destination(), packets::ipv4_address(192, 168, 0, 199));
  EXPECT_TRUE(ip->options().empty());
  EXPECT_EQ(ip->payload().size(), 95u);
  EXPECT_EQ(ip->payload().data(), packet.data() + 20);
  EXPECT_EQ(ip->bytes().size(), 115u);
}

TEST(Ipv4View, ReadsEveryFieldFromItsOwnOffset) {
  const Frame packet = packets::ipv4({.tos = 0xb8,
                                      .identification = 0xa1b2,
                                      .flags_fragment = 0x0000,
                                      .ttl = 3,
                                      .protocol = 6,
                                      .source = packets::ipv4_address(10, 20, 30, 40),
                                      .destination = packets::ipv4_address(50, 60, 70, 80)},
                                     packets::pattern(9));
  const auto ip = Ipv4View::parse(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->tos(), 0xb8);
  EXPECT_EQ(ip->total_length(), 29);
  EXPECT_EQ(ip->identification(), 0xa1b2);
  EXPECT_FALSE(ip->dont_fragment());
  EXPECT_EQ(ip->ttl(), 3);
  EXPECT_EQ(ip->protocol(), 6);
  EXPECT_EQ(ip->header_checksum(), packets::get16(packet, 10));
  EXPECT_EQ(ip->source(), packets::ipv4_address(10, 20, 30, 40));
  EXPECT_EQ(ip->destination(), packets::ipv4_address(50, 60, 70, 80));
  EXPECT_TRUE(std::ranges::equal(ip->payload(), packets::pattern(9)));
}

// RFC 1122 §3.2.1.1: a datagram shorter than the minimum header is discarded.
TEST(Ipv4View, TruncatedAtEveryLengthBelow20) {
  const Frame packet = packets::echo_request();
  for (std::size_t length = 0; length < ministack::kIpv4MinHeaderLength; ++length) {
    const auto ip = Ipv4View::parse(Bytes{packet}.first(length));
    ASSERT_FALSE(ip) << "length " << length;
    EXPECT_EQ(ip.reason(), DropReason::ip_truncated) << "length " << length;
  }
}

// RFC 1122 §3.2.1.1: "A datagram whose version number is not 4 MUST be silently discarded."
TEST(Ipv4View, RejectsEveryVersionButFour) {
  for (std::uint8_t version = 0; version < 16; ++version) {
    if (version == 4) continue;
    expect_drop(packets::echo_request({}, {.version = version}), DropReason::ip_bad_version,
                "version " + std::to_string(version));
  }
}

// RFC 791 §3.1: "the minimum value for a correct header is 5".
TEST(Ipv4View, RejectsIhlBelowFive) {
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    expect_drop(packets::echo_request({}, {.ihl = ihl}), DropReason::ip_bad_ihl, "IHL " + std::to_string(ihl));
  }
}

TEST(Ipv4View, IhlBeyondTheDataIsTruncated) {
  // A bare 20-byte header claiming 24 bytes, and one claiming the 60-byte maximum with only 40 bytes there.
  expect_drop(packets::ipv4({.ihl = 6, .total_length = 24}, {}), DropReason::ip_truncated, "IHL 6, 20 bytes");
  expect_drop(packets::ipv4({.ihl = 15, .total_length = 40}, packets::pattern(20)), DropReason::ip_truncated,
              "IHL 15, 40 bytes");
}

// RFC 1122 §3.2.1.1: the total length must cover the header ...
TEST(Ipv4View, TotalLengthShorterThanTheHeader) {
  for (std::uint16_t total : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{19}}) {
    expect_drop(packets::echo_request({}, {.total_length = total}), DropReason::ip_bad_total_length,
                "total length " + std::to_string(total));
  }
  // ... including its options.
  expect_drop(packets::echo_request({}, {.total_length = 20, .options = {1, 1, 1, 0}}), DropReason::ip_bad_total_length,
              "IHL 6, total length 20");
}

// ... and may not exceed what arrived.
TEST(Ipv4View, TotalLengthBeyondWhatArrivedIsTruncated) {
  const Frame packet = packets::echo_request();  // total length 84
  expect_drop(Frame(packet.begin(), packet.end() - 1), DropReason::ip_truncated, "one byte missing");
  expect_drop(Frame(packet.begin(), packet.begin() + 20), DropReason::ip_truncated, "header only");
  expect_drop(packets::echo_request({}, {.total_length = 0xffff}), DropReason::ip_truncated, "total length 65535");
}

// RFC 1122 §3.2.1.2: "A host MUST verify the IP header checksum on every received datagram".
TEST(Ipv4View, RejectsABadHeaderChecksum) {
  expect_drop(packets::echo_request({}, {.bad_checksum = true}), DropReason::ip_bad_checksum, "checksum field");
  // Any single changed header byte, options included, breaks it.
  const Frame packet = packets::echo_request({}, {.options = {0x01, 0x01, 0x01, 0x00}});
  for (std::size_t i = 0; i < 24; ++i) {
    if (i == 0 || i == 2 || i == 3) continue;  // version/IHL and total length are judged before the checksum
    Frame damaged = packet;
    damaged[i] = static_cast<std::uint8_t>(damaged[i] ^ 0x10);
    expect_drop(damaged, DropReason::ip_bad_checksum, "byte " + std::to_string(i) + " changed");
  }
}

TEST(Ipv4View, ChecksumCoversTheHeaderOnly) {
  Frame packet = packets::echo_request();
  packet.back() = static_cast<std::uint8_t>(packet.back() ^ 0xff);
  EXPECT_TRUE(Ipv4View::parse(packet)) << "payload damage is the upper layer's to detect";
}

// The view ends at the total length: link-layer padding never reaches the layer above (smoltcp, lwIP).
TEST(Ipv4View, PayloadEndsAtTotalLength) {
  const Frame packet = packets::echo_request({.data = {}}, {.trailer = Frame(18, 0xab)});
  ASSERT_EQ(packet.size(), 46u);
  const auto ip = Ipv4View::parse(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->total_length(), 28);
  EXPECT_EQ(ip->payload().size(), 8u);
  EXPECT_EQ(ip->bytes().size(), 28u);
  EXPECT_EQ(ip->bytes().data(), packet.data());
  EXPECT_TRUE(std::none_of(ip->payload().begin(), ip->payload().end(), [](std::uint8_t b) { return b == 0xab; }));
}

TEST(Ipv4View, ExposesOptions) {
  // Record route (type 7, length 7, pointer 4, one empty slot), then end of options list.
  const Frame options = {0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00};
  const Frame packet = packets::echo_request({}, {.options = options});
  const auto ip = Ipv4View::parse(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->header_length(), 28u);
  EXPECT_TRUE(std::ranges::equal(ip->options(), options));
  EXPECT_EQ(ip->payload().size(), 64u);
  EXPECT_EQ(ip->payload().front(), 8) << "payload starts after the options: ICMP type 8";

  // The largest header: IHL 15, 40 bytes of options.
  const Frame max_options = packets::pattern(40, 0x01);
  const Frame big_packet = packets::echo_request({}, {.options = max_options});
  const auto big = Ipv4View::parse(big_packet);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->header_length(), 60u);
  EXPECT_TRUE(std::ranges::equal(big->options(), max_options));
}

TEST(Ipv4View, HeaderOnlyDatagramHasEmptyPayload) {
  const Frame packet = packets::ipv4({}, {});
  const auto ip = Ipv4View::parse(packet);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->payload().empty());
}

// RFC 791 §3.1: flags are bit 1 DF and bit 2 MF; the offset is in units of 8 bytes.
TEST(Ipv4View, FragmentFlagsAndOffset) {
  struct Case {
    std::uint16_t field;
    bool df, mf;
    std::size_t offset;
    bool fragment;
  };
  const Case cases[] = {
      {0x0000, false, false, 0, false},   {0x4000, true, false, 0, false},   {0x2000, false, true, 0, true},
      {0x00b9, false, false, 1480, true}, {0x20b9, false, true, 1480, true}, {0x1fff, false, false, 65528, true},
      {0x0001, false, false, 8, true},    {0x8000, false, false, 0, false},  // the reserved bit is no fragment
      {0x6000, true, true, 0, true},
  };
  for (const Case& c : cases) {
    const Frame packet = packets::echo_request({}, {.flags_fragment = c.field});
    const auto ip = Ipv4View::parse(packet);
    ASSERT_TRUE(ip) << std::hex << c.field;
    EXPECT_EQ(ip->dont_fragment(), c.df) << std::hex << c.field;
    EXPECT_EQ(ip->more_fragments(), c.mf) << std::hex << c.field;
    EXPECT_EQ(ip->fragment_offset(), c.offset) << std::hex << c.field;
    EXPECT_EQ(ip->is_fragment(), c.fragment) << std::hex << c.field;
  }
}

// ---- write_ipv4_header ------------------------------------------------------------------------------------------

// Writing the Wikipedia example's fields reproduces its 20 bytes, checksum 0xb861 included.
TEST(WriteIpv4Header, ReproducesARealHeader) {
  Frame buffer(20, 0xee);
  ministack::write_ipv4_header(buffer, {.tos = 0,
                                        .total_length = 0x73,
                                        .identification = 0,
                                        .dont_fragment = true,
                                        .ttl = 64,
                                        .protocol = 17,
                                        .source = packets::ipv4_address(192, 168, 0, 1),
                                        .destination = packets::ipv4_address(192, 168, 0, 199)});
  const Frame datagram = wikipedia_datagram();
  EXPECT_EQ(buffer, Frame(datagram.begin(), datagram.begin() + 20));
}

TEST(WriteIpv4Header, RoundTripsThroughTheView) {
  for (bool df : {false, true}) {
    Frame packet = packets::pattern(20 + 13, 0x90);  // garbage where the header goes, then a 13-byte payload
    const ministack::Ipv4Fields fields{.tos = 0x10,
                                       .total_length = 33,
                                       .identification = 0xbeef,
                                       .dont_fragment = df,
                                       .ttl = 255,
                                       .protocol = 1,
                                       .source = packets::kOurIp,
                                       .destination = packets::ipv4_address(203, 0, 113, 9)};
    ministack::write_ipv4_header(packet, fields);
    EXPECT_EQ(packet[0], 0x45) << "version 4, IHL 5";
    EXPECT_EQ(packets::get16(packet, 6), df ? 0x4000 : 0x0000) << "no MF, offset 0";
    EXPECT_EQ(packets::get16(packet, 10), packets::expected_checksum(Bytes{packet}.first(20), 10));
    EXPECT_TRUE(
        std::ranges::equal(Bytes{packet}.subspan(20), packets::pattern(13, static_cast<std::uint8_t>(0x90 + 20))))
        << "the payload is untouched";

    const auto ip = Ipv4View::parse(packet);
    ASSERT_TRUE(ip) << "df " << df;
    EXPECT_EQ(ip->tos(), fields.tos);
    EXPECT_EQ(ip->total_length(), fields.total_length);
    EXPECT_EQ(ip->identification(), fields.identification);
    EXPECT_EQ(ip->dont_fragment(), df);
    EXPECT_FALSE(ip->is_fragment());
    EXPECT_EQ(ip->ttl(), fields.ttl);
    EXPECT_EQ(ip->protocol(), fields.protocol);
    EXPECT_EQ(ip->source(), fields.source);
    EXPECT_EQ(ip->destination(), fields.destination);
    EXPECT_EQ(ip->payload().size(), 13u);
  }
}

TEST(WriteIpv4Header, DefaultsAreTtl64AndNoOptions) {
  Frame buffer(20);
  ministack::write_ipv4_header(buffer, {});
  EXPECT_EQ(buffer[0], 0x45);
  EXPECT_EQ(buffer[8], 64);
  EXPECT_EQ(packets::get16(buffer, 2), 20);
  EXPECT_EQ(packets::reference_checksum(buffer), 0);
}

// ---- is_martian_source (RFC 1122 §3.2.1.3) ----------------------------------------------------------------------

TEST(IsMartianSource, RejectsReservedSources) {
  for (Ipv4Address a : {
           packets::ipv4_address(0, 0, 0, 0),          // "this host on this network"
           packets::ipv4_address(0, 1, 2, 3),          // "specified host on this network"
           packets::ipv4_address(127, 0, 0, 1),        // loopback
           packets::ipv4_address(127, 255, 255, 255),  // loopback
           packets::ipv4_address(224, 0, 0, 1),        // multicast
           packets::ipv4_address(239, 255, 255, 250),  // multicast
           packets::ipv4_address(255, 255, 255, 255),  // limited broadcast
       }) {
    EXPECT_TRUE(ministack::is_martian_source(a)) << a.to_string();
  }
}

TEST(IsMartianSource, AcceptsOrdinaryUnicastSources) {
  for (Ipv4Address a : {
           packets::ipv4_address(1, 0, 0, 0),
           packets::ipv4_address(10, 0, 0, 1),
           packets::ipv4_address(126, 255, 255, 255),
           packets::ipv4_address(128, 0, 0, 1),
           packets::ipv4_address(192, 168, 3, 1),
           packets::ipv4_address(223, 255, 255, 255),
       }) {
    EXPECT_FALSE(ministack::is_martian_source(a)) << a.to_string();
  }
}

}  // namespace
