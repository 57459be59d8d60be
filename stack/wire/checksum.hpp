// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
#pragma once

#include <cstdint>

#include "stack/wire/bytes.hpp"

namespace ministack {

// A running one's-complement sum. Chunks may have odd lengths: a chunk that ends mid-word leaves the next chunk's
// first byte as the low half of that word, as if all chunks were one buffer (RFC 1071 §2(A)).
class Checksum {
 public:
  void add(Bytes data);
  void add16(std::uint16_t word);
  void add32(std::uint32_t word) {
    add16(static_cast<std::uint16_t>(word >> 16));
    add16(static_cast<std::uint16_t>(word));
  }
  // The one's complement of the folded sum: the value to store in a checksum field, or 0 when verifying data that
  // already includes a correct checksum.
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // the last byte added was the high half of a word
};

std::uint16_t internet_checksum(Bytes data);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), the new checksum after one 16-bit word of the covered data changes from
// old_word to new_word, without summing the rest of the data again.
std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word);

}  // namespace ministack
