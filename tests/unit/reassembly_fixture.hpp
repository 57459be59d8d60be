// What the reassembly tests share (reassembly_*_test.cpp): real datagrams cut the way Linux cuts them for a 1500-byte
// MTU (1480 payload bytes per fragment, each fragment with a full header and a correct checksum), a reassembler with
// its counters and a clock the test moves by hand, and the orders to feed fragments in.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>
#include <vector>

#include "packets.hpp"
#include "stack/ipv4/ipv4_reassembler.hpp"
#include "stack/wire/ipv4.hpp"

namespace reassembly_test {

using ministack::Counter;
using ministack::Counters;
using ministack::DropReason;
using ministack::Duration;
using ministack::Instant;
using ministack::Ipv4Reassembler;
using ministack::Ipv4View;
using ministack::MutableBytes;
using ministack::ReassemblyLimits;
using packets::ByteView;
using packets::fragment;
using packets::Frame;
using packets::header_length_of;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline constexpr std::size_t kLinuxFragmentPayload = 1480;  // MTU 1500 minus a 20-byte header

inline constexpr Instant kStart{seconds(1000)};
inline Instant at(Duration d) { return kStart + d; }

// An ICMP echo request with `data_size` bytes of ping's pattern: a whole datagram, MF and offset clear, as the sender
// builds it before cutting it.
inline Frame echo_datagram(std::size_t data_size, std::uint16_t id, Frame options = {}) {
  return packets::echo_request({.data = packets::pattern(data_size)},
                               {.identification = id, .flags_fragment = 0, .options = std::move(options)});
}

// The datagram cut as Linux cuts it: 1480 payload bytes per fragment, MF on all but the last. (packets::fragment()
// cuts one fragment of any geometry.)
inline std::vector<Frame> linux_fragments(ByteView datagram) {
  return packets::fragments(datagram, kLinuxFragmentPayload);
}

inline ::testing::AssertionResult same_bytes(ByteView actual, ByteView expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << "size " << actual.size() << ", expected " << expected.size();
  }
  const auto diff = std::mismatch(actual.begin(), actual.end(), expected.begin());
  if (diff.first != actual.end()) {
    return ::testing::AssertionFailure() << "first difference at byte " << (diff.first - actual.begin()) << ": "
                                         << int{*diff.first} << ", expected " << int{*diff.second};
  }
  return ::testing::AssertionSuccess();
}

// The reassembler's caps, checked after every operation (not only at the end of a test): bytes reserved and
// datagrams in progress never above their limits, and what is held never more than what is reserved.
inline ::testing::AssertionResult within_caps(const Ipv4Reassembler& r) {
  const ReassemblyLimits& limits = r.limits();
  if (r.bytes_reserved() > limits.max_bytes) {
    return ::testing::AssertionFailure() << r.bytes_reserved() << " bytes reserved, over max_bytes "
                                         << limits.max_bytes;
  }
  if (r.bytes_held() > r.bytes_reserved()) {
    return ::testing::AssertionFailure() << r.bytes_held() << " bytes held, more than the " << r.bytes_reserved()
                                         << " reserved";
  }
  if (r.datagrams_in_progress() > limits.max_datagrams) {
    return ::testing::AssertionFailure() << r.datagrams_in_progress() << " datagrams in progress, over max_datagrams "
                                         << limits.max_datagrams;
  }
  return ::testing::AssertionSuccess();
}

// A reassembler with its counters and a clock the test moves by hand. Every fragment and every expiry goes through
// add() and expire() here, which check the caps after each one; the reassembler itself is read-only to the tests.
class Harness {
 public:
  explicit Harness(ReassemblyLimits limits = {}) : store_(limits, counters) {}

  Ipv4Reassembler::Result add(ByteView frame) {
    const auto ip = Ipv4View::parse(frame);
    if (!ip) {
      ADD_FAILURE() << "the test built a fragment that does not parse";
      return {};
    }
    auto result = store_.add(*ip, now);
    ++operations_;
    EXPECT_TRUE(within_caps(store_)) << "after operation " << operations_ << " (add)";
    return result;
  }
  void expire(Instant at) {
    store_.expire(at);
    ++operations_;
    EXPECT_TRUE(within_caps(store_)) << "after operation " << operations_ << " (expire)";
  }
  const Ipv4Reassembler& reassembler() const { return store_; }
  std::uint64_t get(Counter c) const { return counters.get(c); }
  std::uint64_t get(DropReason r) const { return counters.get(r); }

  Counters counters;
  Instant now = kStart;

 private:
  Ipv4Reassembler store_;
  std::size_t operations_ = 0;
};

// Feeds `fragments` in the order given, expecting each to be accepted and the datagram to complete at the last one
// and not before. Returns a copy of the reassembled datagram (empty if it did not complete).
inline Frame feed(Harness& h, const std::vector<Frame>& fragments, const std::vector<std::size_t>& order) {
  Frame out;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto r = h.add(fragments.at(order[i]));
    EXPECT_FALSE(r.drop) << "fragment " << order[i] << ": " << describe(*r.drop).name;
    if (i + 1 < order.size()) {
      EXPECT_FALSE(r.datagram) << "completed early, at step " << i;
    } else if (r.datagram) {
      out.assign(r.datagram->begin(), r.datagram->end());
    }
  }
  EXPECT_FALSE(out.empty()) << "the datagram did not complete";
  return out;
}

inline std::vector<std::size_t> in_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  return order;
}

inline std::vector<std::size_t> reversed(std::size_t n) {
  auto order = in_order(n);
  std::reverse(order.begin(), order.end());
  return order;
}

inline std::vector<std::size_t> shuffled(std::size_t n, unsigned seed) {
  auto order = in_order(n);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

inline Frame feed_all(Harness& h, const std::vector<Frame>& fragments) {
  return feed(h, fragments, in_order(fragments.size()));
}

}  // namespace reassembly_test
