#include "stack/wire/checksum.hpp"

namespace ministack {

namespace {

std::uint16_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

void Checksum::add(Bytes data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  if (n == 0) return;
  if (odd_) {  // finish the word the previous chunk started
    sum_ += *p++;
    --n;
    odd_ = false;
  }
  // Summing 32-bit big-endian words and folding later gives the same result as 16-bit words (RFC 1071 §2(B)),
  // with half the additions. A 64-bit sum cannot overflow for any IP packet.
  for (; n >= 8; p += 8, n -= 8) sum_ += std::uint64_t{load_be32(p)} + load_be32(p + 4);
  for (; n >= 2; p += 2, n -= 2) sum_ += load_be16(p);
  if (n == 1) {
    sum_ += std::uint32_t{*p} << 8;
    odd_ = true;
  }
}

void Checksum::add16(std::uint16_t word) {
  // A word added after an odd-length chunk straddles the boundary; byte order of the sum is what matters.
  if (odd_) {
    const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word)};
    add(Bytes{bytes, 2});
    return;
  }
  sum_ += word;
}

std::uint16_t Checksum::finish() const { return static_cast<std::uint16_t>(~fold(sum_)); }

std::uint16_t internet_checksum(Bytes data) {
  Checksum c;
  c.add(data);
  return c.finish();
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word) {
  const std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~checksum)} +
                            static_cast<std::uint16_t>(~old_word) + new_word;
  return static_cast<std::uint16_t>(~fold(sum));
}

}  // namespace ministack
