// ICMP errors: when one may be sent (RFC 1122 §3.2.2), and what write_icmp_error() builds (RFC 792,
// RFC 1812 §4.3.2.3), checked against what the Linux kernel sent in pcaps/*_udp_closed.pcap.
#include "stack/transport/icmp_error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>

#include "packets.hpp"
#include "stack/ipv4/ipv4_header.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/wire/icmp.hpp"

namespace {

using ministack::Bytes;
using ministack::IcmpView;
using ministack::Ipv4Address;
using ministack::Ipv4Interface;
using ministack::Ipv4View;
using ministack::MutableBytes;
using packets::Frame;
using packets::ipv4_address;

namespace unreachable = ministack::icmp_unreachable;
using Types = std::initializer_list<std::uint8_t>;

const Ipv4Interface kUs{packets::kOurIp, 24};  // 192.168.3.12/24

// An IPv4 datagram to us from the peer; a UDP header and "hello\n" by default. (The UDP checksum is not looked at.)
Frame datagram(const packets::Ipv4& header = {.protocol = 17},
               const Frame& payload = {0xc8, 0xbb, 0x00, 0x09, 0x00, 0x0e, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o', '\n'}) {
  return packets::ipv4(header, payload);
}

Ipv4View view(const Frame& bytes) {
  const auto parsed = Ipv4View::parse(bytes);
  EXPECT_TRUE(parsed) << "test datagram must parse";
  return *parsed;
}

bool may_send(const Frame& bytes, bool link_broadcast = false, const Ipv4Interface& us = kUs) {
  return ministack::may_send_icmp_error(ministack::ipv4_context(view(bytes), false, link_broadcast), us);
}

// ---- may_send_icmp_error: what is allowed ------------------------------------------------------------------------

TEST(MaySendIcmpError, AllowsAUnicastUdpDatagramFromAHost) {
  EXPECT_TRUE(may_send(datagram()));
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .source = ipv4_address(10, 1, 2, 3)})));  // another subnet
  EXPECT_TRUE(may_send(datagram({.flags_fragment = 0x0000, .protocol = 17})));             // DF clear
}

TEST(MaySendIcmpError, AllowsAnyProtocolWithAnyPayload) {
  EXPECT_TRUE(may_send(datagram({.protocol = 6})));       // TCP
  EXPECT_TRUE(may_send(datagram({.protocol = 99}, {})));  // no payload at all
  EXPECT_TRUE(may_send(datagram({.protocol = 253}, {0x03})));
}

// RFC 1122 §3.2.2 names only ICMP *error* messages: queries and their replies may be answered with an error.
TEST(MaySendIcmpError, AllowsIcmpQueries) {
  for (const std::uint8_t type : Types{0, 8, 13, 14, 15, 16, 17, 18}) {
    EXPECT_TRUE(may_send(packets::echo_request({.type = type}))) << "type " << int{type};
    EXPECT_FALSE(ministack::is_icmp_error_type(type)) << "type " << int{type};
  }
  EXPECT_TRUE(may_send(datagram({.protocol = 1}, {8})));  // one byte is enough to read the type
}

// RFC 1122 §3.2.2 forbids only *non-initial* fragments: the first one (offset 0, MF set) may be answered.
TEST(MaySendIcmpError, AllowsAFirstFragment) {
  EXPECT_TRUE(may_send(datagram({.flags_fragment = 0x2000, .protocol = 17})));
  EXPECT_TRUE(may_send(packets::echo_request({}, {.flags_fragment = 0x2000})));
}

// A network address (host part 0) as source is left allowed: of our own subnet, or of anyone else's.
TEST(MaySendIcmpError, AllowsANetworkAddressAsSource) {
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .source = ipv4_address(192, 168, 3, 0)})));
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .source = ipv4_address(10, 0, 0, 0)})));
  // Another subnet's "broadcast" is just an address to us: we cannot know its prefix.
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .source = ipv4_address(10, 0, 0, 255)})));
}

// /31 (RFC 3021) and /32 have no directed broadcast: the "broadcast" computed for them is a host, maybe us.
TEST(MaySendIcmpError, PointToPointAndHostPrefixesHaveNoBroadcast) {
  const Ipv4Interface host_route{packets::kOurIp, 32};
  EXPECT_TRUE(may_send(datagram(), false, host_route));
  const Ipv4Interface point_to_point{ipv4_address(192, 168, 3, 12), 31};  // peer: 192.168.3.13
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .source = ipv4_address(192, 168, 3, 13)}), false, point_to_point));
  EXPECT_TRUE(may_send(datagram(), false, point_to_point));
}

// ---- may_send_icmp_error: every exclusion of RFC 1122 §3.2.2 ----------------------------------------------------

// "an ICMP error message": 3, 4, 5, 11, 12, and every type that is not a known query.
TEST(MaySendIcmpError, RefusesIcmpErrorMessages) {
  for (const std::uint8_t type : Types{3, 4, 5, 11, 12}) {
    EXPECT_FALSE(may_send(packets::echo_request({.type = type, .code = 1}))) << "type " << int{type};
    EXPECT_TRUE(ministack::is_icmp_error_type(type)) << "type " << int{type};
  }
  for (const std::uint8_t type : Types{1, 2, 6, 7, 9, 10, 19, 30, 42, 255}) {
    EXPECT_FALSE(may_send(packets::echo_request({.type = type}))) << "unknown type " << int{type};
  }
  // The type is read even when the ICMP message is shorter than its header (the error is about the IP datagram).
  EXPECT_FALSE(may_send(datagram({.protocol = 1}, {3})));
}

TEST(MaySendIcmpError, RefusesAnIcmpDatagramWithoutATypeByte) { EXPECT_FALSE(may_send(datagram({.protocol = 1}, {}))); }

TEST(MaySendIcmpError, RefusesADatagramToABroadcastOrMulticastAddress) {
  for (const Ipv4Address destination :
       {ipv4_address(255, 255, 255, 255), ipv4_address(192, 168, 3, 255), ipv4_address(224, 0, 0, 1),
        ipv4_address(224, 0, 0, 251), ipv4_address(239, 255, 255, 250)}) {
    EXPECT_FALSE(may_send(datagram({.protocol = 17, .destination = destination}))) << destination.to_string();
  }
  // The directed broadcast follows the prefix.
  const Ipv4Interface wide{packets::kOurIp, 16};
  EXPECT_FALSE(may_send(datagram({.protocol = 17, .destination = ipv4_address(192, 168, 255, 255)}), false, wide));
  EXPECT_TRUE(may_send(datagram({.protocol = 17, .destination = ipv4_address(192, 168, 3, 255)}), false, wide));
}

TEST(MaySendIcmpError, RefusesALinkLayerBroadcast) {
  EXPECT_FALSE(may_send(datagram(), true));
  EXPECT_FALSE(may_send(packets::echo_request(), true));
}

TEST(MaySendIcmpError, RefusesANonInitialFragment) {
  EXPECT_FALSE(may_send(datagram({.flags_fragment = 0x0001, .protocol = 17})));  // offset 8, last fragment
  EXPECT_FALSE(may_send(datagram({.flags_fragment = 0x2001, .protocol = 17})));  // offset 8, more to come
  EXPECT_FALSE(may_send(datagram({.flags_fragment = 0x1fff, .protocol = 17})));  // the largest offset
  // An ICMP fragment whose data happens to start with 8 (not an ICMP header at all): refused as a fragment.
  EXPECT_FALSE(may_send(datagram({.flags_fragment = 0x0003, .protocol = 1}, {8, 0, 0, 0, 0, 0, 0, 0})));
  // And with no data at all (which for offset 0 would also be refused, as an unreadable ICMP type).
  EXPECT_FALSE(may_send(datagram({.flags_fragment = 0x0003, .protocol = 17}, {})));
}

TEST(MaySendIcmpError, RefusesASourceThatIsNotASingleHost) {
  for (const Ipv4Address source : {
           ipv4_address(0, 0, 0, 0),          // zero
           ipv4_address(0, 1, 2, 3),          // "this network" 0/8
           ipv4_address(127, 0, 0, 1),        // loopback
           ipv4_address(127, 255, 255, 254),  // loopback
           ipv4_address(224, 0, 0, 1),        // multicast
           ipv4_address(239, 1, 2, 3),        // multicast
           ipv4_address(240, 0, 0, 1),        // class E
           ipv4_address(254, 255, 255, 255),  // class E
           ipv4_address(255, 255, 255, 255),  // limited broadcast
           ipv4_address(192, 168, 3, 255),    // our subnet's broadcast
       }) {
    EXPECT_FALSE(may_send(datagram({.protocol = 17, .source = source}))) << source.to_string();
  }
}

// ---- write_icmp_error -------------------------------------------------------------------------------------------

// The datagrams and the kernel's port unreachable replies in pcaps/tap_udp_closed.pcap (Ethernet header removed)
// and pcaps/tun_udp_closed.pcap, from `tcpdump -xx`. Given the kernel's IP identification, ministack must write
// the very same bytes.
const Frame kTapDatagram = {0x45, 0x00, 0x00, 0x22, 0x71, 0xed, 0x40, 0x00, 0x40, 0x11, 0x41, 0x76,
                            0xc0, 0xa8, 0x03, 0x0b, 0xc0, 0xa8, 0x03, 0x0c, 0xc8, 0xbb, 0x00, 0x09,
                            0x00, 0x0e, 0x6b, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a};
const Frame kTapKernelError = {0x45, 0xc0, 0x00, 0x3e, 0x02, 0x77, 0x00, 0x00, 0x40, 0x01, 0xf0, 0x20, 0xc0,
                               0xa8, 0x03, 0x0c, 0xc0, 0xa8, 0x03, 0x0b, 0x03, 0x03, 0x84, 0x84, 0x00, 0x00,
                               0x00, 0x00, 0x45, 0x00, 0x00, 0x22, 0x71, 0xed, 0x40, 0x00, 0x40, 0x11, 0x41,
                               0x76, 0xc0, 0xa8, 0x03, 0x0b, 0xc0, 0xa8, 0x03, 0x0c, 0xc8, 0xbb, 0x00, 0x09,
                               0x00, 0x0e, 0x6b, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a};
const Frame kTunDatagram = {0x45, 0x00, 0x00, 0x22, 0xf1, 0x77, 0x40, 0x00, 0x40, 0x11, 0xc1, 0xeb,
                            0xc0, 0xa8, 0x03, 0x0b, 0xc0, 0xa8, 0x03, 0x0c, 0xc6, 0x72, 0x00, 0x09,
                            0x00, 0x0e, 0x6e, 0x12, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a};
const Frame kTunKernelError = {0x45, 0xc0, 0x00, 0x3e, 0x06, 0x7b, 0x00, 0x00, 0x40, 0x01, 0xec, 0x1c, 0xc0,
                               0xa8, 0x03, 0x0c, 0xc0, 0xa8, 0x03, 0x0b, 0x03, 0x03, 0x84, 0x84, 0x00, 0x00,
                               0x00, 0x00, 0x45, 0x00, 0x00, 0x22, 0xf1, 0x77, 0x40, 0x00, 0x40, 0x11, 0xc1,
                               0xeb, 0xc0, 0xa8, 0x03, 0x0b, 0xc0, 0xa8, 0x03, 0x0c, 0xc6, 0x72, 0x00, 0x09,
                               0x00, 0x0e, 0x6e, 0x12, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a};

constexpr Ipv4Address kServer = ipv4_address(192, 168, 3, 12);

// The whole error datagram, as Icmp sends it: the message from write_icmp_error() behind the 20-byte header that
// Icmp asks Ipv4::send for (TOS 0xc0, DF clear, TTL 64, protocol 1, to the offending datagram's source).
std::size_t write_icmp_error(MutableBytes out, std::uint8_t type, std::uint8_t code, const Ipv4View& offending,
                             Ipv4Address source, std::uint16_t identification) {
  const std::size_t message = ministack::write_icmp_error(out.subspan(ministack::kIpv4MinHeaderLength), type, code,
                                                          ministack::ipv4_context(offending, false, false));
  const std::size_t length = ministack::kIpv4MinHeaderLength + message;
  ministack::write_ipv4_header(out, {.tos = ministack::kIcmpErrorTos,
                                     .total_length = static_cast<std::uint16_t>(length),
                                     .identification = identification,
                                     .dont_fragment = false,
                                     .ttl = 64,
                                     .protocol = 1,
                                     .source = source,
                                     .destination = offending.source()});
  return length;
}

// Writes the error about `offending` into a 576-byte buffer and returns exactly the bytes written.
Frame write_error(const Frame& offending, std::uint8_t type = unreachable::type, std::uint8_t code = unreachable::port,
                  std::uint16_t identification = 0x1234) {
  Frame out(ministack::kIcmpErrorMaxLength, 0xa5);
  const std::size_t length = write_icmp_error(out, type, code, view(offending), kServer, identification);
  EXPECT_LE(length, out.size());
  out.resize(length);
  return out;
}

// The error must parse as IPv4 + ICMP, both checksums valid, and quote the first `quote_length` bytes of
// `offending`. Fields are read with the test's own helpers, not the views alone.
void expect_valid_error(const Frame& error, const Frame& offending, std::size_t quote_length,
                        std::uint8_t code = unreachable::port) {
  ASSERT_EQ(error.size(), 28 + quote_length);
  const auto ip = Ipv4View::parse(error);
  ASSERT_TRUE(ip) << "IP header must parse, checksum included";
  EXPECT_EQ(packets::reference_checksum(Bytes{error}.first(20)), 0);
  EXPECT_EQ(error[0], 0x45) << "version 4, IHL 5: no options";
  EXPECT_EQ(error[1], 0xc0) << "TOS: precedence internetwork control";
  EXPECT_EQ(packets::get16(error, 2), error.size());
  EXPECT_EQ(packets::get16(error, 6), 0x0000) << "DF clear, offset 0";
  EXPECT_EQ(error[8], 64) << "TTL";
  EXPECT_EQ(error[9], 1) << "protocol ICMP";
  EXPECT_EQ(packets::get32(error, 12), kServer.value);
  EXPECT_EQ(packets::get32(error, 16), packets::get32(offending, 12)) << "to the offending datagram's source";

  const auto icmp = IcmpView::parse(ip->payload());
  ASSERT_TRUE(icmp) << "ICMP message must parse, checksum included";
  EXPECT_EQ(packets::reference_checksum(Bytes{error}.subspan(20)), 0);
  EXPECT_EQ(icmp->type(), 3);
  EXPECT_EQ(icmp->code(), code);
  EXPECT_EQ(packets::get32(error, 24), 0u) << "unused";
  EXPECT_TRUE(std::ranges::equal(icmp->data(), Bytes{offending}.first(quote_length))) << "the quote";
}

TEST(WriteIcmpError, MatchesTheKernelsPortUnreachableOverTap) {
  const Frame error = write_error(kTapDatagram, unreachable::type, unreachable::port, 0x0277);
  EXPECT_EQ(error, kTapKernelError);
}

TEST(WriteIcmpError, MatchesTheKernelsPortUnreachableOverTun) {
  const Frame error = write_error(kTunDatagram, unreachable::type, unreachable::port, 0x067b);
  EXPECT_EQ(error, kTunKernelError);
}

// The fixture's shape, whatever the identification: UDP "hello\n" to port 9, IP total length 34 -> a 62-byte
// error with a 34-byte quote (the whole datagram).
TEST(WriteIcmpError, QuotesAllOfASmallDatagram) {
  ASSERT_EQ(packets::get16(kTapDatagram, 2), 34);
  const Frame error = write_error(kTapDatagram);
  EXPECT_EQ(error.size(), 62u);
  expect_valid_error(error, kTapDatagram, 34);
  EXPECT_EQ(packets::get16(error, 4), 0x1234) << "the identification given";
}

TEST(WriteIcmpError, WritesTheTypeAndCodeGiven) {
  const Frame offending = datagram({.protocol = 132});
  const Frame error = write_error(offending, unreachable::type, unreachable::protocol);
  expect_valid_error(error, offending, offending.size(), unreachable::protocol);
  EXPECT_EQ(error[21], 2);
}

TEST(WriteIcmpError, QuotesAHeaderOnlyDatagram) {
  const Frame offending = datagram({.protocol = 99}, {});
  const Frame error = write_error(offending);
  EXPECT_EQ(error.size(), 48u);
  expect_valid_error(error, offending, 20);
}

TEST(WriteIcmpError, QuotesTheOffendingHeaderWithItsOptions) {
  // Record route (7), length 11, pointer 4, room for 2 addresses; then end of options, padding to 12 bytes.
  const Frame options = {0x07, 0x0b, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  const Frame offending = datagram({.protocol = 17, .options = options});
  ASSERT_EQ(offending[0], 0x48);
  const Frame error = write_error(offending);
  expect_valid_error(error, offending, offending.size());
  EXPECT_EQ(error.size(), 28 + 32 + 14u);
  EXPECT_EQ(error[28], 0x48) << "the quoted header keeps its IHL";
  EXPECT_TRUE(std::equal(options.begin(), options.end(), error.begin() + 48)) << "and its options";
  EXPECT_EQ(error[0], 0x45) << "the error itself carries none";
}

// RFC 1812 §4.3.2.3: the error is cut at 576 bytes; Linux quotes 576 - 20 - 8 = 548 bytes.
TEST(WriteIcmpError, CutsALargeDatagramAt576Bytes) {
  const Frame offending = datagram({.protocol = 17}, packets::pattern(1480));  // 1500 bytes
  const Frame error = write_error(offending);
  EXPECT_EQ(error.size(), 576u);
  expect_valid_error(error, offending, 548);

  const Frame with_options =
      datagram({.protocol = 17, .options = Frame(40, 0x01)}, packets::pattern(1440));  // IHL 15, 1500 bytes
  ASSERT_EQ(with_options[0], 0x4f);
  const Frame error2 = write_error(with_options);
  EXPECT_EQ(error2.size(), 576u);
  expect_valid_error(error2, with_options, 548);
}

TEST(WriteIcmpError, CutsExactlyAtTheBoundary) {
  const Frame fits = datagram({.protocol = 17}, packets::pattern(528));  // 548 bytes: quoted whole
  EXPECT_EQ(write_error(fits).size(), 576u);
  expect_valid_error(write_error(fits), fits, 548);
  const Frame one_over = datagram({.protocol = 17}, packets::pattern(529));  // 549 bytes: the last one cut
  expect_valid_error(write_error(one_over), one_over, 548);
  const Frame one_under = datagram({.protocol = 17}, packets::pattern(527));
  expect_valid_error(write_error(one_under), one_under, 547);
}

// The quote ends at the offending datagram's total length: Ethernet padding is not part of it.
TEST(WriteIcmpError, QuotesUpToTheTotalLengthOnly) {
  const Frame padded = packets::pad_to(kTapDatagram, 46, 0xee);  // what a NIC pads a 60-byte frame with
  const Frame error = write_error(padded);
  EXPECT_EQ(error.size(), 62u);
  expect_valid_error(error, kTapDatagram, 34);
}

TEST(WriteIcmpError, WritesNothingPastTheError) {
  Frame out(600, 0xa5);
  const std::size_t length =
      write_icmp_error(out, unreachable::type, unreachable::port, view(kTapDatagram), kServer, 1);
  EXPECT_EQ(length, 62u);
  EXPECT_TRUE(std::all_of(out.begin() + 62, out.end(), [](std::uint8_t b) { return b == 0xa5; }));
}

TEST(WriteIcmpError, AnExactlySizedBufferIsEnough) {
  Frame out(62, 0);
  EXPECT_EQ(write_icmp_error(out, unreachable::type, unreachable::port, view(kTapDatagram), kServer, 0x0277), 62u);
  EXPECT_EQ(out, kTapKernelError);
}

#ifndef NDEBUG
TEST(WriteIcmpErrorDeathTest, AssertsTheBufferIsLargeEnough) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Frame out(61, 0);
  EXPECT_DEATH(write_icmp_error(out, unreachable::type, unreachable::port, view(kTapDatagram), kServer, 1), "");
}
#endif

}  // namespace
