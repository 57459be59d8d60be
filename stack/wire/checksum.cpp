#include "stack/wire/checksum.hpp"

#include <bit>
#include <cstring>

namespace ministack {

namespace {

std::uint16_t fold(std::uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);  // at most 33 bits
  sum = (sum & 0xffffffff) + (sum >> 32);  // at most 32 bits
  sum = (sum & 0xffff) + (sum >> 16);      // at most 17 bits
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint64_t load_native64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);  // one unaligned load, in the host's byte order
  return v;
}

std::uint32_t load_native32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint16_t byte_swap16(std::uint16_t v) { return static_cast<std::uint16_t>((v << 8) | (v >> 8)); }

// The one's-complement sum of p[0, n) as 16-bit words from an even offset, folded to 16 bits, in the host's byte
// order. RFC 1071 §2(B): the sum is independent of byte order, so words are summed as they lie in memory and the
// result swapped once, and 32-bit halves of 64-bit loads sum to the same 16-bit result (2^16 = 1 mod 0xffff).
// Four independent 64-bit accumulators let the CPU (or the vectoriser) add in parallel; each gains at most 2^33
// per 32 bytes, so none can overflow below 2^31 * 32 bytes of data.
[[gnu::always_inline]] inline std::uint16_t sum_native_body(const std::uint8_t* p, std::size_t n) {
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (; n >= 32; p += 32, n -= 32) {
    const std::uint64_t w0 = load_native64(p), w1 = load_native64(p + 8);
    const std::uint64_t w2 = load_native64(p + 16), w3 = load_native64(p + 24);
    a0 += (w0 & 0xffffffff) + (w0 >> 32);
    a1 += (w1 & 0xffffffff) + (w1 >> 32);
    a2 += (w2 & 0xffffffff) + (w2 >> 32);
    a3 += (w3 & 0xffffffff) + (w3 >> 32);
  }
  std::uint64_t sum = (a0 + a1) + (a2 + a3);
  // The rest (and all of a 20-byte IP header): at most three 8-byte words, then 4, 2 and 1 bytes.
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint64_t w = load_native64(p);
    sum += (w & 0xffffffff) + (w >> 32);
  }
  if (n >= 4) {
    sum += load_native32(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, sizeof w);
    sum += w;
    p += 2;
    n -= 2;
  }
  // An odd last byte is the high half of a big-endian word whose low half is zero (RFC 1071 §2(A)).
  if (n == 1) sum += std::endian::native == std::endian::little ? std::uint64_t{*p} : std::uint64_t{*p} << 8;
  return fold(sum);
}

#if defined(__x86_64__)
// The same loop compiled for AVX2, which the vectoriser turns into 32-byte adds: twice SSE2's bytes per cycle on
// long data. Chosen at run time, so the build stays portable (no -march); no ifunc, which sanitizers dislike.
[[gnu::target("avx2")]] std::uint16_t sum_native_avx2(const std::uint8_t* p, std::size_t n) {
  return sum_native_body(p, n);
}

bool cpu_has_avx2() {
  __builtin_cpu_init();  // needed before main (this runs from a static initializer)
  return __builtin_cpu_supports("avx2") != 0;
}

const bool kHasAvx2 = cpu_has_avx2();

// Below this, the call and the vector setup cost more than the wider adds save.
constexpr std::size_t kAvx2MinLength = 256;
#endif

std::uint16_t sum_native(const std::uint8_t* p, std::size_t n) {
#if defined(__x86_64__)
  if (n >= kAvx2MinLength && kHasAvx2) return sum_native_avx2(p, n);
#endif
  return sum_native_body(p, n);
}

// The same sum as big-endian words: what the checksum field holds.
std::uint16_t sum_big_endian(const std::uint8_t* p, std::size_t n) {
  const std::uint16_t sum = sum_native(p, n);
  return std::endian::native == std::endian::little ? byte_swap16(sum) : sum;
}

}  // namespace

void Checksum::add(Bytes data) {
  if (data.empty()) return;
  const std::uint16_t sum = sum_big_endian(data.data(), data.size());
  // A chunk that starts mid-word has each of its bytes in the other half of its word: its sum, swapped (RFC 1071
  // §2(B)).
  sum_ += odd_ ? byte_swap16(sum) : sum;
  odd_ = odd_ != ((data.size() & 1) != 0);
}

void Checksum::add16(std::uint16_t word) {
  // A word added after an odd-length chunk straddles the boundary: its bytes fall in the other halves.
  sum_ += odd_ ? byte_swap16(word) : word;
}

std::uint16_t Checksum::finish() const { return static_cast<std::uint16_t>(~fold(sum_)); }

std::uint16_t internet_checksum(Bytes data) {
  return static_cast<std::uint16_t>(~(data.empty() ? std::uint16_t{0} : sum_big_endian(data.data(), data.size())));
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word) {
  const std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~checksum)} +
                            static_cast<std::uint16_t>(~old_word) + new_word;
  return static_cast<std::uint16_t>(~fold(sum));
}

}  // namespace ministack
