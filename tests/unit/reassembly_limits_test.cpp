// IPv4 fragment reassembly under its memory caps: eviction of the oldest datagram, buffer reuse, and floods of
// fragments that never complete. Shared helpers: reassembly_fixture.hpp.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "reassembly_fixture.hpp"

namespace reassembly_test {
namespace {

// ---- caps and eviction ------------------------------------------------------------------------------------------

// The fragments of n 4000-byte echo requests, with ids from `first_id` on.
std::vector<std::vector<Frame>> small_datagrams(std::size_t n, std::uint16_t first_id) {
  std::vector<std::vector<Frame>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(linux_fragments(echo_datagram(4000, static_cast<std::uint16_t>(first_id + i))));
  }
  return out;
}

// Starts a 4000-byte echo with its last fragment, so its length is known from the start.
void start(Harness& h, const std::vector<Frame>& f) { ASSERT_FALSE(h.add(f[2]).drop); }
// Sends the rest; true if that completed the datagram.
bool finish(Harness& h, const std::vector<Frame>& f) {
  EXPECT_FALSE(h.add(f[0]).datagram);
  return h.add(f[1]).datagram.has_value();
}

TEST(Reassembly, EvictsTheOldestUnderMaxDatagrams) {
  const auto d = small_datagrams(5, 0x8000);
  Harness h({.max_datagrams = 3});
  start(h, d[0]);
  start(h, d[1]);
  start(h, d[2]);
  EXPECT_FALSE(h.add(d[0][0]).drop);  // recent activity does not make d0 younger: age counts from its first fragment
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 3u);
  start(h, d[3]);  // evicts d0
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 3u);
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  start(h, d[4]);  // evicts d1
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 2u);

  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_TRUE(finish(h, d[3]));
  EXPECT_TRUE(finish(h, d[4]));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_FALSE(finish(h, d[0])) << "d0 was evicted";
  EXPECT_FALSE(finish(h, d[1])) << "d1 was evicted";
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 3u);
}

TEST(Reassembly, EvictsTheOldestUnderMaxBytes) {
  const auto d = small_datagrams(4, 0x8100);
  // What one such datagram holds, measured rather than assumed.
  std::size_t one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler().bytes_held();
    ASSERT_GT(one, 4008u) << "at least its payload";
  }
  const std::size_t cap = 3 * one + one / 2;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  start(h, d[0]);
  start(h, d[1]);
  start(h, d[2]);
  EXPECT_EQ(h.reassembler().bytes_held(), 3 * one);
  start(h, d[3]);  // room for three and a half: d0 goes
  EXPECT_LE(h.reassembler().bytes_held(), cap);
  EXPECT_LE(h.reassembler().bytes_reserved(), cap);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 3u);
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  EXPECT_TRUE(finish(h, d[1]));
  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_TRUE(finish(h, d[3]));
  EXPECT_FALSE(finish(h, d[0])) << "d0 was evicted";
}

TEST(Reassembly, GrowthEvictsTheOldestOthersFirst) {
  const auto d = small_datagrams(3, 0x8200);
  const Frame big = echo_datagram(65000, 0x8299);
  const auto big_fragments = linux_fragments(big);
  std::size_t one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler().bytes_held();
  }
  // Room for the three small ones and 12 kB more; the big one, fed in order, grows past that.
  const std::size_t cap = 3 * one + 12'000;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  for (const auto& f : d) start(h, f);
  std::size_t fed = 0;
  while (h.get(DropReason::reasm_evicted) == 0 && fed < 12) {
    ASSERT_FALSE(h.add(big_fragments[fed++]).drop);
    ASSERT_LE(h.reassembler().bytes_reserved(), cap);
  }
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u) << "growing the big datagram evicted one";
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 3u);
  EXPECT_TRUE(finish(h, d[1]));
  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_FALSE(finish(h, d[0])) << "the oldest, d0, was the one evicted";
}

TEST(Reassembly, IdleBuffersAreReleasedBeforeAnyDatagramIsEvicted) {
  const auto d = small_datagrams(4, 0x8400);
  const auto big = linux_fragments(echo_datagram(65000, 0x84ff));
  std::size_t one = 0;
  std::size_t big_one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler().bytes_held();
    Harness probe_big;
    ASSERT_FALSE(probe_big.add(big.back()).drop);
    big_one = probe_big.reassembler().bytes_held();
  }
  const std::size_t cap = big_one + one + one / 2;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  // Three datagrams at once, completed, leave three idle buffers behind, kept for reuse; a fourth datagram
  // reuses one.
  for (std::size_t i = 0; i < 3; ++i) start(h, d[i]);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(finish(h, d[i]));
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
  start(h, d[3]);
  EXPECT_EQ(h.reassembler().bytes_held(), one);
  EXPECT_EQ(h.reassembler().bytes_reserved(), 3 * one);
  // The big datagram needs nearly the whole cap: the idle buffers go, the datagram in progress stays.
  ASSERT_FALSE(h.add(big.back()).drop);
  EXPECT_LE(h.reassembler().bytes_reserved(), cap);
  EXPECT_EQ(h.reassembler().bytes_held(), h.reassembler().bytes_reserved());
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 0u);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 2u);
  EXPECT_TRUE(finish(h, d[3]));
}

TEST(Reassembly, BytesHeldCountsTheRecordOfEveryPiece) {
  // 8-byte fragments at every other 8 bytes: 4000 pieces that never join up. Their record costs memory too (at
  // least 4 bytes each, two 16-bit numbers), and counts against the cap.
  const Frame source = echo_datagram(65000, 0x8601);
  Harness h;
  for (std::size_t offset = 0; offset < 64'000; offset += 16) {
    ASSERT_FALSE(h.add(fragment(source, offset, 8, true)).drop) << offset;
  }
  EXPECT_GE(h.reassembler().bytes_held(), 63'992 + 4000 * 4);

  Harness tight({.max_datagrams = 64, .max_bytes = 70'000});
  std::optional<DropReason> dropped;
  for (std::size_t offset = 0; offset < 64'000 && !dropped; offset += 16) {
    dropped = tight.add(fragment(source, offset, 8, true)).drop;
    ASSERT_LE(tight.reassembler().bytes_reserved(), 70'000u) << offset;
  }
  EXPECT_EQ(dropped, DropReason::reasm_evicted) << "the piece list outgrew the cap";
  EXPECT_EQ(tight.reassembler().datagrams_in_progress(), 0u);
}

TEST(Reassembly, FragmentThatCannotFitAtAllIsDropped) {
  Harness h({.max_datagrams = 64, .max_bytes = 10'000});
  const Frame original = echo_datagram(4000, 0x8301);
  ASSERT_FALSE(h.add(fragment(original, 0, 1480, true)).drop);
  // Offset 60000 needs a buffer of 60 kB: more than the cap even with nothing else held.
  const auto r = h.add(fragment(original, 60000, 1480, true));
  EXPECT_EQ(r.drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u) << "that datagram could never complete";
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  const auto alone = h.add(fragment(echo_datagram(4000, 0x8302), 60000, 1480, true));
  EXPECT_EQ(alone.drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 2u);
  // A datagram that fits still reassembles.
  const Frame small = echo_datagram(4000, 0x8303);
  EXPECT_TRUE(same_bytes(feed_all(h, linux_fragments(small)), small));
}

TEST(Reassembly, NoDatagramsAllowedMeansEveryFragmentIsDropped) {
  Harness h({.max_datagrams = 0});
  EXPECT_EQ(h.add(linux_fragments(echo_datagram(4000, 1))[0]).drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
}

// Tens of thousands of fragments that never complete, each of a datagram of its own: the caps hold after every
// single one, and a normal datagram still gets through afterwards.
// Returns the most datagrams seen in progress at once.
std::size_t flood(const ReassemblyLimits& limits, unsigned seed, std::size_t min_offset, std::size_t max_offset) {
  Harness h(limits);
  std::size_t most = 0;
  std::mt19937 rng(seed);
  const Frame source = echo_datagram(65000, 0);
  constexpr std::size_t kFragments = 30'000;
  for (std::size_t i = 0; i < kFragments; ++i) {
    const std::size_t offset = 8 * std::uniform_int_distribution<std::size_t>(min_offset / 8, max_offset / 8)(rng);
    const std::size_t length = 8 * std::uniform_int_distribution<std::size_t>(1, kLinuxFragmentPayload / 8)(rng);
    Frame f = fragment(source, offset, length, true);
    packets::put16(f, 4, static_cast<std::uint16_t>(i));  // distinct ids (30000 < 65536)
    packets::put16(f, 10, 0);
    packets::put16(f, 10, packets::reference_checksum(ByteView{f}.first(header_length_of(f))));
    const auto r = h.add(f);
    EXPECT_FALSE(r.datagram) << i;
    EXPECT_LE(h.reassembler().bytes_held(), limits.max_bytes) << "after fragment " << i;
    EXPECT_LE(h.reassembler().bytes_reserved(), limits.max_bytes) << "after fragment " << i;
    EXPECT_LE(h.reassembler().datagrams_in_progress(), limits.max_datagrams) << "after fragment " << i;
    if (h.reassembler().bytes_held() > limits.max_bytes || h.reassembler().bytes_reserved() > limits.max_bytes ||
        h.reassembler().datagrams_in_progress() > limits.max_datagrams) {
      ADD_FAILURE() << "over a cap after fragment " << i;
      return most;
    }
    most = std::max(most, h.reassembler().datagrams_in_progress());
  }
  EXPECT_EQ(h.get(Counter::ipReasmReqds), kFragments);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 0u);
  EXPECT_GT(h.get(DropReason::reasm_evicted), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), h.get(DropReason::reasm_evicted) + h.counters.get(DropReason::reasm_oversize))
      << "every datagram given up is counted once";

  const Frame normal = echo_datagram(4000, 0xffff);
  EXPECT_TRUE(same_bytes(feed(h, linux_fragments(normal), {1, 2, 0}), normal));
  const Frame large = echo_datagram(65000, 0xfffe);
  const auto large_fragments = linux_fragments(large);
  if (limits.max_bytes >= 70'000) {
    EXPECT_TRUE(same_bytes(feed(h, large_fragments, shuffled(large_fragments.size(), seed)), large));
  }
  return most;
}

TEST(Reassembly, FloodWithinDefaultLimits) {
  EXPECT_EQ(flood(ReassemblyLimits{}, 1, 0, 64'000), 64u) << "max_datagrams is what binds";
}

TEST(Reassembly, FloodOfHighOffsetsHitsMaxBytes) {
  // Every fragment far into its datagram, so each needs a buffer of 60 kB or more: the memory cap is what binds.
  EXPECT_LE(flood(ReassemblyLimits{}, 2, 60'000, 64'000), 64u);
  EXPECT_LE(flood({.max_datagrams = 64, .max_bytes = 300'000}, 3, 60'000, 64'000), 5u);
}

TEST(Reassembly, FloodWithTightLimits) {
  EXPECT_EQ(flood({.max_datagrams = 8, .max_bytes = 100'000}, 4, 0, 8'000), 8u);
}

}  // namespace
}  // namespace reassembly_test
