#include "stack/ipv4/ipv4_options.hpp"

#include <algorithm>
#include <cassert>

namespace ministack {

namespace {

// One option of a checked list: its type and its bytes (type, length, data).
struct Option {
  std::uint8_t type;
  Bytes bytes;
};

// Walks the list up to EOL, calling visit(option) for every option longer than one byte; stops early, returning
// false, at the first option whose length byte is missing, below 2 or past the area (RFC 791 §3.1), or when
// visit returns false.
template <class Visit>
bool for_each_option(Bytes options, Visit visit) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == ipv4_option::end_of_list) return true;
    if (type == ipv4_option::no_operation) {
      ++i;
      continue;
    }
    if (options.size() - i < 2) return false;
    const std::size_t length = options[i + 1];
    if (length < 2 || length > options.size() - i) return false;
    if (!visit(Option{type, options.subspan(i, length)})) return false;
    i += length;
  }
  return true;
}

// The checks of one option, given its bytes (length already within the area). RFC 791 §3.1 for the layouts; the
// rules are those of Linux's ip_options_compile() (and ip_options_rcv_srr() for a source route's pointer).
bool option_is_valid(const Option& option, bool& seen_rr, bool& seen_ts, bool& seen_source_route) {
  const Bytes o = option.bytes;
  const std::size_t length = o.size();
  switch (option.type) {
    case ipv4_option::loose_source_route:
    case ipv4_option::strict_source_route:
    case ipv4_option::record_route: {
      bool& seen = option.type == ipv4_option::record_route ? seen_rr : seen_source_route;
      if (seen || length < 3) return false;
      seen = true;
      const std::size_t pointer = o[2];
      if (pointer < 4) return false;
      // Room left, but not a whole 4-byte slot.
      return pointer > length || pointer + 3 <= length;
    }
    case ipv4_option::timestamp: {
      if (seen_ts || length < 4) return false;
      seen_ts = true;
      const std::size_t pointer = o[2];
      const std::uint8_t flags = o[3] & 0x0f;
      const unsigned overflow = o[3] >> 4;
      if (pointer < 5) return false;
      if (pointer <= length) {
        if (pointer + 3 > length) return false;
        const bool pairs = flags == timestamp_flags::with_addresses || flags == timestamp_flags::prespecified;
        return !pairs || pointer + 7 <= length;
      }
      return flags == timestamp_flags::prespecified || overflow < 15;
    }
    case ipv4_option::router_alert:
      return length >= 4;
    default:
      return true;  // unknown, or known but not looked into (security, stream ID, ...): its length is enough
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What Linux does with Record Route and Timestamp in an echo request addressed to it (net/ipv4/ip_options.c), in
// two steps, each of which fills one slot where there is room:
//
//  1. On receipt, ip_options_compile() updates the request's header in place, as any module on the path would
//     (RFC 791 §3.1): Record Route gets our address in the slot the pointer names, pointer += 4. Timestamp, by its
//     flags: 0: our time, pointer += 4; 1: our address and time, pointer += 8; 3: if the prespecified address is
//     ours, our time beside it, pointer += 8, and if it is another host's, nothing (Linux tests "is not a unicast
//     route", which for ministack means "is ours"); other flags: nothing. A full Timestamp (pointer > length) with
//     flags other than 3 gets its overflow count incremented instead.
//  2. For the reply, ip_options_echo() copies Record Route, then Timestamp (wherever they were, in that order; no
//     NOP, no other option), and ip_options_build() fills one more slot in each, as the reply's sender: Record
//     Route our address again; Timestamp flags 0: our time; 1: our address and time; 3: our time only if the next
//     prespecified address is ours (Linux looks at that one pair, not further). Only if step 1 filled a slot: a
//     Timestamp that was full on receipt gets no second overflow increment, and one step 1 skipped (flags 3,
//     another host's address) is not looked at again. EOLs then pad the copy to a multiple of 4.
//
// So our address appears twice in an echoed Record Route and our time twice in a Timestamp, the reply carries
// the options a little fuller than the request did, and its pointer has moved by two slots (one if only one was
// left). From pcaps/tap_ping_rr.pcap, ping -R (frames 3 and 4):
//     request:  01 | 07 27 08 | c0a8030b 00000000 00000000 ...          NOP, RR length 39, pointer 8, 9 slots
//     reply:    07 27 10 | c0a8030b c0a8030c c0a8030c 00000000 ... | 00  RR pointer 16, then EOL to 40 bytes
// From pcaps/tap_ping_ts.pcap, ping -T tsonly (frames 3 and 4), the client's time t, ours T (here in the same ms):
//     request:  44 28 09 00 | t 0 0 0 0 0 0 0 0                         length 40, pointer 9, flags 0
//     reply:    44 28 11 00 | t T T 0 0 0 0 0 0                         pointer 17
// ping -T tsandaddr (length 36, flags 1) goes from pointer 13 [.11 t] to 29 [.11 t, .12 T, .12 T]; -T tsprespec
// .12 .12 from pointer 5 [.12 0, .12 0] to 21 [.12 T, .12 T]; -T tsprespec .12 .11 .12 from 5 to 13
// [.12 T, .11 0, .12 0].
//
// The timestamp is ms since midnight UT, "right-justified in 32 bits" and in network byte order (RFC 791 §3.1), as
// Linux's inet_current_timestamp() gives it. Step 2 fails (no reply at all) where the slot it would fill runs past
// the option's end: see echo_reply_refused(). ministack never copies a source route (RFC 1122 §3.2.2.6 would have
// it reversed into the reply; Linux does reverse it, but drops source-routed datagrams for local delivery unless
// net.ipv4.conf.all.accept_source_route is set, and it is 0 by default), nor CIPSO (Linux copies it, but rejects it
// on receipt unless a CIPSO DOI is configured). Unknown options are skipped by their length, never copied.

bool is_ours(const std::uint8_t* slot, Ipv4Address our_address) { return load_be32(slot) == our_address.value; }

// The reply's Record Route, written over its copy `o` (the request's, length >= 3, pointer >= 4, checked).
// Returns false where Linux would refuse to reply.
bool echo_record_route(MutableBytes o, Ipv4Address us) {
  const std::size_t length = o.size();
  std::size_t pointer = o[2];
  if (pointer > length) return true;  // full on receipt: copied as it is
  // Step 1 (receipt): our address in the slot, whole by check_options().
  store_be32(&o[pointer - 1], us.value);
  pointer += 4;
  bool ok = true;
  // Step 2 (the reply's own slot).
  if (pointer <= length) {
    if (pointer + 3 > length) {
      ok = false;
    } else {
      store_be32(&o[pointer - 1], us.value);
      pointer += 4;
    }
  }
  o[2] = static_cast<std::uint8_t>(pointer);
  return ok;
}

// The reply's Timestamp, written over its copy `o` (the request's, checked). Returns false where Linux would
// refuse to reply.
bool echo_timestamp(MutableBytes o, Ipv4Address us, std::uint32_t now) {
  const std::size_t length = o.size();
  std::size_t pointer = o[2];
  const std::uint8_t flags = o[3] & 0x0f;
  if (pointer > length) {
    // Full on receipt (RFC 791 §3.1: "the overflow count ... is incremented"); 15 was rejected by check_options().
    if (flags != timestamp_flags::prespecified) o[3] = static_cast<std::uint8_t>(o[3] + 0x10);
    return true;
  }
  // Step 1 (receipt). The slot, or pair for flags 1 and 3, is whole by check_options().
  bool stamped = false;
  switch (flags) {
    case timestamp_flags::timestamps_only:
      store_be32(&o[pointer - 1], now);
      pointer += 4;
      stamped = true;
      break;
    case timestamp_flags::with_addresses:
      store_be32(&o[pointer - 1], us.value);
      store_be32(&o[pointer + 3], now);
      pointer += 8;
      stamped = true;
      break;
    case timestamp_flags::prespecified:
      if (is_ours(&o[pointer - 1], us)) {
        store_be32(&o[pointer + 3], now);
        pointer += 8;
        stamped = true;
      }
      break;
    default:
      break;  // flags 2 and 4..15: undefined; left alone
  }
  // Step 2 (the reply's own slot), only after a stamp in step 1, and only where the option has room left.
  bool ok = true;
  if (stamped && pointer <= length) {
    const bool with_address = flags == timestamp_flags::with_addresses;
    if (pointer + 3 > length || (with_address && pointer + 7 > length)) {
      ok = false;
    } else if (flags == timestamp_flags::prespecified) {
      if (pointer + 7 <= length && is_ours(&o[pointer - 1], us)) {
        store_be32(&o[pointer + 3], now);
        pointer += 8;
      }
    } else {
      if (with_address) {
        store_be32(&o[pointer - 1], us.value);
        pointer += 4;
      }
      store_be32(&o[pointer - 1], now);
      pointer += 4;
    }
  }
  o[2] = static_cast<std::uint8_t>(pointer);
  return ok;
}

struct Echoed {
  std::size_t length = 0;
  bool refused = false;
};

// Both steps, into `out` (at least 40 bytes).
Echoed echo_options(Bytes request, Ipv4Address us, std::uint32_t now, MutableBytes out) {
  assert(out.size() >= kIpv4MaxOptionsLength);
  if (check_options(request)) return {};
  Bytes rr;
  Bytes ts;
  for_each_option(request, [&](const Option& option) {
    if (option.type == ipv4_option::record_route) rr = option.bytes;
    if (option.type == ipv4_option::timestamp) ts = option.bytes;
    return true;
  });
  Echoed echoed;
  std::size_t n = 0;
  if (!rr.empty()) {
    std::copy(rr.begin(), rr.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    if (!echo_record_route(out.subspan(n, rr.size()), us)) echoed.refused = true;
    n += rr.size();
  }
  if (!ts.empty()) {
    std::copy(ts.begin(), ts.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    if (!echo_timestamp(out.subspan(n, ts.size()), us, now)) echoed.refused = true;
    n += ts.size();
  }
  // Both came from one options area, so even padded they fit in 40 bytes.
  while (n % 4 != 0) out[n++] = ipv4_option::end_of_list;
  echoed.length = n;
  return echoed;
}

}  // namespace

std::optional<DropReason> check_options(Bytes options) {
  bool seen_rr = false;
  bool seen_ts = false;
  bool seen_source_route = false;
  const bool valid = for_each_option(options, [&](const Option& option) {
    return option_is_valid(option, seen_rr, seen_ts, seen_source_route);
  });
  if (!valid) return DropReason::ip_bad_options;
  return std::nullopt;
}

std::size_t echo_reply_options(Bytes request_options, Ipv4Address our_address, std::uint32_t ms_since_midnight_ut,
                               MutableBytes out) {
  return echo_options(request_options, our_address, ms_since_midnight_ut, out).length;
}

bool echo_reply_refused(Bytes request_options, Ipv4Address our_address) {
  std::uint8_t scratch[kIpv4MaxOptionsLength];
  return echo_options(request_options, our_address, 0, scratch).refused;
}

void options_for_later_fragments(MutableBytes options) {
  for_each_option(options, [options](const Option& option) {
    if (!(option.type & kOptionCopied)) {
      const auto at = options.begin() + (option.bytes.data() - options.data());
      std::fill_n(at, option.bytes.size(), ipv4_option::no_operation);
    }
    return true;
  });
}

}  // namespace ministack
