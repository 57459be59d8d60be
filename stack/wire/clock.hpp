// Time as the stack sees it, passed in by the caller with every frame: the device loop reads the clocks (or, in a
// replay, the capture's timestamps), and tests inject any instant they like, so timers are testable without
// sleeping and replays are deterministic.
#pragma once

#include <chrono>
#include <cstdint>

namespace ministack {

using Duration = std::chrono::milliseconds;

struct Instant {
  Duration since_start{0};            // monotonic, from an arbitrary origin: what timers measure
  std::chrono::microseconds wall{0};  // wall-clock time since the Unix epoch: what IP timestamps carry

  // Instants are ordered by the monotonic clock alone.
  friend constexpr bool operator==(Instant a, Instant b) { return a.since_start == b.since_start; }
  friend constexpr auto operator<=>(Instant a, Instant b) { return a.since_start <=> b.since_start; }
  friend constexpr Instant operator+(Instant t, Duration d) { return {t.since_start + d, t.wall + d}; }
  friend constexpr Duration operator-(Instant a, Instant b) { return a.since_start - b.since_start; }

  // Milliseconds since midnight UT, the value of an IP timestamp (RFC 791 §3.1, "Internet Timestamp").
  constexpr std::uint32_t ms_since_midnight_ut() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall).count();
    return static_cast<std::uint32_t>(ms % (24 * 60 * 60 * 1000));
  }
};

}  // namespace ministack
