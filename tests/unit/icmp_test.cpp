// ICMP (RFC 792): the checked view and the in-place echo reply.
#include "stack/wire/icmp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "packets.hpp"

namespace {

using ministack::Bytes;
using ministack::DropReason;
using ministack::IcmpView;
using packets::Frame;

TEST(IcmpView, ParsesAnEchoRequest) {
  const Frame message =
      packets::icmp({.type = 8, .code = 0, .identifier = 0xabcd, .sequence = 0x0102, .data = packets::pattern(56)});
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), ministack::icmp_type::echo_request);
  EXPECT_EQ(icmp->code(), 0);
  EXPECT_EQ(icmp->checksum(), packets::get16(message, 2));
  EXPECT_EQ(icmp->identifier(), 0xabcd);
  EXPECT_EQ(icmp->sequence(), 0x0102);
  EXPECT_EQ(icmp->size(), 64u);
  EXPECT_TRUE(std::ranges::equal(icmp->data(), packets::pattern(56)));
  EXPECT_EQ(icmp->data().data(), message.data() + 8);
}

TEST(IcmpView, HeaderOnlyMessageIsValid) {
  const Frame message = packets::icmp({.data = {}});
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->size(), 8u);
  EXPECT_TRUE(icmp->data().empty());
}

TEST(IcmpView, OtherTypesParse) {
  for (std::uint8_t type : {std::uint8_t{0}, std::uint8_t{3}, std::uint8_t{11}, std::uint8_t{42}}) {
    const Frame message = packets::icmp({.type = type, .code = 1});
    const auto icmp = IcmpView::parse(message);
    ASSERT_TRUE(icmp) << "type " << int{type};
    EXPECT_EQ(icmp->type(), type);
    EXPECT_EQ(icmp->code(), 1);
  }
}

TEST(IcmpView, TruncatedAtEveryLengthBelowTheHeader) {
  const Frame message = packets::icmp({.data = {}});
  for (std::size_t length = 0; length < ministack::kIcmpHeaderLength; ++length) {
    const auto icmp = IcmpView::parse(Bytes{message}.first(length));
    ASSERT_FALSE(icmp) << "length " << length;
    EXPECT_EQ(icmp.reason(), DropReason::icmp_truncated) << "length " << length;
  }
}

// RFC 792: the checksum covers the whole ICMP message, data included, odd last byte included.
TEST(IcmpView, RejectsABadChecksum) {
  const Frame bad = packets::icmp({.bad_checksum = true});
  const auto marked = IcmpView::parse(bad);
  ASSERT_FALSE(marked);
  EXPECT_EQ(marked.reason(), DropReason::icmp_bad_checksum);

  const Frame message = packets::icmp({.data = packets::pattern(9)});  // 17 bytes: an odd last byte
  for (std::size_t i = 0; i < message.size(); ++i) {
    Frame damaged = message;
    damaged[i] = static_cast<std::uint8_t>(damaged[i] ^ 0x01);
    const auto icmp = IcmpView::parse(damaged);
    ASSERT_FALSE(icmp) << "byte " << i;
    EXPECT_EQ(icmp.reason(), DropReason::icmp_bad_checksum) << "byte " << i;
  }
}

TEST(IcmpView, OddLengthWithGoodChecksumParses) {
  const Frame message = packets::icmp({.data = packets::pattern(1, 0xff)});
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->size(), 9u);
}

// ---- make_echo_reply_in_place -----------------------------------------------------------------------------------

// RFC 792 "Echo or Echo Reply Message": type 0; identifier, sequence and data as received; a checksum that verifies.
void expect_reply_of(const Frame& request, const Frame& reply) {
  ASSERT_EQ(reply.size(), request.size());
  EXPECT_EQ(reply[0], ministack::icmp_type::echo_reply);
  EXPECT_EQ(reply[1], request[1]) << "code kept";
  EXPECT_TRUE(std::equal(request.begin() + 4, request.end(), reply.begin() + 4)) << "id, seq and data kept";
  EXPECT_EQ(packets::get16(reply, 2), packets::expected_checksum(reply, 2)) << "checksum equals a full recompute";
  EXPECT_EQ(packets::reference_checksum(reply), 0) << "the reply verifies";
}

TEST(MakeEchoReplyInPlace, TurnsARequestIntoItsReply) {
  const Frame request = packets::icmp({.identifier = 0x1c2d, .sequence = 7});
  Frame reply = request;
  ministack::make_echo_reply_in_place(reply);
  expect_reply_of(request, reply);
  EXPECT_TRUE(IcmpView::parse(reply));
}

TEST(MakeEchoReplyInPlace, KeepsANonZeroCode) {
  const Frame request = packets::icmp({.code = 1});
  Frame reply = request;
  ministack::make_echo_reply_in_place(reply);
  expect_reply_of(request, reply);
}

TEST(MakeEchoReplyInPlace, MatchesAFullRecomputeOnRandomRequests) {
  std::mt19937 rng(792);
  for (int round = 0; round < 2000; ++round) {
    Frame data(rng() % 120);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const Frame request = packets::icmp({.code = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : 0),
                                         .identifier = static_cast<std::uint16_t>(rng()),
                                         .sequence = static_cast<std::uint16_t>(rng()),
                                         .data = data});
    Frame reply = request;
    ministack::make_echo_reply_in_place(reply);
    expect_reply_of(request, reply);
    if (HasFailure()) FAIL() << "round " << round << ", " << data.size() << " data bytes";
  }
}

TEST(MakeEchoReplyInPlace, OnlyTheMessageIsTouched) {
  Frame buffer = packets::icmp({});
  const std::size_t length = buffer.size();
  buffer.resize(length + 8, 0xee);
  ministack::make_echo_reply_in_place(ministack::MutableBytes{buffer}.first(length));
  EXPECT_TRUE(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(length), buffer.end(),
                          [](std::uint8_t b) { return b == 0xee; }));
}

// An echo request whose identifier, sequence number and data are all zero (real captures carry them, e.g. zeek's
// chksums/ip4-icmp-good-chksum.pcap and suricata-verify's detect-icmp-id-02): its reply is a message of all zero
// bytes, whose only valid checksum is 0xffff (RFC 1071: the message summed with its checksum must be all ones).
// RFC 1624's eqn. 3 assumes some covered word is non-zero and yields 0x0000 here, which a receiver rejects.
TEST(MakeEchoReplyInPlace, ReplyToAnAllZeroRequestVerifies) {
  for (std::size_t data_length : {std::size_t{0}, std::size_t{1}, std::size_t{56}}) {
    const Frame request = packets::icmp({.identifier = 0, .sequence = 0, .data = Frame(data_length, 0)});
    Frame reply = request;
    ministack::make_echo_reply_in_place(reply);
    expect_reply_of(request, reply);
    EXPECT_EQ(packets::get16(reply, 2), 0xffff) << data_length << " data bytes";
    EXPECT_TRUE(IcmpView::parse(reply)) << "ministack would drop its own reply, " << data_length << " data bytes";
  }
}

}  // namespace
