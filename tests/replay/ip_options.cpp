// IP options read independently (ip_options.hpp).
#include "ip_options.hpp"

#include <string>

namespace ministack::realworld {

OptionsReading read_options(const Bytes& d, std::size_t from, std::size_t to) {
  OptionsReading r;
  const auto malformed = [&r](const std::string& why) {
    if (r.state != OptionsState::malformed) r.why = why;
    r.state = OptionsState::malformed;
  };
  const auto odd = [&r](const std::string& why) {
    if (r.state == OptionsState::fine) {
      r.state = OptionsState::odd;
      r.why = why;
    }
  };
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
      malformed(name + " has no length byte");
      i = to;
      break;
    }
    const std::size_t length = d[i + 1];
    if (length < 2 || i + length > to) {
      malformed(name + " has length " + std::to_string(length) + ", which does not fit the options area");
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
        if (seen) malformed("a second " + name);
        seen = true;
        if (length < 3 || pointer < 4) {
          malformed(name + " with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
        } else if (pointer <= length && pointer + 3 > length) {
          malformed(name + ": the slot its pointer names is cut short");
        } else if (pointer <= length && ((length - 3) % 4 != 0 || (pointer - 4) % 4 != 0)) {
          odd(name + ": length or pointer not whole slots");
        }
        break;
      }
      case kOptTimestamp: {
        if (seen_ts) malformed("a second Timestamp");
        seen_ts = true;
        if (length < 4 || pointer < 5) {
          malformed("Timestamp with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
          break;
        }
        const unsigned flags = d[i + 3] & 0x0fu, overflow = unsigned{d[i + 3]} >> 4;
        const std::size_t slot = flags == 1 || flags == 3 ? 8 : 4;
        if (pointer <= length && pointer + slot - 1 > length) {
          malformed("Timestamp: the slot its pointer names is cut short");
        } else if (pointer > length && flags != 3 && overflow == 15) {
          malformed("Timestamp full with its overflow count at 15");
        } else if (flags != 0 && flags != 1 && flags != 3) {
          odd("Timestamp with undefined flags " + std::to_string(flags));
        } else if (pointer <= length && ((length - 4) % slot != 0 || (pointer - 5) % slot != 0)) {
          odd("Timestamp: length or pointer not whole slots");
        }
        break;
      }
      case kOptRouterAlert:  // RFC 2113: length 4
        if (length < 4) malformed("Router Alert of length " + std::to_string(length));
        if (length > 4) odd("Router Alert of length " + std::to_string(length));
        break;
      default:
        break;  // known or not, its length is all there is to check
    }
    i += length;
  }
  r.end = i;
  return r;
}

}  // namespace ministack::realworld
