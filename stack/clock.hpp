// Time as the stack sees it: a monotonic instant passed in by the caller (the device loop reads the clock; tests
// inject any instant they like), so timers are testable without sleeping.
#pragma once

#include <chrono>

namespace ministack {

using Duration = std::chrono::milliseconds;
struct Instant {
  Duration since_start{0};  // monotonic, from an arbitrary origin
  friend constexpr auto operator<=>(Instant, Instant) = default;
  friend constexpr Instant operator+(Instant t, Duration d) { return {t.since_start + d}; }
  friend constexpr Duration operator-(Instant a, Instant b) { return a.since_start - b.since_start; }
};

}  // namespace ministack
