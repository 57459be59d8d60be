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
    case ipv4_option::router_alert: return length >= 4;
    default: return true;  // unknown, or known but not looked into (security, stream ID, ...): its length is enough
  }
}

// Linux fills one slot on receipt (ip_options_compile) and one for the reply (ip_options_echo, ip_options_build):
// RFC 1122 §3.2.2.6 asks for the options "updated to include the current host". The byte-by-byte account, with
// the fixtures that prove it, is in docs/linux-parity.md.

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
    default: break;  // flags 2 and 4..15: undefined; left alone
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
