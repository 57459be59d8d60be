// IP options (RFC 791 §3.1), read independently: malformed ones are a fault of the datagram (RFC 1122 §3.2.1.8
// lets a host drop it); "odd" ones are well-formed but not whole slots from the pointer on (a Record Route or
// Timestamp a sender following RFC 791 never writes, where Linux refuses to answer an echo): an echo request carrying
// those may be answered or dropped as ip_bad_options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire_reads.hpp"

namespace ministack::realworld {

enum class OptionsState { fine, odd, malformed };

struct IpOption {
  std::uint8_t type;
  std::size_t at;      // in the datagram
  std::size_t length;  // the whole option
};

struct OptionsReading {
  OptionsState state = OptionsState::fine;
  std::string why;
  std::vector<IpOption> options;  // those with a length byte, in order
  std::size_t end = 0;            // where the list stopped: an EOL, or the end of the area
  std::optional<IpOption> find(std::uint8_t type) const {
    for (const IpOption& o : options) {
      if (o.type == type) return o;
    }
    return std::nullopt;
  }
};

inline constexpr std::uint8_t kOptRecordRoute = 7, kOptTimestamp = 68, kOptLsrr = 131, kOptSsrr = 137,
                              kOptRouterAlert = 148;

// The options in d[from, to), the area after a datagram's fixed 20-byte header.
OptionsReading read_options(const Bytes& d, std::size_t from, std::size_t to);

}  // namespace ministack::realworld
