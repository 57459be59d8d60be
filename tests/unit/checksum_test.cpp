// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
#include "stack/wire/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "packets.hpp"

namespace {

using ministack::Bytes;
using ministack::Checksum;
using ministack::checksum_update16;
using ministack::internet_checksum;
using packets::Frame;
using packets::reference_checksum;

// The one's complement sum itself (what RFC 1071's examples print), recovered from the checksum.
std::uint16_t sum_of(const Checksum& c) { return static_cast<std::uint16_t>(~c.finish()); }

Frame random_bytes(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<unsigned> byte(0, 255);
  Frame f(n);
  for (auto& b : f) b = static_cast<std::uint8_t>(byte(rng));
  return f;
}

// A real IPv4 header (the example on Wikipedia's "IPv4 header checksum" page): UDP, 192.168.0.1 -> 192.168.0.199,
// header checksum 0xb861.
const Frame kWikipediaIpv4Header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

// RFC 1071 §3 "Numerical Examples": bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
TEST(Checksum, Rfc1071NumericalExample) {
  const Frame data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  Checksum c;
  c.add(data);
  EXPECT_EQ(sum_of(c), 0xddf2);
  EXPECT_EQ(c.finish(), 0x220d);
  EXPECT_EQ(internet_checksum(data), 0x220d);
}

// The same example added in two chunks split at every position, odd ones included, still sums to ddf2
// (RFC 1071 §2(A): the sum does not depend on how the data is grouped).
TEST(Checksum, Rfc1071ExampleInAnyChunking) {
  const Frame data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  for (std::size_t split = 0; split <= data.size(); ++split) {
    Checksum c;
    c.add(Bytes{data}.first(split));
    c.add(Bytes{data}.subspan(split));
    EXPECT_EQ(sum_of(c), 0xddf2) << "split at " << split;
  }
}

TEST(Checksum, EmptyDataSumsToZero) {
  EXPECT_EQ(internet_checksum(Bytes{}), 0xffff);
  Checksum c;
  c.add(Bytes{});
  EXPECT_EQ(c.finish(), 0xffff);
}

// RFC 1071 §2(A): an odd last byte is the high half of a word whose low half is zero.
TEST(Checksum, OddLengthPadsTheLastByteOnTheRight) {
  EXPECT_EQ(internet_checksum(Frame{0x01}), 0xfeff);                                           // sum 0x0100
  EXPECT_EQ(internet_checksum(Frame{0xab, 0xcd, 0xef}), static_cast<std::uint16_t>(~0x9ace));  // abcd+ef00
  // Appending a zero byte to an odd-length buffer does not change the sum.
  std::mt19937 rng(1071);
  for (std::size_t n = 1; n < 80; n += 2) {
    Frame data = random_bytes(rng, n);
    const std::uint16_t odd = internet_checksum(data);
    data.push_back(0);
    EXPECT_EQ(odd, internet_checksum(data)) << "length " << n;
  }
}

// The end-around carry (RFC 1071 §1(2)): all-ones words never overflow the sum, however many there are.
TEST(Checksum, CarriesFoldBackForLongBuffers) {
  const Frame ones(65535, 0xff);
  EXPECT_EQ(internet_checksum(ones), reference_checksum(ones));
  const Frame big(9001, 0x80);
  EXPECT_EQ(internet_checksum(big), reference_checksum(big));
}

// Every length from 0 to 100 (the word-at-a-time fast path, its tail, and odd ends) agrees with the plain loop.
TEST(Checksum, MatchesReferenceForEveryShortLength) {
  std::mt19937 rng(42);
  for (std::size_t n = 0; n <= 100; ++n) {
    const Frame data = random_bytes(rng, n);
    EXPECT_EQ(internet_checksum(data), reference_checksum(data)) << "length " << n;
  }
}

// RFC 1071 one byte at a time: even bytes are high halves, odd ones low halves; carries folded at the end.
std::uint16_t byte_at_a_time(Bytes data) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < data.size(); ++i) sum += i % 2 == 0 ? std::uint64_t{data[i]} << 8 : data[i];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// The word-at-a-time sum (64-bit loads, several accumulators) against the byte-at-a-time reference, on random data:
// every length 0..2000 at every start offset 0..7 (so loads of every alignment, and odd offsets), and the same
// bytes added in random chunks that start and end anywhere.
TEST(Checksum, MatchesByteAtATimeReferenceAtEveryLengthAndOffset) {
  std::mt19937 rng(20);
  const Frame pool = random_bytes(rng, 2000 + 8);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n <= 2000; ++n) {
      const Bytes data = Bytes{pool}.subspan(offset, n);
      ASSERT_EQ(internet_checksum(data), byte_at_a_time(data)) << "length " << n << ", offset " << offset;
    }
  }
}

TEST(Checksum, RandomChunksOfLongDataMatchTheReference) {
  std::mt19937 rng(21);
  for (int round = 0; round < 400; ++round) {
    const std::size_t offset = rng() % 8;
    const Frame pool = random_bytes(rng, offset + std::uniform_int_distribution<std::size_t>(0, 2000)(rng));
    const Bytes data = Bytes{pool}.subspan(offset);
    Checksum c;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t take = std::min<std::size_t>(rng() % 300, data.size() - at);
      c.add(data.subspan(at, take));
      at += take;
    }
    ASSERT_EQ(c.finish(), byte_at_a_time(data)) << "round " << round << ", length " << data.size();
  }
}

// All-ones and all-0x80 data of every length up to 2000: the largest carries into every accumulator.
TEST(Checksum, WorstCaseCarriesMatchTheReferenceAtEveryLength) {
  for (const std::uint8_t fill : {std::uint8_t{0xff}, std::uint8_t{0x80}, std::uint8_t{0x01}}) {
    const Frame data(2000, fill);
    for (std::size_t n = 0; n <= data.size(); ++n) {
      ASSERT_EQ(internet_checksum(Bytes{data}.first(n)), byte_at_a_time(Bytes{data}.first(n)))
          << "length " << n << ", fill " << int{fill};
    }
  }
}

// Chunks may end mid-word: the next chunk's first byte is the low half of that word (RFC 1071 §2(A)).
TEST(Checksum, ChunkedAddEqualsOneShotAcrossOddBoundaries) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 500; ++round) {
    const Frame data = random_bytes(rng, std::uniform_int_distribution<std::size_t>(0, 120)(rng));
    Checksum c;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 9)(rng);  // includes empty chunks
      const std::size_t take = std::min(n, data.size() - at);
      c.add(Bytes{data}.subspan(at, take));
      at += take;
    }
    ASSERT_EQ(c.finish(), internet_checksum(data)) << "round " << round << ", length " << data.size();
  }
}

TEST(Checksum, OneByteChunksEqualOneShot) {
  std::mt19937 rng(7);
  const Frame data = random_bytes(rng, 77);
  Checksum c;
  for (std::uint8_t b : data) c.add(Bytes{&b, 1});
  EXPECT_EQ(c.finish(), reference_checksum(data));
}

TEST(Checksum, Add16AndAdd32EqualTheirBigEndianBytes) {
  Checksum words;
  words.add16(0x1234);
  words.add32(0x56789abc);
  EXPECT_EQ(words.finish(), reference_checksum(Frame{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}));
}

// After an odd chunk the next word straddles the boundary: its high byte completes the open word.
TEST(Checksum, Add16AfterOddChunkStraddlesTheBoundary) {
  Checksum c;
  c.add(Frame{0x12});
  c.add16(0x3456);
  c.add(Frame{0x78});
  EXPECT_EQ(c.finish(), reference_checksum(Frame{0x12, 0x34, 0x56, 0x78}));
  // Different from treating 0x3456 as an aligned word.
  EXPECT_NE(c.finish(), reference_checksum(Frame{0x12, 0x00, 0x34, 0x56, 0x78}));
}

TEST(Checksum, Add32AfterOddChunkStraddlesTheBoundary) {
  Checksum c;
  c.add(Frame{0x01, 0x02, 0x03});
  c.add32(0x04050607);
  c.add(Frame{0x08});
  EXPECT_EQ(c.finish(), reference_checksum(Frame{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
}

TEST(Checksum, Add16AndAdd32InRandomMixesMatchTheBytes) {
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    Checksum c;
    Frame bytes;
    for (int step = 0; step < 12; ++step) {
      switch (rng() % 3) {
        case 0: {
          const Frame chunk = random_bytes(rng, rng() % 5);
          c.add(chunk);
          bytes.insert(bytes.end(), chunk.begin(), chunk.end());
          break;
        }
        case 1: {
          const auto w = static_cast<std::uint16_t>(rng());
          c.add16(w);
          bytes.push_back(static_cast<std::uint8_t>(w >> 8));
          bytes.push_back(static_cast<std::uint8_t>(w));
          break;
        }
        default: {
          const auto w = static_cast<std::uint32_t>(rng());
          c.add32(w);
          for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(w >> shift));
          break;
        }
      }
    }
    ASSERT_EQ(c.finish(), reference_checksum(bytes)) << "round " << round;
  }
}

// RFC 1071 §1(3): summing data that includes its correct checksum gives all ones, so finish() returns 0.
TEST(Checksum, DataWithItsOwnChecksumVerifiesToZero) {
  std::mt19937 rng(1);
  for (std::size_t n = 2; n < 200; ++n) {
    Frame data = random_bytes(rng, n);
    const std::size_t field = (rng() % (n / 2)) * 2;  // an aligned 16-bit field
    packets::put16(data, field, 0);
    packets::put16(data, field, internet_checksum(data));
    EXPECT_EQ(internet_checksum(data), 0) << "length " << n << ", field at " << field;
  }
}

TEST(Checksum, RealIpv4HeaderVerifies) {
  EXPECT_EQ(internet_checksum(kWikipediaIpv4Header), 0);
  Frame zeroed = kWikipediaIpv4Header;
  zeroed[10] = 0;
  zeroed[11] = 0;
  EXPECT_EQ(internet_checksum(zeroed), 0xb861);
  // Any single-bit error in the header is caught.
  for (std::size_t bit = 0; bit < kWikipediaIpv4Header.size() * 8; ++bit) {
    Frame damaged = kWikipediaIpv4Header;
    damaged[bit / 8] = static_cast<std::uint8_t>(damaged[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_NE(internet_checksum(damaged), 0) << "bit " << bit;
  }
}

// ---- RFC 1624 incremental update --------------------------------------------------------------------------------

// RFC 1624 §4: checksum 0xdd2f, a field changes from 0x5555 to 0x3285. Eqn. 3 gives 0x0000 (RFC 1141's eqn. 2 gave
// the wrong 0xffff), which is also what a full recompute gives.
TEST(ChecksumUpdate16, Rfc1624Example) { EXPECT_EQ(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000); }

// Builds data of `words` 16-bit words, changes word `index` to `new_word`, and compares the incremental update with
// a full recompute.
void expect_update_matches_recompute(std::vector<std::uint16_t> words, std::size_t index, std::uint16_t new_word) {
  auto to_bytes = [](const std::vector<std::uint16_t>& w) {
    Frame f(w.size() * 2);
    for (std::size_t i = 0; i < w.size(); ++i) packets::put16(f, i * 2, w[i]);
    return f;
  };
  const std::uint16_t old_checksum = reference_checksum(to_bytes(words));
  const std::uint16_t old_word = words[index];
  words[index] = new_word;
  const std::uint16_t recomputed = reference_checksum(to_bytes(words));
  EXPECT_EQ(checksum_update16(old_checksum, old_word, new_word), recomputed)
      << std::hex << "old checksum 0x" << old_checksum << ", word 0x" << old_word << " -> 0x" << new_word;
}

// RFC 1624's precondition is data with at least one non-zero word (an IP header always has one); under it eqn. 3
// equals a full recompute, including when that recompute is 0x0000.
TEST(ChecksumUpdate16, EqualsFullRecomputeOnRandomData) {
  std::mt19937 rng(1624);
  const std::uint16_t interesting[] = {0x0000, 0xffff, 0x0001, 0xfffe, 0x8000, 0x7fff};
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::uint16_t> words(1 + rng() % 40);
    for (auto& w : words) w = static_cast<std::uint16_t>(rng());
    const std::size_t index = rng() % words.size();
    std::uint16_t new_word = static_cast<std::uint16_t>(rng());
    if (rng() % 4 == 0) new_word = interesting[rng() % 6];
    if (rng() % 8 == 0) words[index] = interesting[rng() % 6];
    if (rng() % 16 == 0) new_word = words[index];  // no change at all
    bool others_zero = true;
    for (std::size_t i = 0; i < words.size(); ++i) others_zero = others_zero && (i == index || words[i] == 0);
    if (others_zero && new_word == 0) continue;  // the new data would be all zero: outside the precondition
    expect_update_matches_recompute(words, index, new_word);
    if (HasFailure()) FAIL() << "round " << round;
  }
}

TEST(ChecksumUpdate16, ZeroAndAllOnesEdgeCases) {
  // Data that sums to -0 (0xffff) after the change: the new checksum is 0x0000.
  expect_update_matches_recompute({0xff00, 0x00fe}, 1, 0x00ff);
  // The old checksum is 0x0000 and nothing changes: it stays 0x0000 (RFC 1624 erratum 4782's case).
  expect_update_matches_recompute({0xff00, 0x00ff}, 0, 0xff00);
  EXPECT_EQ(checksum_update16(0x0000, 0x5555, 0x5555), 0x0000);
  // A word becomes 0xffff or 0x0000 (both zeros of one's complement arithmetic).
  expect_update_matches_recompute({0x1234, 0x0000, 0x4321}, 1, 0xffff);
  expect_update_matches_recompute({0x1234, 0xffff, 0x4321}, 1, 0x0000);
  expect_update_matches_recompute({0xffff, 0xffff}, 0, 0x0000);
  // All-zero data (checksum 0xffff) gains a non-zero word.
  expect_update_matches_recompute({0x0000, 0x0000, 0x0000}, 2, 0x1234);
  expect_update_matches_recompute({0x0000}, 0, 0xffff);
  // The echo-reply change: type 8 -> 0 in the first word.
  expect_update_matches_recompute({0x0800, 0x1c2d, 0x0001}, 0, 0x0000);
}

}  // namespace
