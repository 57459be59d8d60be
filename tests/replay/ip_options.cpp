// IP options read independently (ip_options.hpp).
#include "ip_options.hpp"

#include <string>

namespace ministack::realworld {
namespace {

// The list is malformed; the first reason found is the one kept.
void malformed(OptionsReading& r, const std::string& why) {
  if (r.state != OptionsState::malformed) r.why = why;
  r.state = OptionsState::malformed;
}

// The list is odd, unless something odd or malformed was already found.
void odd(OptionsReading& r, const std::string& why) {
  if (r.state == OptionsState::fine) {
    r.state = OptionsState::odd;
    r.why = why;
  }
}

// Record Route, Loose and Strict Source Route: a pointer past the 3-byte head, to a whole 4-byte slot.
void check_route_option(OptionsReading& r, const std::string& name, std::size_t length, std::size_t pointer) {
  if (length < 3 || pointer < 4) {
    malformed(r, name + " with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
  } else if (pointer <= length && pointer + 3 > length) {
    malformed(r, name + ": the slot its pointer names is cut short");
  } else if (pointer <= length && ((length - 3) % 4 != 0 || (pointer - 4) % 4 != 0)) {
    odd(r, name + ": length or pointer not whole slots");
  }
}

// Timestamp, at d[at]: a pointer past the 4-byte head, to a whole slot (4 bytes, 8 with addresses), defined flags,
// and an overflow count that has not run out.
void check_timestamp_option(OptionsReading& r, const Bytes& d, std::size_t at, std::size_t length,
                            std::size_t pointer) {
  if (length < 4 || pointer < 5) {
    malformed(r, "Timestamp with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
    return;
  }
  const unsigned flags = d[at + 3] & 0x0fu, overflow = unsigned{d[at + 3]} >> 4;
  const std::size_t slot = flags == 1 || flags == 3 ? 8 : 4;
  if (pointer <= length && pointer + slot - 1 > length) {
    malformed(r, "Timestamp: the slot its pointer names is cut short");
  } else if (pointer > length && flags != 3 && overflow == 15) {
    malformed(r, "Timestamp full with its overflow count at 15");
  } else if (flags != 0 && flags != 1 && flags != 3) {
    odd(r, "Timestamp with undefined flags " + std::to_string(flags));
  } else if (pointer <= length && ((length - 4) % slot != 0 || (pointer - 5) % slot != 0)) {
    odd(r, "Timestamp: length or pointer not whole slots");
  }
}

}  // namespace

OptionsReading read_options(const Bytes& d, std::size_t from, std::size_t to) {
  OptionsReading r;
  bool seen_rr = false, seen_ts = false, seen_route = false;
  std::size_t i = from;
  while (i < to) {
    const std::uint8_t type = d[i];
    if (type == 0) break;  // End of Option List
    if (type == 1) {       // No Operation
      ++i;
      continue;
    }
    const std::string name = "option " + std::to_string(type);
    if (i + 1 >= to) {
      malformed(r, name + " has no length byte");
      i = to;
      break;
    }
    const std::size_t length = d[i + 1];
    if (length < 2 || i + length > to) {
      malformed(r, name + " has length " + std::to_string(length) + ", which does not fit the options area");
      i = to;
      break;
    }
    r.options.push_back({type, i, length});
    const std::size_t pointer = length >= 3 ? d[i + 2] : 0;
    switch (type) {
      case kOptRecordRoute:
      case kOptLsrr:
      case kOptSsrr: {
        bool& seen = type == kOptRecordRoute ? seen_rr : seen_route;
        if (seen) malformed(r, "a second " + name);
        seen = true;
        check_route_option(r, name, length, pointer);
        break;
      }
      case kOptTimestamp:
        if (seen_ts) malformed(r, "a second Timestamp");
        seen_ts = true;
        check_timestamp_option(r, d, i, length, pointer);
        break;
      case kOptRouterAlert:  // RFC 2113: length 4
        if (length < 4) malformed(r, "Router Alert of length " + std::to_string(length));
        if (length > 4) odd(r, "Router Alert of length " + std::to_string(length));
        break;
      default: break;  // known or not, its length is all there is to check
    }
    i += length;
  }
  r.end = i;
  return r;
}

}  // namespace ministack::realworld
