// The ARP table: insert, lookup, RFC 826's merge (update), and eviction when full.
#include "stack/link/neighbor_cache.hpp"

#include <gtest/gtest.h>

#include "packets.hpp"

namespace {

using ministack::Ipv4Address;
using ministack::MacAddress;
using ministack::NeighborCache;

Ipv4Address host(std::size_t n) { return Ipv4Address{0x0a000000u + static_cast<std::uint32_t>(n)}; }  // 10.0.x.y
MacAddress mac(std::size_t n) {
  return MacAddress{{0x02, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)}};
}

TEST(NeighborCache, StartsEmpty) {
  const NeighborCache cache;
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.lookup(packets::kPeerIp));
  EXPECT_FALSE(cache.lookup(Ipv4Address{0})) << "free slots must not look like an entry for 0.0.0.0";
}

TEST(NeighborCache, InsertThenLookup) {
  NeighborCache cache;
  cache.insert(packets::kPeerIp, packets::kPeerMac);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.lookup(packets::kPeerIp), packets::kPeerMac);
  EXPECT_FALSE(cache.lookup(packets::kOurIp));
}

TEST(NeighborCache, KeepsEntriesApart) {
  NeighborCache cache;
  for (std::size_t i = 1; i <= 10; ++i) cache.insert(host(i), mac(i));
  EXPECT_EQ(cache.size(), 10u);
  for (std::size_t i = 1; i <= 10; ++i) EXPECT_EQ(cache.lookup(host(i)), mac(i)) << i;
  EXPECT_FALSE(cache.lookup(host(11)));
}

TEST(NeighborCache, InsertOfAKnownAddressRefreshesItsMac) {
  NeighborCache cache;
  cache.insert(packets::kPeerIp, mac(1));
  cache.insert(packets::kPeerIp, mac(2));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.lookup(packets::kPeerIp), mac(2));
}

// RFC 826: "If the pair <protocol type, sender protocol address> is already in my translation table, update the
// sender hardware address field of the entry with the new information ... and set Merge_flag to true."
TEST(NeighborCache, UpdateOfAKnownAddressReturnsTrue) {
  NeighborCache cache;
  cache.insert(packets::kPeerIp, mac(1));
  EXPECT_TRUE(cache.update(packets::kPeerIp, mac(2)));
  EXPECT_EQ(cache.lookup(packets::kPeerIp), mac(2));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(NeighborCache, UpdateOfAnUnknownAddressReturnsFalseAndAddsNothing) {
  NeighborCache cache;
  EXPECT_FALSE(cache.update(packets::kPeerIp, packets::kPeerMac));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.lookup(packets::kPeerIp));

  cache.insert(host(1), mac(1));
  EXPECT_FALSE(cache.update(host(2), mac(2)));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.lookup(host(1)), mac(1)) << "the other entry is untouched";
}

TEST(NeighborCache, FillsToCapacity) {
  NeighborCache cache;
  for (std::size_t i = 0; i < NeighborCache::kCapacity; ++i) cache.insert(host(i + 1), mac(i + 1));
  EXPECT_EQ(cache.size(), NeighborCache::kCapacity);
  for (std::size_t i = 0; i < NeighborCache::kCapacity; ++i) EXPECT_EQ(cache.lookup(host(i + 1)), mac(i + 1)) << i;
}

TEST(NeighborCache, AFullTableEvictsTheOldestEntry) {
  NeighborCache cache;
  const std::size_t n = NeighborCache::kCapacity;
  for (std::size_t i = 1; i <= n; ++i) cache.insert(host(i), mac(i));

  cache.insert(host(n + 1), mac(n + 1));
  EXPECT_EQ(cache.size(), n);
  EXPECT_FALSE(cache.lookup(host(1))) << "the first inserted goes first";
  EXPECT_EQ(cache.lookup(host(n + 1)), mac(n + 1));
  for (std::size_t i = 2; i <= n; ++i) EXPECT_EQ(cache.lookup(host(i)), mac(i)) << i;

  cache.insert(host(n + 2), mac(n + 2));
  EXPECT_EQ(cache.size(), n);
  EXPECT_FALSE(cache.lookup(host(2))) << "then the second";
  EXPECT_EQ(cache.lookup(host(3)), mac(3));
  EXPECT_EQ(cache.lookup(host(n + 1)), mac(n + 1)) << "the newest entries stay";
  EXPECT_EQ(cache.lookup(host(n + 2)), mac(n + 2));
}

TEST(NeighborCache, RefreshingAFullTableEvictsNothing) {
  NeighborCache cache;
  const std::size_t n = NeighborCache::kCapacity;
  for (std::size_t i = 1; i <= n; ++i) cache.insert(host(i), mac(i));
  for (std::size_t i = 1; i <= n; ++i) cache.insert(host(i), mac(i + 1000));
  EXPECT_EQ(cache.size(), n);
  for (std::size_t i = 1; i <= n; ++i) EXPECT_EQ(cache.lookup(host(i)), mac(i + 1000)) << i;
}

TEST(NeighborCache, ManyEvictionsKeepTheNewestCapacityEntries) {
  NeighborCache cache;
  const std::size_t total = NeighborCache::kCapacity * 5 + 3;
  for (std::size_t i = 1; i <= total; ++i) cache.insert(host(i), mac(i));
  EXPECT_EQ(cache.size(), NeighborCache::kCapacity);
  for (std::size_t i = 1; i <= total; ++i) {
    const bool newest = i > total - NeighborCache::kCapacity;
    EXPECT_EQ(cache.lookup(host(i)).has_value(), newest) << i;
  }
}

}  // namespace
