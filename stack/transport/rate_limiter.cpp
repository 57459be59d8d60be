#include "stack/transport/rate_limiter.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace ministack {

TokenBucket::TokenBucket(std::uint32_t tokens, Duration period, std::uint32_t burst)
    : tokens_per_period_(tokens),
      cost_(static_cast<std::uint64_t>(period.count())),
      capacity_(std::uint64_t{burst} * cost_),
      credit_(capacity_) {
  assert(period.count() >= 0);
  assert(cost_ == 0 || burst <= UINT64_MAX / cost_);  // capacity_ did not overflow
}

void TokenBucket::refill(Instant now) {
  if (!started_) {  // starts full: nothing to add
    started_ = true;
    last_ = now;
    return;
  }
  if (now <= last_) return;  // same instant, or a clock that went back: keep last_ and the credit
  const auto elapsed = static_cast<std::uint64_t>((now - last_).count());
  last_ = now;
  const std::uint64_t missing = capacity_ - credit_;
  // Compare by division first: elapsed * tokens_per_period_ could overflow after a long idle time.
  if (tokens_per_period_ != 0 && elapsed >= missing / tokens_per_period_ + 1) {
    credit_ = capacity_;
  } else {
    credit_ += elapsed * tokens_per_period_;  // < missing + tokens_per_period_: no overflow
    credit_ = std::min(credit_, capacity_);
  }
}

bool TokenBucket::available(Instant now) {
  refill(now);
  return credit_ >= cost_;  // a cost of 0 (interval 0) is always available: unlimited
}

bool TokenBucket::take(Instant now) {
  if (!available(now)) return false;
  credit_ -= cost_;
  return true;
}

IcmpRateLimiter::IcmpRateLimiter(IcmpRateLimits limits)
    : limits_(limits),
      global_(limits.msgs_per_sec, std::chrono::seconds(1), limits.msgs_burst),
      table_(std::max<std::size_t>(limits.destinations, 1),
             Entry{{}, TokenBucket(limits.per_destination_interval, limits.per_destination_burst), 0}) {}

TokenBucket& IcmpRateLimiter::bucket_for(IpAddress destination) {
  ++use_clock_;
  Entry* victim = &table_.front();
  for (Entry& e : table_) {
    if (e.last_use != 0 && e.destination == destination) {
      e.last_use = use_clock_;
      return e.bucket;
    }
    if (e.last_use < victim->last_use) victim = &e;  // a free slot (0) first, else the least recently used
  }
  *victim =
      Entry{destination, TokenBucket(limits_.per_destination_interval, limits_.per_destination_burst), use_clock_};
  return victim->bucket;
}

bool IcmpRateLimiter::allow(IpAddress destination, Instant now) {
  const bool global_limited = limits_.msgs_per_sec != 0;
  // Linux icmpv4_global_allow(): is there a global token? (Not taken yet.)
  if (global_limited && !global_.available(now)) return false;
  // Linux icmpv4_xrlim_allow() -> inet_peer_xrlim_allow(): the destination's own bucket. icmp_ratelimit 0: none.
  if (limits_.per_destination_interval.count() != 0 && !bucket_for(destination).take(now)) return false;
  // Linux icmp_global_consume(): the message will be sent.
  if (global_limited) {
    [[maybe_unused]] const bool taken = global_.take(now);
    assert(taken);
  }
  return true;
}

}  // namespace ministack
