// Token buckets and the ICMP error rate limiter (Linux: icmp_msgs_per_sec / icmp_msgs_burst globally,
// icmp_ratelimit with a burst of 6 per destination), on injected instants: no test sleeps.
#include "stack/transport/rate_limiter.hpp"

#include <gtest/gtest.h>

#include "packets.hpp"

namespace {

using ministack::Duration;
using ministack::IcmpRateLimiter;
using ministack::IcmpRateLimits;
using ministack::Instant;
using ministack::Ipv4Address;
using ministack::TokenBucket;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Instant kStart{seconds(1000)};

Instant at(Duration d) { return kStart + d; }

Ipv4Address host(std::uint32_t n) { return Ipv4Address{0x0a000000u + n}; }  // 10.x.y.z

// How many take() succeed at one instant (stops at `limit`, to end for an unlimited bucket).
int drain(TokenBucket& bucket, Instant now, int limit = 100000) {
  int n = 0;
  while (n < limit && bucket.take(now)) ++n;
  return n;
}

int drain(IcmpRateLimiter& limiter, Ipv4Address destination, Instant now, int limit = 100000) {
  int n = 0;
  while (n < limit && limiter.allow(destination, now)) ++n;
  return n;
}

// ---- TokenBucket ------------------------------------------------------------------------------------------------

TEST(TokenBucket, StartsFullThenRefuses) {
  TokenBucket bucket(milliseconds(100), 3);
  EXPECT_TRUE(bucket.take(kStart));
  EXPECT_TRUE(bucket.take(kStart));
  EXPECT_TRUE(bucket.take(kStart));
  EXPECT_FALSE(bucket.take(kStart));
  EXPECT_FALSE(bucket.take(kStart));
}

TEST(TokenBucket, StartsFullAtAnyFirstInstant) {
  TokenBucket bucket(milliseconds(100), 3);
  EXPECT_EQ(drain(bucket, Instant{}), 3);
  TokenBucket later(milliseconds(100), 3);
  EXPECT_EQ(drain(later, at(seconds(5))), 3);
}

TEST(TokenBucket, RefillsOneTokenPerInterval) {
  TokenBucket bucket(milliseconds(100), 3);
  EXPECT_EQ(drain(bucket, kStart), 3);
  EXPECT_FALSE(bucket.take(at(milliseconds(99))));
  EXPECT_TRUE(bucket.take(at(milliseconds(100))));
  EXPECT_FALSE(bucket.take(at(milliseconds(100))));
  EXPECT_FALSE(bucket.take(at(milliseconds(199))));
  EXPECT_TRUE(bucket.take(at(milliseconds(200))));
  EXPECT_EQ(drain(bucket, at(milliseconds(450))), 2);  // 250 ms: two tokens, 50 ms kept
  EXPECT_TRUE(bucket.take(at(milliseconds(500))));     // the kept 50 ms count
}

// Polling often must not lose the part of an interval already accrued.
TEST(TokenBucket, KeepsPartialCreditAcrossCalls) {
  TokenBucket bucket(milliseconds(100), 1);
  EXPECT_TRUE(bucket.take(kStart));
  for (int ms = 10; ms < 100; ms += 10) EXPECT_FALSE(bucket.take(at(milliseconds(ms)))) << ms;
  EXPECT_TRUE(bucket.take(at(milliseconds(100))));
}

TEST(TokenBucket, RefillsUpToTheBurstOnly) {
  TokenBucket bucket(milliseconds(100), 3);
  EXPECT_EQ(drain(bucket, kStart), 3);
  EXPECT_EQ(drain(bucket, at(seconds(10))), 3);
  EXPECT_EQ(drain(bucket, at(seconds(100000000))), 3) << "a very long idle time must not overflow";

  // Time while full is not banked: 150 ms on a one-token bucket give one token, not one and a half.
  TokenBucket one(milliseconds(100), 1);
  EXPECT_TRUE(one.take(kStart));
  EXPECT_TRUE(one.take(at(milliseconds(150))));
  EXPECT_FALSE(one.take(at(milliseconds(200))));
  EXPECT_TRUE(one.take(at(milliseconds(250))));
}

TEST(TokenBucket, IgnoresAClockThatGoesBack) {
  TokenBucket bucket(milliseconds(100), 2);
  EXPECT_EQ(drain(bucket, kStart), 2);
  EXPECT_FALSE(bucket.take(at(milliseconds(-500))));
  EXPECT_FALSE(bucket.take(at(milliseconds(99))));
  EXPECT_TRUE(bucket.take(at(milliseconds(100))));
}

TEST(TokenBucket, ZeroIntervalIsUnlimited) {
  TokenBucket bucket(milliseconds(0), 5);
  EXPECT_EQ(drain(bucket, kStart), 100000);
  TokenBucket no_burst(milliseconds(0), 0);
  EXPECT_TRUE(no_burst.take(kStart));
}

TEST(TokenBucket, ZeroBurstNeverGivesATokenWhenLimited) {
  TokenBucket bucket(milliseconds(10), 0);
  EXPECT_FALSE(bucket.take(kStart));
  EXPECT_FALSE(bucket.take(at(seconds(10))));
}

TEST(TokenBucket, SeveralTokensPerPeriodWithoutRounding) {
  // 3000 per second: one every third of a millisecond, which no whole-millisecond interval expresses.
  TokenBucket bucket(3000, seconds(1), 50);
  EXPECT_EQ(drain(bucket, kStart), 50);
  EXPECT_EQ(drain(bucket, at(milliseconds(1))), 3);
  EXPECT_EQ(drain(bucket, at(milliseconds(11))), 30);
  EXPECT_EQ(drain(bucket, at(seconds(1))), 50);
  // 1000 per second (Linux's icmp_msgs_per_sec): one per millisecond.
  TokenBucket linux_default(1000, seconds(1), 50);
  EXPECT_EQ(drain(linux_default, kStart), 50);
  EXPECT_EQ(drain(linux_default, at(milliseconds(7))), 7);
  // 3 per second: 333.3 ms apart, exactly. (A burst of 2, so that the bucket is never full below: a full bucket
  // rightly gains nothing more.)
  TokenBucket slow(3, seconds(1), 2);
  EXPECT_EQ(drain(slow, kStart), 2);
  EXPECT_FALSE(slow.take(at(milliseconds(333))));
  EXPECT_TRUE(slow.take(at(milliseconds(334))));  // 1002/3 ms of credit: one token, 2/3 ms left
  EXPECT_FALSE(slow.take(at(milliseconds(666))));
  EXPECT_TRUE(slow.take(at(milliseconds(667))));  // 333 ms more + the 2/3 kept = 1001/3
  EXPECT_TRUE(slow.take(at(milliseconds(1000))));
}

TEST(TokenBucket, AvailableDoesNotTake) {
  TokenBucket bucket(milliseconds(100), 1);
  EXPECT_TRUE(bucket.available(kStart));
  EXPECT_TRUE(bucket.available(kStart));
  EXPECT_TRUE(bucket.take(kStart));
  EXPECT_FALSE(bucket.available(kStart));
  EXPECT_TRUE(bucket.available(at(milliseconds(100))));
}

// ---- IcmpRateLimiter --------------------------------------------------------------------------------------------

TEST(IcmpRateLimiter, DefaultsAreLinuxs) {
  const IcmpRateLimits limits;
  EXPECT_EQ(limits.msgs_per_sec, 1000u);
  EXPECT_EQ(limits.msgs_burst, 50u);
  EXPECT_EQ(limits.per_destination_interval, milliseconds(1000));
  EXPECT_EQ(limits.per_destination_burst, 6u);
  EXPECT_EQ(limits.destinations, 64u);
}

TEST(IcmpRateLimiter, BurstOfSixPerDestinationThenOnePerSecond) {
  IcmpRateLimiter limiter;
  EXPECT_EQ(drain(limiter, packets::kPeerIp, kStart), 6);
  EXPECT_FALSE(limiter.allow(packets::kPeerIp, at(milliseconds(999))));
  EXPECT_TRUE(limiter.allow(packets::kPeerIp, at(milliseconds(1000))));
  EXPECT_FALSE(limiter.allow(packets::kPeerIp, at(milliseconds(1500))));
  EXPECT_EQ(drain(limiter, packets::kPeerIp, at(seconds(3))), 2);
  EXPECT_EQ(drain(limiter, packets::kPeerIp, at(seconds(60))), 6);
}

TEST(IcmpRateLimiter, DestinationsAreLimitedIndependently) {
  IcmpRateLimiter limiter;
  EXPECT_EQ(drain(limiter, host(1), kStart), 6);
  EXPECT_EQ(drain(limiter, host(2), kStart), 6) << "another destination has its own bucket";
  EXPECT_FALSE(limiter.allow(host(1), kStart));
  EXPECT_TRUE(limiter.allow(host(2), at(seconds(1))));
  EXPECT_TRUE(limiter.allow(host(1), at(seconds(1))));
}

TEST(IcmpRateLimiter, GlobalLimitCapsAllDestinationsTogether) {
  IcmpRateLimiter limiter;  // 50 at once, then 1000 per second
  int allowed = 0;
  for (std::uint32_t n = 1; n <= 20; ++n) allowed += drain(limiter, host(n), kStart);
  EXPECT_EQ(allowed, 50) << "20 destinations x 6 = 120 wanted, the global burst is 50";
  EXPECT_FALSE(limiter.allow(host(21), kStart)) << "even a new destination";
  EXPECT_TRUE(limiter.allow(host(21), at(milliseconds(1))));  // one global token per millisecond
  EXPECT_FALSE(limiter.allow(host(22), at(milliseconds(1))));
}

// Linux's order: a message refused by one limit takes no token from the other.
TEST(IcmpRateLimiter, RefusalCostsNeitherBucket) {
  IcmpRateLimiter limiter({.msgs_per_sec = 1000, .msgs_burst = 7, .per_destination_burst = 6});
  EXPECT_EQ(drain(limiter, host(1), kStart), 6);  // host 1 out of tokens, 1 global left
  EXPECT_FALSE(limiter.allow(host(1), kStart));   // refused per destination...
  EXPECT_FALSE(limiter.allow(host(1), kStart));
  EXPECT_TRUE(limiter.allow(host(2), kStart)) << "...without spending the last global token";

  IcmpRateLimiter tight({.msgs_per_sec = 1000, .msgs_burst = 2, .per_destination_burst = 3});
  EXPECT_EQ(drain(tight, host(1), kStart), 2);            // global empty, host 1 has 1 left
  EXPECT_FALSE(tight.allow(host(1), kStart));             // refused globally...
  EXPECT_TRUE(tight.allow(host(1), at(milliseconds(1))))  // ...without spending host 1's last token
      << "host 1's third token must still be there";
  EXPECT_FALSE(tight.allow(host(1), at(milliseconds(2))));  // now host 1 is out (a global token is there)
  EXPECT_TRUE(tight.allow(host(2), at(milliseconds(2))));   // and that global token was not spent
}

TEST(IcmpRateLimiter, ZeroMeansUnlimited) {
  IcmpRateLimiter none({.msgs_per_sec = 0, .per_destination_interval = milliseconds(0)});
  EXPECT_EQ(drain(none, host(1), kStart), 100000);

  IcmpRateLimiter per_destination_only({.msgs_per_sec = 0});
  int allowed = 0;
  for (std::uint32_t n = 1; n <= 20; ++n) allowed += drain(per_destination_only, host(n), kStart);
  EXPECT_EQ(allowed, 120) << "no global cap: 6 for each of 20 destinations";

  IcmpRateLimiter global_only({.msgs_burst = 50, .per_destination_interval = milliseconds(0)});
  EXPECT_EQ(drain(global_only, host(1), kStart), 50) << "no per-destination cap: the global burst";
  EXPECT_EQ(drain(global_only, host(1), at(milliseconds(10))), 10);
}

TEST(IcmpRateLimiter, FullTableForgetsTheLeastRecentlyUsedDestination) {
  IcmpRateLimiter limiter({.msgs_per_sec = 0, .per_destination_burst = 2, .destinations = 2});
  EXPECT_EQ(drain(limiter, host(1), kStart), 2);
  EXPECT_EQ(drain(limiter, host(2), kStart), 2);
  EXPECT_FALSE(limiter.allow(host(1), kStart));  // host 1 used more recently than host 2 now
  // A third destination: the table is full, host 2 (least recently used) makes room.
  EXPECT_EQ(drain(limiter, host(3), kStart), 2);
  EXPECT_FALSE(limiter.allow(host(1), kStart)) << "host 1 was kept, still out of tokens";
  EXPECT_EQ(drain(limiter, host(2), kStart), 2) << "host 2 was forgotten: a fresh, full bucket";
  // That evicted host 3 (host 1 was used after it): host 3 comes back full, evicting host 1.
  EXPECT_EQ(drain(limiter, host(3), kStart), 2);
  EXPECT_FALSE(limiter.allow(host(2), kStart)) << "host 2 still tracked";
}

TEST(IcmpRateLimiter, ManyDestinationsWithTheDefaultTable) {
  IcmpRateLimiter limiter({.msgs_per_sec = 0});
  for (std::uint32_t n = 1; n <= 64; ++n) ASSERT_EQ(drain(limiter, host(n), kStart), 6) << n;
  for (std::uint32_t n = 1; n <= 64; ++n) ASSERT_FALSE(limiter.allow(host(n), kStart)) << "all 64 tracked: " << n;
  EXPECT_EQ(drain(limiter, host(65), kStart), 6);  // evicts host 1, the least recently used
  EXPECT_EQ(drain(limiter, host(1), kStart), 6);   // so host 1 is new again (evicting host 2)
  EXPECT_FALSE(limiter.allow(host(64), kStart));
}

TEST(IcmpRateLimiter, TheZeroAddressIsADestinationLikeAnyOther) {
  IcmpRateLimiter limiter({.msgs_per_sec = 0});
  EXPECT_EQ(drain(limiter, Ipv4Address{0}, kStart), 6) << "free table slots must not pass for 0.0.0.0";
  EXPECT_FALSE(limiter.allow(Ipv4Address{0}, kStart));
}

}  // namespace
