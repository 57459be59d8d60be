// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4) and the acceptability test of §3.10.7.4, table-driven:
// each row is worked out by hand from the RFC's four-row table, at the edges of the window and across the wrap.
#include "stack/tcp/sequence.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

namespace {

using ministack::tcp::acceptable;
using ministack::tcp::seq_ge;
using ministack::tcp::seq_gt;
using ministack::tcp::seq_le;
using ministack::tcp::seq_lt;

struct Order {
  std::uint32_t a;
  std::uint32_t b;
  bool lt;  // a comes strictly before b
  std::string_view why;
};

// "a < b" means a comes before b within half the space: 0xffffffff is just before 0, and 2^31 apart is after.
constexpr Order kOrders[] = {
    {1, 2, true, "plain"},
    {0xffffffff, 0, true, "the last number comes just before 0"},
    {0xfffffff0, 0x10, true, "32 apart across the wrap"},
    {0x10, 0xfffffff0, false, "the other way round"},
    {0, 0x7fffffff, true, "2^31 - 1 ahead is still ahead"},
    {0x80000000, 0xffffffff, true, "the upper half on its own"},
    {0x7fffffff, 0x80000000, true, "across the middle"},
    {0x80000001, 0, true, "2^31 - 1 behind 0, across the wrap"},
    {5, 5, false, "equal"},
};

TEST(SequenceOrder, ComparesAcrossTheWrap) {
  for (const Order& o : kOrders) {
    SCOPED_TRACE(o.why);
    EXPECT_EQ(seq_lt(o.a, o.b), o.lt);
    EXPECT_EQ(seq_gt(o.b, o.a), o.lt);
    EXPECT_EQ(seq_le(o.a, o.b), o.lt || o.a == o.b);
    EXPECT_EQ(seq_ge(o.b, o.a), o.lt || o.a == o.b);
    if (o.a != o.b) {
      EXPECT_NE(seq_lt(o.a, o.b), seq_lt(o.b, o.a)) << "exactly one comes first";
      EXPECT_EQ(seq_ge(o.a, o.b), !o.lt);
    }
  }
}

struct Row {
  std::uint32_t seq;
  std::uint32_t length;  // SEG.LEN
  std::uint32_t rcv_nxt;
  std::uint32_t rcv_wnd;
  bool acceptable;
  std::string_view why;
};

// RFC 9293 §3.10.7.4:
//   SEG.LEN 0,  RCV.WND 0:   SEG.SEQ = RCV.NXT
//   SEG.LEN 0,  RCV.WND >0:  RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   SEG.LEN >0, RCV.WND 0:   not acceptable
//   SEG.LEN >0, RCV.WND >0:  RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
constexpr Row kRows[] = {
    // Row 1: an empty segment and a shut window: only exactly RCV.NXT.
    {1000, 0, 1000, 0, true, "empty, window 0, at RCV.NXT"},
    {1001, 0, 1000, 0, false, "empty, window 0, one past RCV.NXT"},
    {999, 0, 1000, 0, false, "empty, window 0, one before RCV.NXT"},
    {0xffffffff, 0, 0xffffffff, 0, true, "empty, window 0, at RCV.NXT = 2^32 - 1"},
    {0, 0, 0xffffffff, 0, false, "empty, window 0, one past RCV.NXT across the wrap"},
    // Row 2: an empty segment, an open window: anywhere in [RCV.NXT, RCV.NXT + RCV.WND).
    {1000, 0, 1000, 100, true, "empty, at the left edge"},
    {1099, 0, 1000, 100, true, "empty, at the last number in the window"},
    {1100, 0, 1000, 100, false, "empty, at the right edge (excluded)"},
    {999, 0, 1000, 100, false, "empty, just before the window"},
    {0x0000000f, 0, 0xfffffff0, 0x20, true, "empty, at the last number of a window that wraps"},
    {0x00000010, 0, 0xfffffff0, 0x20, false, "empty, at the right edge of a window that wraps"},
    {0xffffffef, 0, 0xfffffff0, 0x20, false, "empty, just before a window that wraps"},
    // Row 3: data and a shut window: never, not even at RCV.NXT.
    {1000, 1, 1000, 0, false, "one byte, window 0, at RCV.NXT"},
    {0xffffffff, 10, 0xffffffff, 0, false, "ten bytes, window 0, at RCV.NXT = 2^32 - 1"},
    // Row 4: data and an open window: its first or its last number in the window.
    {1000, 100, 1000, 100, true, "filling the window exactly"},
    {1099, 100, 1000, 100, true, "starting at the last number of the window"},
    {1100, 1, 1000, 100, false, "starting at the right edge"},
    {990, 11, 1000, 100, true, "old at the front, its last byte at RCV.NXT"},
    {990, 10, 1000, 100, false, "wholly old: its last byte just before RCV.NXT"},
    {990, 120, 1000, 100, false, "straddling the whole window: neither end inside (the table, literally)"},
    {0xfffffff0, 11, 0xfffffffa, 10, true, "its last byte at RCV.NXT, across the wrap"},
    {0xfffffff0, 10, 0xfffffffa, 10, false, "its last byte just before RCV.NXT, across the wrap"},
    {0x00000003, 50, 0xfffffffa, 10, true, "starting at the last number of a window that wraps"},
    {0x00000004, 1, 0xfffffffa, 10, false, "starting at the right edge of a window that wraps"},
    {0xfffffffe, 4, 0xfffffffe, 1, true, "a one-number window at 2^32 - 2"},
};

TEST(SequenceAcceptable, FollowsTheFourRowTable) {
  for (const Row& r : kRows) {
    EXPECT_EQ(acceptable(r.seq, r.length, r.rcv_nxt, r.rcv_wnd), r.acceptable)
        << r.why << ": seq " << r.seq << " len " << r.length << " rcv_nxt " << r.rcv_nxt << " rcv_wnd " << r.rcv_wnd;
  }
}

}  // namespace
