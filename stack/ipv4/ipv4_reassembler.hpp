// IPv4's side of reassembly (RFC 791 §3.2): the key a fragment is filed under, and the header of the completed
// datagram. Pieces, caps, eviction and timeouts are the version-neutral FragmentStore's.
#pragma once

#include <cstddef>

#include "stack/ipv4/fragment_store.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/counters.hpp"
#include "stack/wire/ipv4.hpp"

namespace ministack {

class Ipv4Reassembler {
 public:
  static constexpr std::size_t kHeadroom = FragmentStore::kHeadroom;
  static constexpr std::size_t kMinRoom = FragmentStore::kMinRoom;
  using Result = FragmentStore::Result;

  Ipv4Reassembler(ReassemblyLimits limits, Counters& counters) : store_(limits, counters) {}

  // `fragment` is a parsed, checksum-verified fragment (MF set or offset != 0) already addressed to us. A completed
  // datagram carries the first fragment's header with the whole datagram's total length, MF and offset cleared and
  // a new checksum; it stays valid, and writable, until the next call to add() or expire().
  Result add(const Ipv4View& fragment, Instant now);
  void expire(Instant now) { store_.expire(now); }

  std::size_t datagrams_in_progress() const { return store_.datagrams_in_progress(); }
  std::size_t bytes_held() const { return store_.bytes_held(); }
  std::size_t bytes_reserved() const { return store_.bytes_reserved(); }
  const ReassemblyLimits& limits() const { return store_.limits(); }

 private:
  FragmentStore store_;
};

}  // namespace ministack
