// RFC 6298's retransmission timeout, with numbers worked out by hand: the first sample (§2.2), later ones with
// alpha 1/8 and beta 1/4 (§2.3), G = 1 ms, the [200 ms, 120 s] clamp (Linux's TCP_RTO_MIN and TCP_RTO_MAX) and the
// back-off of §5.5. Every sample is chosen so that the RFC's arithmetic is exact in whole milliseconds.
#include "stack/tcp/retransmit_timer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace {

using ministack::Duration;
using ministack::tcp::RetransmitTimer;
using std::chrono::milliseconds;

// §2.1: "Until a round-trip time (RTT) measurement has been made ... the sender SHOULD set RTO <- 1 second".
TEST(RetransmitTimer, StartsAtOneSecondWithNoEstimate) {
  const RetransmitTimer timer;
  EXPECT_EQ(timer.rto(), milliseconds(1000));
  EXPECT_FALSE(timer.srtt().has_value());
}

// §2.2: SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max(G, K*RTTVAR).
TEST(RetransmitTimer, TheFirstSampleSetsSrttAndHalfOfItAsVariation) {
  RetransmitTimer timer;
  timer.sample(milliseconds(800));
  EXPECT_EQ(timer.srtt(), milliseconds(800));
  EXPECT_EQ(timer.rttvar(), milliseconds(400));
  EXPECT_EQ(timer.rto(), milliseconds(800 + 4 * 400));
}

// §2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'| (with the old SRTT), then SRTT <- 7/8 SRTT + 1/8 R'.
TEST(RetransmitTimer, LaterSamplesSmoothWithAnEighthAndAQuarter) {
  RetransmitTimer timer;
  timer.sample(milliseconds(800));   // SRTT 800, RTTVAR 400
  timer.sample(milliseconds(1600));  // |800 - 1600| = 800: RTTVAR (1200 + 800) / 4 = 500; SRTT (5600 + 1600) / 8 = 900
  EXPECT_EQ(timer.srtt(), milliseconds(900));
  EXPECT_EQ(timer.rttvar(), milliseconds(500));
  EXPECT_EQ(timer.rto(), milliseconds(900 + 2000));
  timer.sample(milliseconds(100));  // |900 - 100| = 800: RTTVAR (1500 + 800) / 4 = 575; SRTT (6300 + 100) / 8 = 800
  EXPECT_EQ(timer.srtt(), milliseconds(800));
  EXPECT_EQ(timer.rttvar(), milliseconds(575));
  EXPECT_EQ(timer.rto(), milliseconds(800 + 2300));
}

// §2.4 with Linux's floor of 200 ms, and §2.5's ceiling at Linux's 120 s.
TEST(RetransmitTimer, IsClampedBetween200MsAnd120S) {
  RetransmitTimer fast;
  fast.sample(milliseconds(10));  // 10 + 4 * 5 = 30 ms
  EXPECT_EQ(fast.rto(), milliseconds(200));
  RetransmitTimer slow;
  slow.sample(milliseconds(50000));  // 50 s + 4 * 25 s = 150 s
  EXPECT_EQ(slow.rto(), milliseconds(120000));
}

// The clock granularity G bounds the variation term from below: steady samples drive RTTVAR to 0, and RTO then
// settles at SRTT + G, not at SRTT.
TEST(RetransmitTimer, TheGranularityKeepsRtoAboveSrtt) {
  RetransmitTimer timer;
  for (int i = 0; i < 100; ++i) timer.sample(milliseconds(1000));
  EXPECT_EQ(timer.srtt(), milliseconds(1000));
  EXPECT_EQ(timer.rttvar(), milliseconds(0));
  EXPECT_EQ(timer.rto(), milliseconds(1001));
}

// §5.5: "RTO <- RTO * 2 ("back off the timer")", up to the maximum; a new sample computes it afresh (§5.7).
TEST(RetransmitTimer, BackOffDoublesUpToTheMaximum) {
  RetransmitTimer timer;
  Duration expected{1000};
  for (int i = 0; i < 7; ++i) {  // 2, 4, ... 128 s: the last one over the cap
    timer.back_off();
    expected = std::min(expected * 2, Duration{120000});
    EXPECT_EQ(timer.rto(), expected) << "after " << i + 1 << " back-offs";
  }
  EXPECT_EQ(timer.rto(), milliseconds(120000));
  timer.back_off();
  EXPECT_EQ(timer.rto(), milliseconds(120000)) << "stays at the maximum";
  timer.sample(milliseconds(400));
  EXPECT_EQ(timer.rto(), milliseconds(400 + 800)) << "the first sample after the back-off, as §2.2";
}

}  // namespace
