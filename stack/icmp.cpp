#include "icmp.hpp"

#include <cassert>

#include "checksum.hpp"

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
  store_be16(p + 2, checksum_update16(load_be16(p + 2), old_word, load_be16(p)));
}

}  // namespace ministack
