// The reassembly cap is exact (issue 9): the input a fuzzer found, ten IPv4 fragments on TUN with limits of
// 3 datagrams and 20,000 bytes, that once left 20,010 bytes reserved. A datagram's buffer, grown by doubling, was
// larger than needed when its piece list had to grow near the cap, and the extra memory, computed as
// `needed - capacity` on unsigned values, wrapped, so both cap checks passed. Every cap is checked after every frame.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "frame_feeder.hpp"
#include "stack/stack.hpp"

namespace {

using ministack::Instant;
using ministack::LinkLayer;
using ministack::StackConfig;
using ministack::StackUsage;
using ministack::testing::FrameFeeder;

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

::testing::AssertionResult within_caps(const StackUsage& usage) {
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  usage.for_each([&result](std::string_view name, const ministack::Bounded& b) {
    if (!b.within()) result = ::testing::AssertionFailure() << name << ": " << b.used << " over the cap of " << b.cap;
  });
  return result;
}

TEST(ReassemblyCap, FuzzerReproducerStaysWithinMaxBytesAfterEveryFrame) {
  // Ten 8-byte fragments from 10.0.0.1 (id 1; offsets 0, 0x7d, 0xfa, 0x1f4, 1, 2, 3, 4, 5, MF set) and one from
  // 10.0.0.2 (id 2, offset 0x725), all to us, all at the same instant.
  constexpr std::string_view kFragments[] = {
      "4500001c0001200040018d2b0a000001c0a8030c0000000000000000",
      "4500001c0001207d40018cae0a000001c0a8030c0000000000000000",
      "4500001c000120fa40018c310a000001c0a8030c0000000000000000",
      "4500001c000121f440018b370a000001c0a8030c0000000000000000",
      "4500001c0001200140018d2a0a000001c0a8030c0000000000000000",
      "4500001c0001200240018d290a000001c0a8030c0000000000000000",
      "4500001c0001200340018d280a000001c0a8030c0000000000000000",
      "4500001c0001200440018d270a000001c0a8030c0000000000000000",
      "4500001c00022725400186040a000002c0a8030c0000000000000000",
      "4500001c0001200540018d260a000001c0a8030c0000000000000000",
  };
  StackConfig config;
  config.link = LinkLayer::ip;
  config.reassembly.max_datagrams = 3;
  config.reassembly.max_bytes = 20'000;
  FrameFeeder feeder(config);
  const Instant now{};
  std::size_t held = 0;
  for (std::size_t i = 0; i < std::size(kFragments); ++i) {
    const auto& f = feeder.feed(from_hex(kFragments[i]), now);
    EXPECT_FALSE(f.drop) << "fragment " << i << " dropped: the cap must be kept by evicting, not by refusing";
    held += f.verdict.outcome == ministack::Outcome::held ? 1 : 0;
    ASSERT_TRUE(within_caps(feeder.stack().usage())) << "after fragment " << i;
  }
  EXPECT_EQ(held, std::size(kFragments)) << "every fragment was kept";
  // The last fragment grows id 1's piece list past 8 pieces with id 2's 14.7 kB buffer held: id 2, the oldest other
  // datagram, makes room, and id 1 goes on.
  EXPECT_EQ(feeder.stack().usage().reassembly_datagrams.used, 1u);
  EXPECT_EQ(feeder.stack().counters().get(ministack::DropReason::reasm_evicted), 1u);
}

}  // namespace
