// The ARP table: IPv4 address -> MAC, learned from ARP requests (RFC 826 "Packet Reception").
// Fixed capacity and no heap use after construction: a full table replaces its oldest entry.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "address.hpp"

namespace ministack {

class NeighborCache {
 public:
  static constexpr std::size_t kCapacity = 64;

  std::optional<MacAddress> lookup(Ipv4Address ip) const;
  // RFC 826's merge step: refreshes the entry for `ip` if there is one; returns whether there was.
  bool update(Ipv4Address ip, const MacAddress& mac);
  // Adds or refreshes the entry, evicting the oldest when the table is full.
  void insert(Ipv4Address ip, const MacAddress& mac);
  std::size_t size() const;

 private:
  struct Entry {
    Ipv4Address ip;
    MacAddress mac;
    std::uint64_t stamp = 0;  // 0 = free slot; otherwise insertion order, for eviction
  };
  Entry* find(Ipv4Address ip);
  std::array<Entry, kCapacity> entries_{};
  std::uint64_t next_stamp_ = 1;
};

}  // namespace ministack
