// IPv4 options (RFC 791 §3.1, RFC 1122 §3.2.1.8 and §3.2.2.6): check_options() on valid and malformed lists, and
// echo_reply_options() against hand-built requests and against the Linux kernel's own echo replies, copied byte
// for byte from pcaps/tap_ping_{rr,ts,tsaddr,tsprespec,tsprespec_other}.pcap.
#include "stack/ipv4/ipv4_options.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "packets.hpp"

namespace {

using ministack::check_options;
using ministack::DropReason;
using ministack::echo_reply_options;
using ministack::echo_reply_refused;
using ministack::Ipv4Address;
using Bytes = packets::Frame;
using packets::be32;
using packets::concat;

constexpr Ipv4Address kUs{0xc0a8030c};      // 192.168.3.12: the kernel's address in the recordings, and ours
constexpr std::uint32_t kNow = 0x01020304;  // our "ms since midnight UT" in these tests: 16909060 ms, 04:41:49.060

// 4-byte fields as they appear on the wire.
constexpr std::uint8_t kUsBytes[4] = {0xc0, 0xa8, 0x03, 0x0c};
constexpr std::uint8_t kNowBytes[4] = {0x01, 0x02, 0x03, 0x04};

Bytes zeros(std::size_t n) { return Bytes(n, 0); }
Bytes us() { return Bytes(std::begin(kUsBytes), std::end(kUsBytes)); }
Bytes now() { return Bytes(std::begin(kNowBytes), std::end(kNowBytes)); }
Bytes addr(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) { return {a, b, c, d}; }

bool valid(const Bytes& options) { return !check_options(options).has_value(); }
bool malformed(const Bytes& options) { return check_options(options) == DropReason::ip_bad_options; }

// echo_reply_options() into a 40-byte buffer filled with 0xee (so that a byte it should not write shows), and the
// bytes it says it wrote.
Bytes echo(const Bytes& request, Ipv4Address address = kUs, std::uint32_t ms = kNow) {
  std::array<std::uint8_t, 40> out;
  out.fill(0xee);
  const std::size_t n = echo_reply_options(request, address, ms, out);
  EXPECT_LE(n, out.size());
  EXPECT_EQ(n % 4, 0u);
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
}

// ---- check_options: valid lists ---------------------------------------------------------------------------------

TEST(CheckOptions, EmptyAreaIsValid) { EXPECT_TRUE(valid({})); }

TEST(CheckOptions, NopsAndEolAreOneByteEach) {
  EXPECT_TRUE(valid({1, 1, 1, 1}));
  EXPECT_TRUE(valid({0, 0, 0, 0}));
  EXPECT_TRUE(valid({1, 1, 1, 0}));
}

TEST(CheckOptions, NothingAfterEolIsLookedAt) {
  // A length of 0 and a length past the area, both after EOL: the list has ended (RFC 791: "End of Option List").
  EXPECT_TRUE(valid({0, 0x44, 0x00, 0x00}));
  EXPECT_TRUE(valid({1, 0, 0x07, 0xff}));
}

TEST(CheckOptions, RecordRouteAsPingSendsIt) {
  // ping -R: NOP, then Record Route of 39 bytes (9 slots), pointer 8, the sender's address in slot 1.
  EXPECT_TRUE(valid(concat({{1, 7, 39, 8}, addr(192, 168, 3, 11), zeros(32)})));
}

TEST(CheckOptions, RecordRouteEmptyAndFull) {
  EXPECT_TRUE(valid(concat({{7, 7, 4}, zeros(4), {0}})));              // one slot, none used
  EXPECT_TRUE(valid(concat({{7, 7, 8}, addr(10, 0, 0, 1), {0}})));     // one slot, full: pointer = length + 1
  EXPECT_TRUE(valid(concat({{7, 3, 4}, {0}})));                        // no slot at all: full from the start
  EXPECT_TRUE(valid(concat({{7, 7, 0xff}, addr(10, 0, 0, 1), {0}})));  // far past the length: still just "full"
}

TEST(CheckOptions, TimestampEachFlag) {
  EXPECT_TRUE(valid(concat({{0x44, 40, 9, 0x00}, now(), zeros(32)})));                          // tsonly, as ping
  EXPECT_TRUE(valid(concat({{0x44, 36, 13, 0x01}, addr(192, 168, 3, 11), now(), zeros(24)})));  // tsandaddr
  EXPECT_TRUE(valid(concat({{0x44, 12, 5, 0x03}, us(), zeros(4)})));                            // prespecified
  EXPECT_TRUE(valid(concat({{0x44, 8, 5, 0x02}, zeros(4)})));       // undefined flags 2: Linux accepts, ignores
  EXPECT_TRUE(valid(concat({{0x44, 8, 9, 0xe0}, now()})));          // full, overflow 14: one more still fits
  EXPECT_TRUE(valid(concat({{0x44, 12, 13, 0xf3}, us(), now()})));  // full prespecified: overflow is not counted
}

TEST(CheckOptions, UnknownOptionWithSaneLength) {
  EXPECT_TRUE(valid({0x88, 4, 0x12, 0x34}));                // Stream ID (RFC 791), not looked into
  EXPECT_TRUE(valid({0x5e, 2, 1, 0}));                      // an unassigned type, 2 bytes, then NOP, EOL
  EXPECT_TRUE(valid({0x94, 4, 0, 0}));                      // Router Alert (RFC 2113)
  EXPECT_TRUE(valid(concat({{0x82, 11}, zeros(9), {0}})));  // Basic Security (RFC 1108), 11 bytes
}

TEST(CheckOptions, SourceRoutes) {
  EXPECT_TRUE(valid(concat({{1, 0x83, 7, 4}, addr(10, 0, 0, 1)})));                         // LSRR, one hop to go
  EXPECT_TRUE(valid(concat({{0x89, 11, 12}, addr(10, 0, 0, 1), addr(10, 0, 0, 2), {0}})));  // SSRR, used up
}

TEST(CheckOptions, SeveralOptionsTogether) {
  EXPECT_TRUE(valid(concat({{7, 7, 4}, zeros(4), {0x44, 8, 5, 0}, zeros(4), {1, 0x94, 4, 0, 0, 0}})));
}

// ---- check_options: every malformed case -------------------------------------------------------------------------

TEST(CheckOptions, LengthZeroOrOne) {
  EXPECT_TRUE(malformed({0x88, 0, 0, 0}));
  EXPECT_TRUE(malformed({0x88, 1, 0, 0}));
  EXPECT_TRUE(malformed({7, 0, 0, 0}));
  EXPECT_TRUE(malformed({1, 0x44, 1, 0}));
}

TEST(CheckOptions, LengthBeyondTheArea) {
  EXPECT_TRUE(malformed({0x88, 5, 0, 0}));
  EXPECT_TRUE(malformed(concat({{1, 7, 40, 4}, zeros(36)})));  // 40 bytes from offset 1 of a 40-byte area
}

TEST(CheckOptions, TruncatedOption) {
  EXPECT_TRUE(malformed({1, 1, 1, 0x88}));  // a type byte, and no length byte after it
  EXPECT_TRUE(malformed({7}));
}

TEST(CheckOptions, OptionTooShortForItsKind) {
  EXPECT_TRUE(malformed({7, 2, 1, 0}));     // Record Route needs its pointer: length >= 3
  EXPECT_TRUE(malformed({0x44, 3, 5, 0}));  // Timestamp needs pointer and flags: length >= 4
  EXPECT_TRUE(malformed({0x83, 2, 1, 0}));  // LSRR: length >= 3
  EXPECT_TRUE(malformed({0x94, 2, 1, 0}));  // Router Alert: length 4
}

TEST(CheckOptions, PointerBelowItsMinimum) {
  EXPECT_TRUE(malformed(concat({{7, 7, 3}, zeros(4), {0}})));
  EXPECT_TRUE(malformed(concat({{7, 7, 0}, zeros(4), {0}})));
  EXPECT_TRUE(malformed(concat({{0x44, 8, 4, 0}, zeros(4)})));
  EXPECT_TRUE(malformed(concat({{0x83, 7, 3}, zeros(4), {0}})));
  EXPECT_TRUE(malformed(concat({{0x89, 7, 1}, zeros(4), {0}})));
}

TEST(CheckOptions, PointerBeyondTheLengthOfItsSlot) {
  // The pointer is within the option but names a slot that runs past its end (RFC 791: "some room but not enough
  // room for a full timestamp ... is considered to be in error"). A pointer past the length is "full", not this.
  EXPECT_TRUE(malformed(concat({{7, 9, 8}, zeros(6), {0, 0, 0}})));      // RR: 2 bytes left at pointer 8
  EXPECT_TRUE(malformed(concat({{7, 7, 5}, zeros(4), {0}})));            // RR: slot 5..8 in a 7-byte option
  EXPECT_TRUE(malformed(concat({{0x44, 10, 9, 0}, zeros(6), {0, 0}})));  // TS tsonly: 2 bytes left
  EXPECT_TRUE(malformed(concat({{0x44, 12, 9, 1}, zeros(8)})));          // TS tsandaddr: an address, no time
  EXPECT_TRUE(malformed(concat({{0x44, 8, 5, 3}, zeros(4)})));           // TS prespecified: same
  EXPECT_TRUE(malformed(concat({{0x83, 9, 8}, zeros(6), {0, 0, 0}})));   // LSRR: 2 bytes left
}

TEST(CheckOptions, TimestampOverflowCountOverflows) {
  // Full, and 15 modules have already counted themselves: the 16th cannot (RFC 791 §3.1).
  EXPECT_TRUE(malformed(concat({{0x44, 8, 9, 0xf0}, now()})));
  EXPECT_TRUE(malformed(concat({{0x44, 12, 13, 0xf1}, us(), now()})));
}

TEST(CheckOptions, RepeatedOptions) {
  EXPECT_TRUE(malformed(concat({{7, 3, 4, 7, 3, 4, 0, 0}})));                                // two Record Routes
  EXPECT_TRUE(malformed(concat({{0x44, 4, 5, 0, 0x44, 4, 5, 0}})));                          // two Timestamps
  EXPECT_TRUE(malformed(concat({{0x83, 7, 8}, zeros(4), {0x89, 7, 8}, zeros(4), {0, 0}})));  // LSRR and SSRR
}

// ---- echo_reply_options: Record Route ----------------------------------------------------------------------------

TEST(EchoReplyOptions, RecordRouteWithRoomGetsOurAddressTwice) {
  // Linux fills one slot on receipt and one more as the reply's sender: two slots, pointer 4 -> 12.
  const Bytes request = concat({{7, 11, 4}, zeros(8), {0}});
  EXPECT_EQ(echo(request), concat({{7, 11, 12}, us(), us(), {0}}));
}

TEST(EchoReplyOptions, RecordRouteWithOneSlotLeftGetsItOnce) {
  EXPECT_EQ(echo(concat({{7, 11, 8}, addr(10, 0, 0, 1), zeros(4), {0}})),
            concat({{7, 11, 12}, addr(10, 0, 0, 1), us(), {0}}));
  // Alone in the area and padded: 7 bytes, one EOL.
  EXPECT_EQ(echo(concat({{7, 7, 4}, zeros(4), {1}})), concat({{7, 7, 8}, us(), {0}}));
}

TEST(EchoReplyOptions, RecordRouteFullIsCopiedAsItIs) {
  const Bytes full = concat({{7, 39, 40},
                             addr(10, 0, 0, 1),
                             addr(10, 0, 0, 2),
                             addr(10, 0, 0, 3),
                             addr(10, 0, 0, 4),
                             addr(10, 0, 0, 5),
                             addr(10, 0, 0, 6),
                             addr(10, 0, 0, 7),
                             addr(10, 0, 0, 8),
                             addr(10, 0, 0, 9)});
  EXPECT_EQ(echo(concat({full, {0}})), concat({full, {0}}));
  EXPECT_EQ(echo(concat({{1}, full})), concat({full, {0}}));  // the NOP in front of it is not copied
}

// ---- echo_reply_options: Timestamp -------------------------------------------------------------------------------

TEST(EchoReplyOptions, TimestampOnlyWithRoomGetsOurTimeTwice) {
  const Bytes request = concat({{0x44, 16, 5, 0x00}, zeros(12)});
  EXPECT_EQ(echo(request), concat({{0x44, 16, 13, 0x00}, now(), now(), zeros(4)}));
  // The time is written as given, in network byte order.
  EXPECT_EQ(echo(request, kUs, 86'399'999),
            concat({{0x44, 16, 13, 0x00}, be32(86'399'999), be32(86'399'999), zeros(4)}));
}

TEST(EchoReplyOptions, TimestampOnlyWithOneSlotLeft) {
  // Receipt fills the last slot; the reply finds the option full and, as Linux, does not count an overflow.
  EXPECT_EQ(echo(concat({{0x44, 12, 9, 0x00}, be32(7), zeros(4)})), concat({{0x44, 12, 13, 0x00}, be32(7), now()}));
}

TEST(EchoReplyOptions, TimestampFullCountsOneOverflow) {
  const Bytes stamps = concat({be32(1), be32(2)});
  EXPECT_EQ(echo(concat({{0x44, 12, 13, 0x00}, stamps})), concat({{0x44, 12, 13, 0x10}, stamps}));
  EXPECT_EQ(echo(concat({{0x44, 12, 13, 0x30}, stamps})), concat({{0x44, 12, 13, 0x40}, stamps}));
  EXPECT_EQ(echo(concat({{0x44, 12, 13, 0xe0}, stamps})), concat({{0x44, 12, 13, 0xf0}, stamps}));  // 14 -> 15
  // tsandaddr full: same.
  EXPECT_EQ(echo(concat({{0x44, 12, 13, 0x21}, addr(10, 0, 0, 1), be32(1)})),
            concat({{0x44, 12, 13, 0x31}, addr(10, 0, 0, 1), be32(1)}));
}

TEST(EchoReplyOptions, TimestampWithAddressesGetsTwoPairs) {
  const Bytes request = concat({{0x44, 28, 5, 0x01}, zeros(24)});
  EXPECT_EQ(echo(request), concat({{0x44, 28, 21, 0x01}, us(), now(), us(), now(), zeros(8)}));
  // One pair left: one pair, no overflow.
  EXPECT_EQ(echo(concat({{0x44, 20, 13, 0x01}, addr(10, 0, 0, 1), be32(9), zeros(8)})),
            concat({{0x44, 20, 21, 0x01}, addr(10, 0, 0, 1), be32(9), us(), now()}));
}

TEST(EchoReplyOptions, TimestampPrespecifiedWithOurAddress) {
  // Our address twice: stamped on receipt and again for the reply.
  EXPECT_EQ(echo(concat({{0x44, 20, 5, 0x03}, us(), zeros(4), us(), zeros(4)})),
            concat({{0x44, 20, 21, 0x03}, us(), now(), us(), now()}));
  // Our address once: stamped once; the option is then full, and a prespecified option counts no overflow.
  EXPECT_EQ(echo(concat({{0x44, 12, 5, 0x03}, us(), zeros(4)})), concat({{0x44, 12, 13, 0x03}, us(), now()}));
  EXPECT_EQ(echo(concat({{0x44, 12, 13, 0x03}, us(), be32(5)})), concat({{0x44, 12, 13, 0x03}, us(), be32(5)}));
}

TEST(EchoReplyOptions, TimestampPrespecifiedWithAnotherAddress) {
  // The next address is another host's: nothing is stamped, the pointer stays, and Linux does not look further
  // (our address in the pair after it is not stamped either).
  const Bytes other_first = concat({{0x44, 20, 5, 0x03}, addr(192, 168, 3, 11), zeros(4), us(), zeros(4)});
  EXPECT_EQ(echo(other_first), other_first);
  // Ours, then another's: the first stamped on receipt, the reply stops at the second.
  EXPECT_EQ(echo(concat({{0x44, 28, 5, 0x03}, us(), zeros(4), addr(192, 168, 3, 11), zeros(4), us(), zeros(4)})),
            concat({{0x44, 28, 13, 0x03}, us(), now(), addr(192, 168, 3, 11), zeros(4), us(), zeros(4)}));
}

TEST(EchoReplyOptions, TimestampWithUndefinedFlagsIsCopiedUnchanged) {
  const Bytes request = concat({{0x44, 8, 5, 0x02}, zeros(4)});
  EXPECT_EQ(echo(request), request);
}

// ---- echo_reply_options: what is not echoed, order and padding ---------------------------------------------------

TEST(EchoReplyOptions, NoOptionsNoOutput) {
  EXPECT_EQ(echo({}), Bytes{});
  EXPECT_EQ(echo({1, 1, 1, 1}), Bytes{});                                  // NOP only
  EXPECT_EQ(echo({0, 0, 0, 0}), Bytes{});                                  // EOL only
  EXPECT_EQ(echo({0x88, 4, 0x12, 0x34}), Bytes{});                         // unknown (Stream ID): not copied
  EXPECT_EQ(echo({0x94, 4, 0, 0}), Bytes{});                               // Router Alert: not copied
  EXPECT_EQ(echo(concat({{1, 0x83, 7, 4}, addr(10, 0, 0, 1)})), Bytes{});  // LSRR: not copied
  EXPECT_EQ(echo(concat({{0x82, 11}, zeros(9), {0}})), Bytes{});           // Security: not copied
}

TEST(EchoReplyOptions, RecordRouteFirstThenTimestampOthersDropped) {
  // In the request: Timestamp, an unknown option, NOPs, Record Route. In the reply: Record Route, Timestamp, EOL.
  const Bytes request =
      concat({{0x44, 8, 5, 0x00}, zeros(4), {0x88, 4, 0xab, 0xcd}, {1, 1, 1}, {7, 7, 4}, zeros(4), zeros(10)});
  ASSERT_EQ(request.size(), 32u);
  EXPECT_EQ(echo(request), concat({{7, 7, 8}, us(), {0x44, 8, 9, 0x00}, now(), {0}}));
}

TEST(EchoReplyOptions, MalformedOptionsGiveNothing) {
  EXPECT_EQ(echo({7, 2, 4, 0}), Bytes{});
  EXPECT_EQ(echo(concat({{0x44, 8, 9, 0xf0}, now()})), Bytes{});
  EXPECT_EQ(echo({0x88, 9, 0, 0}), Bytes{});
}

// ---- echo_reply_refused: where Linux sends no reply ---------------------------------------------------------------

TEST(EchoReplyRefused, OnlyWhenTheReplysSlotIsCutShort) {
  // Record Route of 10 bytes, pointer 4: receipt fills 4..7, the reply's slot 8..11 would cross the end.
  EXPECT_TRUE(echo_reply_refused(concat({{7, 10, 4}, zeros(7), {0, 0}}), kUs));
  EXPECT_TRUE(echo_reply_refused(concat({{0x44, 10, 5, 0}, zeros(6), {0, 0}}), kUs));
  // A prespecified pair of ours, then 2 bytes: only refused when the first address is ours (so it is stamped).
  const Bytes prespec = concat({{0x44, 14, 5, 3}, us(), zeros(4), {0, 0}, {0, 0}});
  EXPECT_TRUE(echo_reply_refused(prespec, kUs));
  EXPECT_FALSE(echo_reply_refused(prespec, Ipv4Address{0x0a000001}));
  // What ping sends, full options, and none at all: answered.
  EXPECT_FALSE(echo_reply_refused(concat({{1, 7, 39, 8}, addr(192, 168, 3, 11), zeros(32)}), kUs));
  EXPECT_FALSE(echo_reply_refused(concat({{7, 7, 8}, us(), {0}}), kUs));
  EXPECT_FALSE(echo_reply_refused({}, kUs));
  // echo_reply_options() still gives the options as far as Linux got: receipt's slot, pointer 8.
  EXPECT_EQ(echo(concat({{7, 10, 4}, zeros(7), {0, 0}})), concat({{7, 10, 8}, us(), zeros(3), {0, 0}}));
}

// ---- the Linux kernel's replies, from the recordings -------------------------------------------------------------
//
// Each pair is the options area of a client's echo request and of the kernel's reply (tcpdump -xx -r FILE, frames
// 3 and 4: frames 1 and 2 are ARP). The kernel's timestamps vary from one recording to the next, so `kernel_times`
// lists the offsets, within the reply's options, of the 4-byte timestamps the kernel wrote: there our output must
// hold our time, and the kernel's must at least be a time of day in ms (below 86,400,000). Every other byte must be
// the kernel's exactly: types, lengths, pointers, flags, addresses, the client's own timestamps, padding.

void expect_kernel_reply(const Bytes& request, const Bytes& kernel_reply,
                         std::initializer_list<std::size_t> kernel_times) {
  ASSERT_TRUE(valid(request));
  ASSERT_FALSE(echo_reply_refused(request, kUs));
  Bytes expected = kernel_reply;
  for (const std::size_t at : kernel_times) {
    ASSERT_LE(at + 4, expected.size());
    const std::uint32_t kernel_ms = (std::uint32_t{expected[at]} << 24) | (std::uint32_t{expected[at + 1]} << 16) |
                                    (std::uint32_t{expected[at + 2]} << 8) | expected[at + 3];
    EXPECT_LT(kernel_ms, 86'400'000u) << "offset " << at;
    std::copy(std::begin(kNowBytes), std::end(kNowBytes), expected.begin() + static_cast<std::ptrdiff_t>(at));
  }
  EXPECT_EQ(echo(request), expected);
}

TEST(KernelEchoReplies, RecordRoute) {
  // pcaps/tap_ping_rr.pcap, frame 3 (ping -R): NOP, RR length 39 pointer 8, slot 1 = 192.168.3.11.
  const Bytes request = {0x01, 0x07, 0x27, 0x08, 0xc0, 0xa8, 0x03, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  // Frame 4, the kernel's reply: RR first (the NOP is gone), pointer 16, slots .11 .12 .12, then one EOL.
  const Bytes reply = {0x07, 0x27, 0x10, 0xc0, 0xa8, 0x03, 0x0b, 0xc0, 0xa8, 0x03, 0x0c, 0xc0, 0xa8, 0x03,
                       0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  expect_kernel_reply(request, reply, {});
}

TEST(KernelEchoReplies, TimestampOnly) {
  // pcaps/tap_ping_ts.pcap, frame 3 (ping -T tsonly): length 40, pointer 9, flags 0, the client's time 8115362.
  const Bytes request = {0x44, 0x28, 0x09, 0x00, 0x00, 0x7b, 0xd4, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  // Frame 4: pointer 17, two timestamps of the kernel's after the client's (the same ms, on one machine).
  const Bytes reply = {0x44, 0x28, 0x11, 0x00, 0x00, 0x7b, 0xd4, 0xa2, 0x00, 0x7b, 0xd4, 0xa2, 0x00, 0x7b,
                       0xd4, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  expect_kernel_reply(request, reply, {8, 12});
}

TEST(KernelEchoReplies, TimestampWithAddresses) {
  // pcaps/tap_ping_tsaddr.pcap, frame 3 (ping -T tsandaddr): length 36, pointer 13, flags 1, [.11 t].
  const Bytes request = {0x44, 0x24, 0x0d, 0x01, 0xc0, 0xa8, 0x03, 0x0b, 0x00, 0x7b, 0xd7, 0x0a,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  // Frame 4: pointer 29, [.11 t, .12 T, .12 T, empty]; 36 bytes, no padding needed.
  const Bytes reply = {0x44, 0x24, 0x1d, 0x01, 0xc0, 0xa8, 0x03, 0x0b, 0x00, 0x7b, 0xd7, 0x0a,
                       0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x7b, 0xd7, 0x0a, 0xc0, 0xa8, 0x03, 0x0c,
                       0x00, 0x7b, 0xd7, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  expect_kernel_reply(request, reply, {16, 24});
}

TEST(KernelEchoReplies, TimestampPrespecifiedOurs) {
  // pcaps/tap_ping_tsprespec.pcap, frame 3 (ping -T tsprespec 192.168.3.12 192.168.3.12 192.168.3.12: the last
  // is the destination): length 20, pointer 5, flags 3, [.12 0, .12 0].
  const Bytes request = {0x44, 0x14, 0x05, 0x03, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x00,
                         0x00, 0x00, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x00, 0x00, 0x00};
  // Frame 4: pointer 21, both stamped.
  const Bytes reply = {0x44, 0x14, 0x15, 0x03, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x7b,
                       0xd9, 0x67, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x7b, 0xd9, 0x67};
  expect_kernel_reply(request, reply, {8, 16});
}

TEST(KernelEchoReplies, TimestampPrespecifiedOursThenAnother) {
  // pcaps/tap_ping_tsprespec_other.pcap, frame 3 (ping -T tsprespec 192.168.3.12 192.168.3.11 192.168.3.12
  // 192.168.3.12): length 28, pointer 5, flags 3, [.12 0, .11 0, .12 0].
  const Bytes request = {0x44, 0x1c, 0x05, 0x03, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8,
                         0x03, 0x0b, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x00, 0x00, 0x00};
  // Frame 4: pointer 13: the first pair stamped on receipt; the reply stops at .11, and .12 after it stays empty.
  const Bytes reply = {0x44, 0x1c, 0x0d, 0x03, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x7b, 0xdb, 0xc7, 0xc0, 0xa8,
                       0x03, 0x0b, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x03, 0x0c, 0x00, 0x00, 0x00, 0x00};
  expect_kernel_reply(request, reply, {8});
}

}  // namespace
