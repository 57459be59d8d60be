// IPv4 fragment reassembly without an allocation per fragment, its idle buffers reused: this test binary's operator
// new counts its calls.
// Shared helpers: reassembly_fixture.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <utility>
#include <vector>

#include "reassembly_fixture.hpp"

// ---- allocation counting -----------------------------------------------------------------------------------------
// The whole test binary's operator new counts its calls, so a test can assert that steady-state reassembly does not
// allocate per fragment.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// None of these is inlined: GCC would otherwise see malloc() or free() meet operator new or delete, and warn
// (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace reassembly_test {
namespace {

// ---- allocation ------------------------------------------------------------------------------------------------

TEST(Reassembly, ANewDatagramTakesTheSmallestIdleBufferThatFits) {
  // Warm up with a big and a small datagram at once, leaving a big and a small idle buffer. Then a small one
  // arrives first: if it took the big buffer, the big one after it would have to allocate.
  const Frame warm_big = echo_datagram(65000, 0x8501);
  const Frame warm_small = echo_datagram(4000, 0x8502);
  const auto next_small = linux_fragments(echo_datagram(4000, 0x8503));
  const auto next_big = linux_fragments(echo_datagram(65000, 0x8504));
  Harness h;
  EXPECT_FALSE(h.add(linux_fragments(warm_big)[0]).drop);
  EXPECT_TRUE(same_bytes(feed_all(h, linux_fragments(warm_small)), warm_small));
  const auto big_fragments = linux_fragments(warm_big);
  std::vector<std::size_t> rest = reversed(big_fragments.size());
  rest.pop_back();  // fragment 0 is already held
  EXPECT_TRUE(same_bytes(feed(h, big_fragments, rest), warm_big));

  const std::size_t before = g_allocations.load();
  EXPECT_FALSE(h.add(next_small.back()).drop);
  EXPECT_FALSE(h.add(next_big.back()).drop);
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

TEST(Reassembly, SteadyStateDoesNotAllocate) {
  // Three datagrams at a time, their fragments shuffled together: after one round of 65000-byte datagrams to warm
  // the slots up, further rounds (65000 bytes again, then 4000) allocate nothing at all.
  constexpr int kRounds = 3;
  std::vector<std::vector<Frame>> rounds[kRounds];
  std::vector<Frame> originals;
  for (int round = 0; round < kRounds; ++round) {
    for (std::uint16_t i = 0; i < 3; ++i) {
      originals.push_back(echo_datagram(round < 2 ? 65000 : 4000, static_cast<std::uint16_t>(round * 3 + i)));
      rounds[round].push_back(linux_fragments(originals.back()));
    }
  }
  Harness h;
  std::size_t allocations_per_round[kRounds] = {};
  std::size_t completed = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::pair<std::size_t, std::size_t>> schedule;
    for (std::size_t d = 0; d < 3; ++d) {
      for (std::size_t f = 0; f < rounds[round][d].size(); ++f) schedule.emplace_back(d, f);
    }
    std::mt19937 rng(static_cast<unsigned>(round + 10));
    std::shuffle(schedule.begin(), schedule.end(), rng);
    for (const auto& [d, f] : schedule) {
      const std::size_t before = g_allocations.load();
      const auto r = h.add(rounds[round][d][f]);
      allocations_per_round[round] += g_allocations.load() - before;
      if (r.datagram) {
        EXPECT_TRUE(same_bytes(*r.datagram, originals[static_cast<std::size_t>(round) * 3 + d]));
        ++completed;
      }
    }
  }
  EXPECT_EQ(completed, 9u);
  EXPECT_GT(allocations_per_round[0], 0u) << "the counting works";
  EXPECT_EQ(allocations_per_round[1], 0u) << "slots and buffers are reused";
  EXPECT_EQ(allocations_per_round[2], 0u) << "a smaller datagram fits a bigger buffer";
}

TEST(Reassembly, InOrderGrowthDoesNotAllocatePerFragment) {
  const Frame original = echo_datagram(65000, 0x9001);
  const auto fragments = linux_fragments(original);
  Harness h;
  const std::size_t before = g_allocations.load();
  Frame whole;
  for (const Frame& f : fragments) {
    const auto r = h.add(f);
    if (r.datagram) whole.assign(r.datagram->begin(), r.datagram->end());
  }
  const std::size_t allocations = g_allocations.load() - before - 1;  // less whole's own
  EXPECT_TRUE(same_bytes(whole, original));
  // 44 fragments: the buffer and the piece list grow geometrically (about 7 and 4 steps), plus the slot itself.
  EXPECT_LE(allocations, 14u);
}

}  // namespace
}  // namespace reassembly_test
