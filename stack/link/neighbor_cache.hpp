// The neighbor cache: IP address -> MAC, learned from ARP (RFC 826 "Packet Reception") and IPv6 neighbor discovery
// (RFC 4861 §7.3, its states reduced to fresh or stale, as a host that mostly answers needs), aged, capped in size;
// plus the datagrams we originate that wait for an address to resolve (RFC 1122 §2.3.2.2).
// Fixed capacity and no heap use per packet: a full table replaces its least recently confirmed entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/wire/bytes.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/ip.hpp"

namespace ministack {

struct NeighborLimits {
  std::size_t capacity = 64;
  // An entry not confirmed for this long is resolved again before it is used (Linux: gc_stale_time, 60 s).
  Duration stale_after = std::chrono::seconds(60);
  // Datagrams waiting for resolution, all destinations together (RFC 1122 §2.3.2.2: "SHOULD save (at least one)").
  std::size_t queue_packets = 16;
  std::size_t queue_bytes = 256 * 1024;
  // ARP requests per resolution and the wait between them (Linux: mcast_solicit 3, retrans_time 1 s).
  std::uint32_t max_requests = 3;
  Duration retry_interval = std::chrono::seconds(1);
};

// One row of NeighborCache::snapshot(), in the words of `ip neigh`: REACHABLE (confirmed within stale_after),
// STALE (older: resolved again before use) or INCOMPLETE (being resolved, no MAC yet).
struct NeighborRow {
  enum class State { reachable, stale, incomplete };
  IpAddress ip;
  std::optional<MacAddress> mac;  // none while INCOMPLETE
  State state = State::incomplete;
  Duration age{0};  // since last confirmed, or since the last request while INCOMPLETE
};

class NeighborCache {
 public:
  static constexpr std::size_t kCapacity = NeighborLimits{}.capacity;

  explicit NeighborCache(NeighborLimits limits = {});

  std::optional<MacAddress> lookup(IpAddress ip) const;  // whatever its age
  std::optional<MacAddress> lookup_fresh(IpAddress ip, Instant now) const;
  // RFC 826's merge step: refreshes the entry for `ip` if there is one; returns whether there was.
  bool update(IpAddress ip, const MacAddress& mac, Instant now = {});
  // Adds or refreshes the entry, evicting the least recently confirmed when the table is full.
  void insert(IpAddress ip, const MacAddress& mac, Instant now = {});
  std::size_t size() const;
  // Every entry and every resolution under way, as seen at `now`, entries first (for SIGUSR1's dump).
  std::vector<NeighborRow> snapshot(Instant now) const;

  // --- datagrams waiting for resolution ---
  enum class Queued { first_for_destination, behind_others, full };
  // Copies `datagram` (an IP datagram for next hop `ip`) into the queue.
  Queued enqueue(IpAddress ip, Bytes datagram, Instant now);
  // Writable bytes kept in front of each queued datagram, for the link header it is sent with.
  static constexpr std::size_t kHeadroom = 14;
  // Calls fn(buffer) for every datagram waiting for `ip`, in order, and forgets them; the datagram starts at
  // buffer[kHeadroom].
  template <class Fn>
  void release(IpAddress ip, Fn&& fn) {
    for (Pending& p : pending_) {
      if (p.in_use && p.next_hop == ip) {
        fn(MutableBytes{p.datagram});
        free_pending(p);
      }
    }
    forget_resolution(ip);
  }
  // Timers: returns an address due for another ARP request, if any (call until nullopt); datagrams whose
  // resolution ran out of requests are dropped, and `dropped` counts them.
  std::optional<IpAddress> due_request(Instant now, std::size_t& dropped);
  // Whether a resolution of `ip` is under way (requests sent, packets waiting).
  bool resolving(IpAddress ip) const;
  std::size_t pending_packets() const;
  std::size_t pending_bytes() const { return pending_bytes_; }  // datagram bytes, without headroom
  const NeighborLimits& limits() const { return limits_; }

 private:
  struct Entry {
    IpAddress ip;
    MacAddress mac;
    Instant confirmed;
    std::uint64_t order = 0;  // when last confirmed, as a sequence: breaks ties between equal instants
    bool in_use = false;
  };
  struct Pending {
    IpAddress next_hop;
    std::vector<std::uint8_t> datagram;
    bool in_use = false;
  };
  struct Resolution {
    IpAddress ip;
    Instant last_request;
    std::uint32_t requests = 0;
    bool in_use = false;
  };
  Entry* find(IpAddress ip);
  const Entry* find(IpAddress ip) const;
  void free_pending(Pending& p);
  void forget_resolution(IpAddress ip);

  NeighborLimits limits_;
  std::vector<Entry> entries_;
  std::vector<Pending> pending_;
  std::vector<Resolution> resolutions_;
  std::size_t pending_bytes_ = 0;
  std::uint64_t next_order_ = 1;
};

}  // namespace ministack
