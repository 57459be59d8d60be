#include "neighbor_cache.hpp"

#include <algorithm>

namespace ministack {

NeighborCache::Entry* NeighborCache::find(Ipv4Address ip) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [ip](const Entry& e) { return e.stamp && e.ip == ip; });
  return it == entries_.end() ? nullptr : &*it;
}

std::optional<MacAddress> NeighborCache::lookup(Ipv4Address ip) const {
  for (const Entry& e : entries_) {
    if (e.stamp && e.ip == ip) return e.mac;
  }
  return std::nullopt;
}

bool NeighborCache::update(Ipv4Address ip, const MacAddress& mac) {
  Entry* e = find(ip);
  if (!e) return false;
  e->mac = mac;
  return true;
}

void NeighborCache::insert(Ipv4Address ip, const MacAddress& mac) {
  if (update(ip, mac)) return;
  // A free slot has stamp 0, so the minimum is a free slot if any, else the oldest entry.
  Entry& slot = *std::min_element(entries_.begin(), entries_.end(),
                                  [](const Entry& a, const Entry& b) { return a.stamp < b.stamp; });
  slot = Entry{ip, mac, next_stamp_++};
}

std::size_t NeighborCache::size() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.stamp != 0; }));
}

}  // namespace ministack
