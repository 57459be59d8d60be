#include "stack/ipv4/fragment_store.hpp"

#include <algorithm>
#include <cassert>

namespace ministack {

namespace {

constexpr std::size_t kMaxHeaderLength = FragmentStore::kMaxHeaderLength;
constexpr std::size_t kMaxDatagramLength = FragmentStore::kMaxDatagramLength;
constexpr std::size_t kMinHeaderLength = 20;  // the shortest header (IPv4 without options)
// Where every slot's payload starts: room for the longest header, and the caller's headroom before it.
constexpr std::size_t kPayloadStart = FragmentStore::kHeadroom + kMaxHeaderLength;
constexpr std::size_t kMaxBufferSize = kPayloadStart + kMaxDatagramLength - kMinHeaderLength;
constexpr std::size_t kInitialPieces = 8;

}  // namespace

FragmentStore::FragmentStore(ReassemblyLimits limits, Counters& counters, ReassemblyCounters names)
    : limits_(limits), counters_(counters), names_(names) {}

std::size_t FragmentStore::datagrams_in_progress() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.in_use; }));
}

std::size_t FragmentStore::bytes_held() const {
  std::size_t n = 0;
  for (const Slot& s : slots_) n += s.in_use ? s.memory() : 0;
  return n;
}

std::size_t FragmentStore::bytes_reserved() const {
  std::size_t n = 0;
  for (const Slot& s : slots_) n += s.memory();
  return n;
}

FragmentStore::Slot* FragmentStore::find(const Key& key) {
  auto it = std::find_if(slots_.begin(), slots_.end(), [&key](const Slot& s) { return s.in_use && s.key == key; });
  return it == slots_.end() ? nullptr : &*it;
}

FragmentStore::Slot* FragmentStore::oldest_in_use(const Slot* except) {
  Slot* oldest = nullptr;
  for (Slot& s : slots_) {
    if (s.in_use && &s != except && (!oldest || s.sequence < oldest->sequence)) oldest = &s;
  }
  return oldest;
}

void FragmentStore::give_up(Slot& slot) {
  slot.in_use = false;  // the buffer stays, for the next datagram
  counters_.count(names_.fails);
}

void FragmentStore::evict(Slot& slot, DropReason reason) {
  give_up(slot);
  counters_.count(reason);
}

void FragmentStore::release(Slot& slot) {
  slot.buffer.reset();
  slot.capacity = 0;
  std::vector<Piece>().swap(slot.pieces);  // clear(), or assigning {}, would keep the capacity
}

FragmentStore::Result FragmentStore::fail(Slot* slot, DropReason reason) {
  if (slot) {
    give_up(*slot);
  } else {
    counters_.count(names_.fails);  // a datagram condemned by its first fragment to arrive
  }
  return Result{.datagram = std::nullopt, .drop = reason, .buffer = {}, .header_length = 0};
}

void FragmentStore::expire(Instant now) {
  // RFC 1122 §3.3.2: a datagram not completed within the timeout is discarded. The clock starts at the first
  // fragment and later fragments do not restart it (as in Linux), so a trickle cannot hold memory forever.
  for (Slot& s : slots_) {
    if (s.in_use && now - s.first_arrival > limits_.timeout) evict(s, DropReason::reasm_timeout);
  }
}

FragmentStore::Slot& FragmentStore::acquire(const Key& key, Instant now, std::size_t needed) {
  Slot* slot = nullptr;
  if (datagrams_in_progress() >= limits_.max_datagrams) {
    slot = oldest_in_use(nullptr);
    evict(*slot, DropReason::reasm_evicted);
  } else {
    // An idle slot whose buffer is the smallest that is big enough, else the biggest: steady traffic then reuses
    // buffers instead of allocating.
    const auto better = [needed](const Slot& a, const Slot& b) {
      const bool a_fits = a.capacity >= needed;
      const bool b_fits = b.capacity >= needed;
      if (a_fits != b_fits) return a_fits;
      return a_fits ? a.capacity < b.capacity : a.capacity > b.capacity;
    };
    for (Slot& s : slots_) {
      if (!s.in_use && (!slot || better(s, *slot))) slot = &s;
    }
    if (!slot) slot = &slots_.emplace_back();
  }
  slot->in_use = true;
  slot->key = key;
  slot->sequence = next_sequence_++;
  slot->first_arrival = now;
  slot->header_length = 0;
  slot->payload_length.reset();
  slot->max_end = 0;
  slot->received = 0;
  slot->pieces.clear();
  return *slot;
}

bool FragmentStore::reserve(Slot& slot, std::size_t needed, std::size_t wanted) {
  // The slot's memory after growing, computed whole rather than as a difference: the buffer never shrinks and the
  // piece list never gives back capacity, so every size here is at least the current one and nothing is subtracted
  // that could wrap (issue 9: `needed - capacity` wrapped when the buffer was already larger than needed).
  const std::size_t piece_capacity = slot.pieces.capacity();
  const std::size_t new_piece_capacity =
      slot.pieces.size() < piece_capacity ? piece_capacity : std::max(kInitialPieces, 2 * piece_capacity);
  const auto memory_with = [&](std::size_t buffer_size) { return buffer_size + new_piece_capacity * sizeof(Piece); };
  const std::size_t held_by_others = bytes_reserved() - slot.memory();  // slot.memory() is one of its terms
  const auto fits = [&](std::size_t buffer_size) {
    return held_by_others + memory_with(buffer_size) <= limits_.max_bytes;
  };

  std::size_t buffer_size = std::max(slot.capacity, needed);
  // Grow geometrically only while that costs nobody their datagram; under pressure, take exactly what is needed.
  if (slot.capacity < needed && wanted > needed && fits(wanted)) buffer_size = wanted;
  const std::size_t memory = memory_with(buffer_size);
  if (memory == slot.memory()) return true;
  if (memory > limits_.max_bytes) return false;  // could not fit even alone

  // Make room: first the idle buffers kept for reuse, then the oldest datagrams in progress.
  if (!fits(buffer_size)) {
    for (Slot& s : slots_) {
      if (!s.in_use) release(s);
    }
  }
  while (bytes_reserved() - slot.memory() + memory > limits_.max_bytes) {
    Slot* victim = oldest_in_use(&slot);
    assert(victim);  // `slot` alone fits, checked above
    evict(*victim, DropReason::reasm_evicted);
    release(*victim);
  }

  if (buffer_size > slot.capacity) {
    auto buffer = std::make_unique_for_overwrite<std::uint8_t[]>(buffer_size);
    if (slot.capacity > 0) std::copy_n(slot.buffer.get(), slot.capacity, buffer.get());
    slot.buffer = std::move(buffer);
    slot.capacity = buffer_size;
  }
  slot.pieces.reserve(new_piece_capacity);  // allocates exactly this much in libstdc++ and libc++
  assert(slot.memory() == memory && bytes_reserved() <= limits_.max_bytes);
  return true;
}

MutableBytes FragmentStore::complete(Slot& slot) {
  const std::size_t header_length = slot.header_length;
  const std::size_t length = header_length + *slot.payload_length;
  const MutableBytes datagram =
      MutableBytes{slot.buffer.get(), slot.capacity}.subspan(kPayloadStart - header_length, length);
  slot.in_use = false;  // the buffer stays valid until the next add() or expire()
  counters_.count(names_.oks);
  return datagram;
}

std::optional<DropReason> FragmentStore::place(const Slot& slot, std::size_t offset, std::size_t length, bool last,
                                               std::size_t& position) {
  const std::size_t end = offset + length;
  const std::vector<Piece>& pieces = slot.pieces;
  const auto next = std::lower_bound(pieces.begin(), pieces.end(), offset,
                                     [](const Piece& p, std::size_t o) { return p.offset < o; });
  position = static_cast<std::size_t>(next - pieces.begin());
  // A fragment may "duplicate existing fragments" (RFC 815 §1), e.g. a packet duplicated in the network; an exact
  // duplicate carries nothing new and is ignored.
  if (next != pieces.end() && next->offset == offset && next->length == length) return DropReason::reasm_duplicate;
  // Any other overlap condemns the whole datagram: RFC 5722 §4's rule for IPv6, which Linux applies to IPv4 too
  // since 4.19 (overlapping fragments are how IDS evasion and "teardrop" attacks work). Stricter than Linux in one
  // respect: a fragment lying inside a run of pieces but not matching one exactly is an overlap here.
  const bool overlaps_next = next != pieces.end() && next->offset < end;
  const bool overlaps_previous = next != pieces.begin() &&
                                 std::size_t{std::prev(next)->offset} + std::prev(next)->length > offset;
  if (overlaps_next || overlaps_previous) return DropReason::reasm_overlap;
  // The last fragment fixes the end (RFC 791 §3.2): a second one elsewhere, or data past the end, contradicts it.
  const bool contradicts_end = slot.payload_length ? (last ? end != *slot.payload_length : end > *slot.payload_length)
                                                   : (last && slot.max_end > end);
  if (contradicts_end) return DropReason::reasm_conflict;
  return std::nullopt;
}

FragmentStore::Result FragmentStore::add(const Fragment& fragment, Instant now) {
  counters_.count(names_.requireds);
  expire(now);

  const Bytes payload = fragment.data;
  const std::size_t header_length = fragment.header.size();
  const std::size_t offset = fragment.offset;
  const std::size_t length = payload.size();
  const std::size_t end = offset + length;
  const bool last = fragment.last;
  Slot* slot = find(fragment.key);

  // RFC 791 §3.2: every fragment but the last carries a multiple of 8 octets. A fragment without data carries
  // nothing to reassemble (Linux drops those too). The fragment alone is dropped; its datagram goes on.
  if (length == 0 || (!last && length % 8 != 0)) {
    return only_the_fragment(DropReason::reasm_bad_length);
  }

  // RFC 791 §3.1: the total length is 16 bits, so no datagram can reach past 65535 bytes, header included, with
  // the header that of the offset-0 fragment once it is known ("ping of death").
  const std::size_t first_header_length =
      offset == 0 ? header_length : (slot && slot->header_length != 0 ? slot->header_length : header_length);
  const std::size_t max_end = std::max(end, slot ? slot->max_end : 0);
  if (first_header_length + max_end > kMaxDatagramLength) return fail(slot, DropReason::reasm_oversize);

  std::size_t position = 0;  // where the new piece goes in slot->pieces
  if (slot) {
    const auto misfit = place(*slot, offset, length, last, position);
    // A duplicate alone is dropped; an overlap or a conflict takes its whole datagram with it.
    if (misfit == DropReason::reasm_duplicate) return only_the_fragment(*misfit);
    if (misfit) return fail(slot, *misfit);
  }

  // The buffer must reach the end of this piece, or the end of the datagram if known, and leave kMinRoom.
  const std::optional<std::size_t> payload_length = last ? std::optional{end}
                                                         : (slot ? slot->payload_length : std::nullopt);
  const std::size_t needed = kPayloadStart + std::max(payload_length.value_or(max_end), kMinRoom);
  if (!slot) {
    if (limits_.max_datagrams == 0 || needed + kInitialPieces * sizeof(Piece) > limits_.max_bytes) {
      return fail(nullptr, DropReason::reasm_evicted);  // could never fit
    }
    slot = &acquire(fragment.key, now, needed);
  }
  // Growing by doubling keeps in-order arrival from reallocating per fragment; a known length is allocated exactly.
  const std::size_t wanted = payload_length ? needed : std::clamp(2 * slot->capacity, needed, kMaxBufferSize);
  if (!reserve(*slot, needed, wanted)) return fail(slot, DropReason::reasm_evicted);

  const MutableBytes buffer{slot->buffer.get(), slot->capacity};
  assert(kPayloadStart + end <= buffer.size());
  std::copy(payload.begin(), payload.end(), buffer.subspan(kPayloadStart + offset, length).begin());
  if (offset == 0) {  // RFC 791 §3.2: the header of the first fragment becomes the datagram's
    const Bytes header = fragment.header;
    std::copy(header.begin(), header.end(), buffer.subspan(kPayloadStart - header_length, header_length).begin());
    slot->header_length = header_length;
  }
  slot->pieces.insert(slot->pieces.begin() + static_cast<std::ptrdiff_t>(position),
                      Piece{static_cast<std::uint16_t>(offset), static_cast<std::uint16_t>(length)});
  slot->received += length;
  slot->max_end = max_end;
  slot->payload_length = payload_length;

  // Pieces never overlap and none lies past the end, so having received as many bytes as the datagram holds
  // means every hole is filled (RFC 815's "hole descriptor list" is empty).
  if (slot->header_length == 0 || !slot->payload_length || slot->received != *slot->payload_length) return {};
  const MutableBytes datagram = complete(*slot);
  return Result{.datagram = datagram,
                .drop = std::nullopt,
                .buffer = buffer.subspan(kPayloadStart - slot->header_length - kHeadroom),
                .header_length = slot->header_length};
}

}  // namespace ministack
