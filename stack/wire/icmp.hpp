// ICMP for IPv4 (RFC 792); echo request and reply are the messages ministack answers.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |    Identifier (echo)          |    Sequence Number (echo)     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Data ...
//  +-+-+-+-+-
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/bytes.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kIcmpHeaderLength = 8;

namespace icmp_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t echo_request = 8;
}  // namespace icmp_type

class IcmpView {
 public:
  // Checks the length (8 bytes at least) and the checksum over the whole message (RFC 792).
  static Parsed<IcmpView> parse(Bytes message);

  std::uint8_t type() const { return message_[0]; }
  std::uint8_t code() const { return message_[1]; }
  std::uint16_t checksum() const { return load_be16(message_.data() + 2); }
  std::uint16_t identifier() const { return load_be16(message_.data() + 4); }  // echo messages
  std::uint16_t sequence() const { return load_be16(message_.data() + 6); }    // echo messages
  Bytes data() const { return message_.subspan(kIcmpHeaderLength); }
  std::size_t size() const { return message_.size(); }

 private:
  explicit IcmpView(Bytes message) : message_(message) {}
  Bytes message_;
};

// Turns the echo request at the start of `message` into its reply in place: the type becomes 0 and the checksum is
// patched incrementally (RFC 1624), so the payload is not summed a second time. Identifier, sequence number and
// data stay as they are, as RFC 792 requires.
void make_echo_reply_in_place(MutableBytes message);

}  // namespace ministack
