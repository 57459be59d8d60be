// IPv4 fragment reassembly timeouts (RFC 1122 §3.3.2), on injected instants. Shared helpers: reassembly_fixture.hpp.
#include <gtest/gtest.h>

#include <vector>

#include "reassembly_fixture.hpp"

namespace reassembly_test {
namespace {

// ---- timeout (RFC 1122 §3.3.2) ----------------------------------------------------------------------------------

TEST(Reassembly, TimeoutJustBeforeAndJustAfter30Seconds) {
  const auto f = linux_fragments(echo_datagram(4000, 0x7101));
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.expire(at(milliseconds(29'999)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u);
  h.expire(at(seconds(30)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u) << "dropped only after more than 30 s";
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 0u);
  h.expire(at(milliseconds(30'001)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 1u) << "counted here: the caller never sees this drop";
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // The late fragments cannot complete it: the first is gone.
  h.now = at(seconds(31));
  EXPECT_FALSE(h.add(f[1]).datagram);
  EXPECT_FALSE(h.add(f[2]).datagram);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u);
}

TEST(Reassembly, TimeoutAppliesAtTheNextAdd) {
  const auto a = linux_fragments(echo_datagram(4000, 0x7201));
  const auto b = linux_fragments(echo_datagram(4000, 0x7202));
  Harness h;
  ASSERT_FALSE(h.add(a[0]).drop);
  h.now = at(milliseconds(30'001));
  ASSERT_FALSE(h.add(b[0]).drop);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u);
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 1u);
  EXPECT_FALSE(h.add(a[1]).datagram);
  EXPECT_FALSE(h.add(a[2]).datagram) << "a's first fragment timed out";
}

TEST(Reassembly, TimeoutRunsFromTheFirstFragmentNotTheLatest) {
  const auto f = linux_fragments(echo_datagram(4000, 0x7301));
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.now = at(seconds(20));
  ASSERT_FALSE(h.add(f[1]).drop);
  h.expire(at(milliseconds(30'001)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
}

TEST(Reassembly, CompletesAtExactlyTheTimeout) {
  const Frame original = echo_datagram(4000, 0x7401);
  const auto f = linux_fragments(original);
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.now = at(seconds(10));
  ASSERT_FALSE(h.add(f[2]).drop);
  h.now = at(seconds(30));
  const auto r = h.add(f[1]);
  ASSERT_TRUE(r.datagram);
  EXPECT_TRUE(same_bytes(*r.datagram, original));
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
}

TEST(Reassembly, TimeoutFollowsTheLimits) {
  Harness h({.max_datagrams = 64, .max_bytes = 4 * 1024 * 1024, .timeout = seconds(5)});
  ASSERT_FALSE(h.add(linux_fragments(echo_datagram(4000, 1))[0]).drop);
  h.expire(at(milliseconds(5'000)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u);
  h.expire(at(milliseconds(5'001)));
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
}

}  // namespace
}  // namespace reassembly_test
