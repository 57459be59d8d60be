// The fuzz targets' input format: one input is a sequence of records, each fed to ONE stack, with time advancing
// before each and the stack's timers run (Stack::poll) after each.
//
//   record := length (2 bytes, big-endian) | step (1 byte) | body (length & 0x7fff bytes)
//
//   - step: how far the clock moves before the record, in units of kStepUnit (20 ms; 255 steps = 5.1 s, past every
//     timer of the fuzz configuration).
//   - length bit 15 clear: the body is one received frame (an Ethernet frame on TAP, an IP packet on TUN; what the
//     target does with it first, fixing or cutting it, is the target's mode, fuzz/harness.hpp).
//   - length bit 15 set: the body is a UDP datagram the stack originates (Stack::send_udp, port 7 to 9): body[0]
//     picks the on-link destination 192.168.3.(1 + body[0] % 254), the rest is the payload. This is what fills the
//     queue of datagrams waiting for ARP.
//   - A body cut short by the end of the input is what is left of it; fewer than 3 bytes left end the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/wire/bytes.hpp"
#include "stack/wire/clock.hpp"

namespace ministack::fuzz {

inline constexpr Duration kStepUnit = std::chrono::milliseconds(20);
inline constexpr std::uint16_t kOriginateBit = 0x8000;
inline constexpr std::size_t kMaxBody = 0x7fff;

struct Record {
  Duration step{0};
  bool originate = false;  // a datagram the stack sends, not a frame it receives
  Bytes body;
};

// Reads records one at a time, every read bounds-checked against the input.
class RecordReader {
 public:
  explicit RecordReader(Bytes input) : input_(input) {}
  // The next record, or nullopt at the end of the input.
  std::optional<Record> next();

 private:
  Bytes input_;
  std::size_t position_ = 0;
};

// Appends one record to `out` (for the seed tool and the tests): the body is cut to kMaxBody bytes, the step to 255.
void append_record(std::vector<std::uint8_t>& out, Bytes body, Duration step, bool originate = false);

}  // namespace ministack::fuzz
