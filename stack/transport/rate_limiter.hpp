// Rate limits for the ICMP errors ministack sends (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2: "the rate SHOULD be
// limited"), after Linux: a global token bucket (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst) and one bucket per
// destination (net.ipv4.icmp_ratelimit, the minimal spacing, with XRLIM_BURST_FACTOR 6 of them saved up).
// Time is an injected Instant (clock.hpp); everything is integer arithmetic, and nothing allocates after
// construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/wire/clock.hpp"
#include "stack/wire/ip.hpp"

namespace ministack {

// A token bucket: holds at most `burst` tokens, starts full, and gains `tokens` tokens every `period`, accrued
// millisecond by millisecond (time not yet worth a whole token is kept, not lost). take() spends one if there is one.
// Exact integer arithmetic: the credit is kept in units of 1/tokens milliseconds, so 3000 tokens per second
// (a third of a millisecond each) needs no rounding.
class TokenBucket {
 public:
  // One token every `interval_per_token` (>= 0). An interval of 0 never runs out: the bucket is unlimited.
  TokenBucket(Duration interval_per_token, std::uint32_t burst) : TokenBucket(1, interval_per_token, burst) {}
  // `tokens` tokens every `period` (> 0), e.g. (1000, 1 s) for Linux's icmp_msgs_per_sec. With tokens == 0 the
  // bucket never refills: only its first `burst` tokens are ever taken.
  TokenBucket(std::uint32_t tokens, Duration period, std::uint32_t burst);

  // Refills for the time since the last call, then reports whether a token is there, without taking it.
  bool available(Instant now);
  // Refills, then takes a token if there is one; false if the bucket is empty. `now` should not go back in time;
  // if it does, no credit is added (and none removed).
  bool take(Instant now);

 private:
  void refill(Instant now);

  std::uint64_t tokens_per_period_;
  std::uint64_t cost_;      // one token: the period, in milliseconds
  std::uint64_t capacity_;  // burst * cost_
  std::uint64_t credit_;    // in units of 1/tokens_per_period_ ms; starts at capacity_
  Instant last_{};
  bool started_ = false;  // last_ is meaningful
};

struct IcmpRateLimits {
  // Global: Linux net.ipv4.icmp_msgs_per_sec = 1000 and icmp_msgs_burst = 50. msgs_per_sec == 0 means no global
  // limit here (in Linux it would stop refilling).
  std::uint32_t msgs_per_sec = 1000;
  std::uint32_t msgs_burst = 50;
  // Per destination: Linux net.ipv4.icmp_ratelimit = 1000 ms between messages to one peer, up to
  // XRLIM_BURST_FACTOR = 6 saved up. An interval of 0 means no per-destination limit, as in Linux.
  Duration per_destination_interval = std::chrono::milliseconds(1000);
  std::uint32_t per_destination_burst = 6;
  // Destinations tracked at once (at least 1); when full, the least recently used one is forgotten.
  std::size_t destinations = 64;
};

// Decides whether one more ICMP error may be sent now. The order is Linux's since its 2024 commit "icmp: change the
// order of rate limits": the global bucket is checked first without taking its token (icmpv4_global_allow); then
// the destination's bucket takes one (icmpv4_xrlim_allow); only if it did is the global token taken
// (icmp_global_consume). So a message refused by either limit costs neither bucket. (Linux also randomizes the
// global cost, 0 to 2 tokens, against a side channel; ministack takes exactly one.)
class IcmpRateLimiter {
 public:
  explicit IcmpRateLimiter(IcmpRateLimits limits = {});

  bool allow(IpAddress destination, Instant now);

 private:
  struct Entry {
    IpAddress destination;
    TokenBucket bucket;
    std::uint64_t last_use;  // from use_clock_; 0: the slot is free
  };
  TokenBucket& bucket_for(IpAddress destination);

  IcmpRateLimits limits_;
  TokenBucket global_;
  std::vector<Entry> table_;  // sized once, in the constructor
  std::uint64_t use_clock_ = 0;
};

}  // namespace ministack
