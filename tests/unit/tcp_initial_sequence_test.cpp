// RFC 6528 §3's ISN = M + F(localip, localport, remoteip, remoteport, secretkey): F differs with each part of the
// 4-tuple and with the secret; M ticks every 4 µs, 250 per millisecond, for the same connection.
#include "stack/tcp/initial_sequence.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>

#include "packets.hpp"

namespace {

using ministack::Duration;
using ministack::Instant;
using ministack::tcp::initial_sequence;
using ministack::tcp::IsnSecret;

constexpr IsnSecret kSecret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr auto kLocal = packets::kOurIp;
constexpr auto kRemote = packets::kPeerIp;

Instant at(std::int64_t ms) { return Instant{Duration{ms}, std::chrono::microseconds{ms * 1000}}; }

std::uint32_t isn(const IsnSecret& secret, std::uint16_t local_port, std::uint16_t remote_port, Instant now,
                  ministack::Ipv4Address remote = kRemote) {
  return initial_sequence(secret, {kLocal, local_port, remote, remote_port}, now);
}

TEST(InitialSequence, DiffersForEveryPartOfTheFourTuple) {
  const Instant now = at(5000);
  const std::set<std::uint32_t> isns = {
      isn(kSecret, 7, 40000, now),
      isn(kSecret, 9, 40000, now),                                         // our port
      isn(kSecret, 7, 40001, now),                                         // the peer's port
      isn(kSecret, 7, 40000, now, packets::ipv4_address(192, 168, 3, 2)),  // the peer's address
      initial_sequence(kSecret, {packets::ipv4_address(192, 168, 3, 13), 7, kRemote, 40000}, now),  // ours
      initial_sequence(kSecret, {kRemote, 40000, kLocal, 7}, now),  // the same pair of endpoints, the other way round
  };
  EXPECT_EQ(isns.size(), 6u);
}

TEST(InitialSequence, DiffersWithTheSecret) {
  IsnSecret other = kSecret;
  other[15] = 17;  // was 16
  EXPECT_NE(isn(kSecret, 7, 40000, at(0)), isn(other, 7, 40000, at(0)));
  EXPECT_EQ(isn(kSecret, 7, 40000, at(0)), isn(kSecret, 7, 40000, at(0))) << "a function of its inputs alone";
}

// M: a 4 µs timer, so one connection's ISN moves on by 250 a millisecond, modulo 2^32.
TEST(InitialSequence, AdvancesTwoHundredFiftyPerMillisecond) {
  const std::uint32_t base = isn(kSecret, 7, 40000, at(1000));
  EXPECT_EQ(isn(kSecret, 7, 40000, at(1001)) - base, 250u);
  EXPECT_EQ(isn(kSecret, 7, 40000, at(2000)) - base, 250000u);
  // 2^32 ticks of 4 µs are 17179869.184 s: the counter wraps, and the difference stays the elapsed ticks mod 2^32.
  const std::int64_t later_ms = 1000 + 17179869;
  EXPECT_EQ(isn(kSecret, 7, 40000, at(later_ms)) - base, static_cast<std::uint32_t>(17179869LL * 250));
}

}  // namespace
