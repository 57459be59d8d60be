// The retransmission timeout of RFC 6298: a smoothed round-trip time and its variation from samples (§2), Karn's
// rule (§3: no sample from a retransmitted segment; the caller takes care of that), and exponential back-off (§5.5).
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

#include "stack/wire/clock.hpp"

namespace ministack::tcp {

class RetransmitTimer {
 public:
  // RFC 6298 §2.1: 1 s before any sample. §2.4 says at least 1 s after; Linux uses 200 ms (TCP_RTO_MIN), which
  // the issue asks for, and at most 120 s (TCP_RTO_MAX; §2.5 allows a maximum of at least 60 s).
  static constexpr Duration kInitial{1000};
  static constexpr Duration kMin{200};
  static constexpr Duration kMax{120000};

  // Takes one round-trip measurement R (RFC 6298 §2.2-2.3; alpha 1/8, beta 1/4, K 4, G 1 ms) and recomputes RTO.
  void sample(Duration r) {
    if (!srtt_) {
      srtt_ = r;
      rttvar_ = r / 2;
    } else {
      const Duration error = *srtt_ > r ? *srtt_ - r : r - *srtt_;
      rttvar_ = (3 * rttvar_ + error) / 4;
      srtt_ = (7 * *srtt_ + r) / 8;
    }
    rto_ = std::clamp(*srtt_ + std::max(Duration{1}, 4 * rttvar_), kMin, kMax);
  }
  // RFC 6298 §5.5: after a timeout, RTO <- RTO * 2, up to the maximum.
  void back_off() { rto_ = std::min(rto_ * 2, kMax); }

  Duration rto() const { return rto_; }
  std::optional<Duration> srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }

 private:
  std::optional<Duration> srtt_;
  Duration rttvar_{0};
  Duration rto_ = kInitial;
};

}  // namespace ministack::tcp
