#include "stack/wire/icmp.hpp"

#include <cassert>

#include "stack/wire/checksum.hpp"

namespace ministack {

Parsed<IcmpView> IcmpView::parse(Bytes message) {
  if (message.size() < kIcmpHeaderLength) return DropReason::icmp_truncated;
  if (internet_checksum(message) != 0) return DropReason::icmp_bad_checksum;
  return IcmpView{message};
}

void make_echo_reply_in_place(MutableBytes message) {
  assert(message.size() >= kIcmpHeaderLength && message[0] == icmp_type::echo_request);
  std::uint8_t* p = message.data();
  const std::uint16_t old_word = load_be16(p);  // type and code share one checksummed word
  p[0] = icmp_type::echo_reply;
  std::uint16_t checksum = checksum_update16(load_be16(p + 2), old_word, load_be16(p));
  // RFC 1624 assumes some covered word is non-zero. An all-zero reply (id, sequence and data all 0) needs 0xffff,
  // but the update yields 0x0000, which no receiver verifies: only in that rare case, sum the message again.
  if (checksum == 0) {
    store_be16(p + 2, 0);
    checksum = internet_checksum(message);
  }
  store_be16(p + 2, checksum);
}

}  // namespace ministack
