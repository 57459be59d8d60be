#include "stack/link/neighbor_cache.hpp"

#include <algorithm>

namespace ministack {

NeighborCache::NeighborCache(NeighborLimits limits)
    : limits_(limits), entries_(limits.capacity), pending_(limits.queue_packets), resolutions_(limits.queue_packets) {}

namespace {
// One search for both constnesses of find().
template <class Entries>
auto find_entry(Entries& entries, const IpAddress& ip) -> decltype(&entries.front()) {
  auto it = std::find_if(entries.begin(), entries.end(), [&ip](const auto& e) { return e.in_use && e.ip == ip; });
  return it == entries.end() ? nullptr : &*it;
}
}  // namespace

NeighborCache::Entry* NeighborCache::find(IpAddress ip) { return find_entry(entries_, ip); }

const NeighborCache::Entry* NeighborCache::find(IpAddress ip) const { return find_entry(entries_, ip); }

std::optional<MacAddress> NeighborCache::lookup(IpAddress ip) const {
  const Entry* e = find(ip);
  return e ? std::optional{e->mac} : std::nullopt;
}

std::optional<MacAddress> NeighborCache::lookup_fresh(IpAddress ip, Instant now) const {
  const Entry* e = find(ip);
  if (!e || now - e->confirmed > limits_.stale_after) return std::nullopt;
  return e->mac;
}

bool NeighborCache::update(IpAddress ip, const MacAddress& mac, Instant now) {
  Entry* e = find(ip);
  if (!e) return false;
  e->mac = mac;
  e->confirmed = now;
  e->order = next_order_++;
  return true;
}

void NeighborCache::insert(IpAddress ip, const MacAddress& mac, Instant now) {
  if (update(ip, mac, now) || entries_.empty()) return;
  // A free slot if there is one, else the entry confirmed longest ago.
  Entry& slot = *std::min_element(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.in_use != b.in_use) return !a.in_use;
    return a.confirmed != b.confirmed ? a.confirmed < b.confirmed : a.order < b.order;
  });
  slot = Entry{ip, mac, now, next_order_++, true};
}

bool NeighborCache::resolving(IpAddress ip) const {
  return std::any_of(resolutions_.begin(), resolutions_.end(),
                     [&ip](const Resolution& r) { return r.in_use && r.ip == ip; });
}

std::vector<NeighborRow> NeighborCache::snapshot(Instant now) const {
  std::vector<NeighborRow> rows;
  for (const Entry& e : entries_) {
    if (!e.in_use) continue;
    const Duration age = now - e.confirmed;
    rows.push_back(
        {e.ip, e.mac, age > limits_.stale_after ? NeighborRow::State::stale : NeighborRow::State::reachable, age});
  }
  for (const Resolution& r : resolutions_) {
    if (r.in_use && !find(r.ip))
      rows.push_back({r.ip, std::nullopt, NeighborRow::State::incomplete, now - r.last_request});
  }
  return rows;
}

std::size_t NeighborCache::size() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.in_use; }));
}

NeighborCache::Queued NeighborCache::enqueue(IpAddress ip, Bytes datagram, Instant now) {
  auto free_slot = std::find_if(pending_.begin(), pending_.end(), [](const Pending& p) { return !p.in_use; });
  if (free_slot == pending_.end() || pending_bytes_ + datagram.size() > limits_.queue_bytes) return Queued::full;
  free_slot->next_hop = ip;
  free_slot->datagram.assign(kHeadroom, 0);
  free_slot->datagram.insert(free_slot->datagram.end(), datagram.begin(), datagram.end());
  free_slot->in_use = true;
  pending_bytes_ += datagram.size();

  const bool resolving = std::any_of(resolutions_.begin(), resolutions_.end(),
                                     [ip](const Resolution& r) { return r.in_use && r.ip == ip; });
  if (resolving) return Queued::behind_others;
  // There are as many resolution slots as queue slots, so one is free whenever a queue slot was.
  auto r = std::find_if(resolutions_.begin(), resolutions_.end(), [](const Resolution& x) { return !x.in_use; });
  *r = Resolution{ip, now, 1, true};
  return Queued::first_for_destination;
}

std::optional<IpAddress> NeighborCache::due_request(Instant now, std::size_t& dropped) {
  for (Resolution& r : resolutions_) {
    if (!r.in_use || now - r.last_request < limits_.retry_interval) continue;
    if (r.requests < limits_.max_requests) {
      ++r.requests;
      r.last_request = now;
      return r.ip;
    }
    // Out of requests: give up on this destination and drop what waited for it.
    const IpAddress ip = r.ip;
    release(ip, [&dropped](MutableBytes) { ++dropped; });
  }
  return std::nullopt;
}

std::size_t NeighborCache::pending_packets() const {
  return static_cast<std::size_t>(
      std::count_if(pending_.begin(), pending_.end(), [](const Pending& p) { return p.in_use; }));
}

void NeighborCache::free_pending(Pending& p) {
  pending_bytes_ -= p.datagram.size() - kHeadroom;
  p.in_use = false;
  p.datagram.clear();  // keeps its capacity: the slot is reused without allocating
}

void NeighborCache::forget_resolution(IpAddress ip) {
  for (Resolution& r : resolutions_) {
    if (r.in_use && r.ip == ip) r.in_use = false;
  }
}

}  // namespace ministack
