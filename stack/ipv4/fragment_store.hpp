// Fragment reassembly that does not name the IP version (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2; RFC 8200 §4.5
// works the same way): pieces in, whole datagrams out. The IPv4 adapter (ipv4_reassembler.hpp) knows the key and
// the header; IPv6's will reuse this store with its own. After gVisor's network/internal/fragmentation.
//
// A pure data structure, no I/O. Each datagram in progress lives in a slot with one byte buffer, laid out so the
// completed datagram can be handed up, and answered, in place:
//
//   buffer: [ headroom (>= kHeadroom) | header of the offset-0 fragment | payload ... | room (kMinRoom at least) ]
//                                     ^ datagram->data()
//
// The payload always starts at the same place (kPayloadStart, 14 + 60 bytes in), whatever the first fragment's header
// length turns out to be; that header is copied just before the payload when it arrives. Received pieces are kept as a
// sorted list of (offset, length), which is what tells an exact duplicate from an overlap. Slots and their buffers
// are reused from datagram to datagram, so steady-state traffic allocates nothing.
//
// Bounded (RFC 1122 §3.3.2 leaves the limits to the implementation; the defaults are Linux's): at most
// max_datagrams in progress, and at most max_bytes of buffer memory held, in use or kept for reuse. When a new
// datagram or a growing one would exceed a cap, the oldest datagrams (by first arrival) are evicted first.
//
// Counting: add() counts ipReasmReqds for every fragment, ipReasmOKs for every datagram completed and ipReasmFails
// for every datagram given up (RFC 4293's ipSystemStatsReasm*; Ip6Reasm* in an IPv6 store). A drop reported in
// Result::drop is the caller's to count, as the stack does for every frame it drops; drops the caller never sees
// (datagrams evicted to make room, datagrams timed out) are counted here, by reason.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "stack/wire/bytes.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/counters.hpp"
#include "stack/wire/drop_reason.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

struct ReassemblyLimits {
  std::size_t max_datagrams = 64;           // datagrams in progress at once
  std::size_t max_bytes = 4 * 1024 * 1024;  // memory held for datagrams in progress (Linux ipfrag_high_thresh: 4 MiB)
  Duration timeout = std::chrono::seconds(30);  // Linux ipfrag_time; RFC 1122 §3.3.2 says 60 s at most
};

// What tells one datagram's fragments from another's, as the adapter packs it: for IPv4 the source, destination,
// protocol and identification (RFC 791 §3.2); for IPv6 the addresses and the Fragment header's identification.
struct FragmentKey {
  std::array<std::uint8_t, 36> bytes{};
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

// One fragment, as the adapter read it from its header.
struct Fragment {
  FragmentKey key;
  std::size_t offset = 0;  // of `data` within the datagram's payload, in bytes
  Bytes data;              // the fragment's payload
  bool last = false;       // no more fragments follow (IPv4 MF clear, IPv6 M clear)
  Bytes header;            // this fragment's header (IPv4: with options); becomes the datagram's if offset is 0
};

// The counters a store counts in: IP-MIB's ipReasm* for IPv4, Ip6Reasm* for IPv6.
struct ReassemblyCounters {
  Counter requireds = Counter::ipReasmReqds;
  Counter oks = Counter::ipReasmOKs;
  Counter fails = Counter::ipReasmFails;
};

class FragmentStore {
 public:
  // Bytes before a completed datagram the caller may write (an Ethernet header).
  static constexpr std::size_t kHeadroom = 14;
  // The longest header a fragment may carry (an IPv4 header with 40 bytes of options).
  static constexpr std::size_t kMaxHeaderLength = 60;
  // The longest datagram, header included: the 16-bit total length (RFC 791 §3.1). An IPv6 datagram is held to the
  // same bound (40 bytes short of the 65535-byte payload RFC 8200 allows): longer ones are dropped as oversize.
  static constexpr std::size_t kMaxDatagramLength = 65535;
  // Every completed datagram's Result::buffer holds at least kHeadroom + kMinRoom bytes, so a reply of up to 576
  // bytes (an ICMP error never exceeds that, RFC 1812 §4.3.2.3) can be built in place even for a tiny datagram,
  // Ethernet header and padding included.
  static constexpr std::size_t kMinRoom = 576;

  FragmentStore(ReassemblyLimits limits, Counters& counters, ReassemblyCounters names = {});

  struct Result {
    std::optional<MutableBytes> datagram;  // set when this fragment completed a datagram
    std::optional<DropReason> drop;        // set when the fragment (or its whole datagram) was dropped
    // With `datagram`: the whole writable buffer around it, from kHeadroom bytes before datagram->data() to the end
    // of the slot's buffer, at least kHeadroom + max(datagram->size(), kMinRoom) bytes. Empty otherwise.
    MutableBytes buffer;
    std::size_t header_length = 0;  // with `datagram`: the first fragment's header at its start, in bytes

    // With `datagram`: it as a packet buffer, the headroom and room around it writable, for handing up.
    PacketBuffer packet() const { return PacketBuffer(buffer, kHeadroom, datagram->size()); }
  };

  // Adds a fragment of a datagram already addressed to us. With `datagram` set, the header at its start is the
  // first fragment's as received: the adapter rewrites it for the whole datagram. A completed datagram stays valid,
  // and writable, until the next call to add() or expire().
  Result add(const Fragment& fragment, Instant now);
  // Drops datagrams whose first fragment arrived more than limits.timeout ago (counted as reasm_timeout and
  // ipReasmFails each). add() calls it first; the caller may also call it from a timer.
  void expire(Instant now);

  std::size_t datagrams_in_progress() const;
  // Buffer memory held for datagrams in progress; never above limits.max_bytes.
  std::size_t bytes_held() const;
  // bytes_held() plus the buffers of idle slots kept for reuse; never above limits.max_bytes either.
  std::size_t bytes_reserved() const;
  const ReassemblyLimits& limits() const { return limits_; }

 private:
  using Key = FragmentKey;
  struct Piece {  // payload bytes [offset, offset + length) received, as one fragment carried them
    std::uint16_t offset = 0;
    std::uint16_t length = 0;
  };
  struct Slot {
    bool in_use = false;
    Key key;
    std::uint64_t sequence = 0;  // creation order: eviction takes the smallest
    Instant first_arrival;
    std::size_t header_length = 0;              // of the offset-0 fragment; 0 until it arrives
    std::optional<std::size_t> payload_length;  // known once the last fragment (MF clear) arrives
    std::size_t max_end = 0;                    // highest payload offset + length received
    std::size_t received = 0;  // payload bytes received (pieces never overlap, so this is what they cover)
    std::unique_ptr<std::uint8_t[]> buffer;
    std::size_t capacity = 0;   // of `buffer`, exactly as allocated
    std::vector<Piece> pieces;  // sorted by offset, never overlapping

    std::size_t memory() const { return capacity + pieces.capacity() * sizeof(Piece); }
  };

  Slot* find(const Key& key);
  Slot& acquire(const Key& key, Instant now, std::size_t needed);  // a slot for a new datagram
  // Makes the buffer of `slot` hold at least `needed` bytes and its piece list one more piece, within max_bytes,
  // evicting other datagrams if need be. False if `slot` cannot fit even alone.
  bool reserve(Slot& slot, std::size_t needed, std::size_t wanted);
  void give_up(Slot& slot);                   // ends a datagram that failed: ipReasmFails
  void evict(Slot& slot, DropReason reason);  // give_up, and count the reason (the caller never sees it)
  static void release(Slot& slot);            // frees the slot's memory
  Slot* oldest_in_use(const Slot* except);
  Result fail(Slot* slot, DropReason reason);           // drops the fragment, and its datagram with it if there is one
  static Result only_the_fragment(DropReason reason) {  // drops the fragment alone; its datagram goes on
    return Result{.datagram = std::nullopt, .drop = reason, .buffer = {}, .header_length = 0};
  }
  // Where a piece [offset, offset + length) goes among the slot's pieces (`position`), or why it cannot: an exact
  // duplicate, an overlap, or a conflict with the end the last fragment fixed.
  static std::optional<DropReason> place(const Slot& slot, std::size_t offset, std::size_t length, bool last,
                                         std::size_t& position);
  MutableBytes complete(Slot& slot);

  ReassemblyLimits limits_;
  Counters& counters_;
  ReassemblyCounters names_;
  std::vector<Slot> slots_;  // grows to at most limits_.max_datagrams
  std::uint64_t next_sequence_ = 1;
};

}  // namespace ministack
