// IPv4 fragment reassembly (RFC 791 §3.2, RFC 815, RFC 5722 §4, RFC 1122 §3.3.2), on real datagrams cut the way
// Linux cuts them for a 1500-byte MTU (1480 payload bytes per fragment, each fragment with a full header and a
// correct checksum), fed in every order, damaged in every way, under the memory caps and with injected instants.
#include "stack/ipv4/ipv4_reassembler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "packets.hpp"
#include "stack/wire/ipv4.hpp"

// ---- allocation counting -----------------------------------------------------------------------------------------
// The whole test binary's operator new counts its calls, so a test can assert that steady-state reassembly does not
// allocate per fragment.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// None of these is inlined: GCC would otherwise see malloc() or free() meet operator new or delete, and warn
// (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using ministack::Counter;
using ministack::Counters;
using ministack::DropReason;
using ministack::Duration;
using ministack::Instant;
using ministack::Ipv4View;
using ministack::MutableBytes;
using ministack::Ipv4Reassembler;
using ministack::ReassemblyLimits;
using packets::ByteView;
using packets::Frame;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kLinuxFragmentPayload = 1480;  // MTU 1500 minus a 20-byte header

constexpr Instant kStart{seconds(1000)};
Instant at(Duration d) { return kStart + d; }

// An ICMP echo request with `data_size` bytes of ping's pattern: a whole datagram, MF and offset clear, as the sender
// builds it before cutting it.
Frame echo_datagram(std::size_t data_size, std::uint16_t id, Frame options = {}) {
  return packets::echo_request({.data = packets::pattern(data_size)},
                               {.identification = id, .flags_fragment = 0, .options = std::move(options)});
}

std::size_t header_length_of(ByteView datagram) { return std::size_t{datagram[0] & 0x0fu} * 4; }

// A fragment of `datagram` carrying its payload bytes [offset, offset + length), MF as given. The first fragment
// gets the datagram's whole header, options included; the others its first 20 bytes (IHL 5), as Linux does with
// options not marked "copied" (RFC 791 §3.1). Bytes past the datagram's payload (forged fragments) are 0xee.
Frame fragment(ByteView datagram, std::size_t offset, std::size_t length, bool more,
               std::optional<std::uint8_t> ttl = std::nullopt) {
  const std::size_t datagram_header = header_length_of(datagram);
  const std::size_t header = offset == 0 ? datagram_header : 20;
  Frame f(header + length, 0xee);
  std::copy_n(datagram.begin(), header, f.begin());
  if (offset != 0) f[0] = 0x45;
  for (std::size_t i = 0; i < length; ++i) {
    if (datagram_header + offset + i < datagram.size()) f[header + i] = datagram[datagram_header + offset + i];
  }
  packets::put16(f, 2, static_cast<std::uint16_t>(header + length));
  packets::put16(f, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  if (ttl) f[8] = *ttl;
  packets::put16(f, 10, 0);
  packets::put16(f, 10, packets::reference_checksum(ByteView{f}.first(header)));
  return f;
}

// The datagram cut as Linux cuts it: 1480 payload bytes per fragment, MF on all but the last.
std::vector<Frame> linux_fragments(ByteView datagram) {
  const std::size_t payload = datagram.size() - header_length_of(datagram);
  std::vector<Frame> out;
  for (std::size_t offset = 0; offset < payload; offset += kLinuxFragmentPayload) {
    const std::size_t length = std::min(kLinuxFragmentPayload, payload - offset);
    out.push_back(fragment(datagram, offset, length, offset + length < payload));
  }
  return out;
}

::testing::AssertionResult same_bytes(ByteView actual, ByteView expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << "size " << actual.size() << ", expected " << expected.size();
  }
  const auto diff = std::mismatch(actual.begin(), actual.end(), expected.begin());
  if (diff.first != actual.end()) {
    return ::testing::AssertionFailure() << "first difference at byte " << (diff.first - actual.begin()) << ": "
                                         << int{*diff.first} << ", expected " << int{*diff.second};
  }
  return ::testing::AssertionSuccess();
}

// A reassembler with its counters and a clock the test moves by hand.
struct Harness {
  explicit Harness(ReassemblyLimits limits = {}) : reassembler(limits, counters) {}

  Ipv4Reassembler::Result add(ByteView frame) {
    const auto ip = Ipv4View::parse(frame);
    if (!ip) {
      ADD_FAILURE() << "the test built a fragment that does not parse";
      return {};
    }
    return reassembler.add(*ip, now);
  }
  std::uint64_t get(Counter c) const { return counters.get(c); }
  std::uint64_t get(DropReason r) const { return counters.get(r); }

  Counters counters;
  Ipv4Reassembler reassembler;
  Instant now = kStart;
};

// Feeds `fragments` in the order given, expecting each to be accepted and the datagram to complete at the last one
// and not before. Returns a copy of the reassembled datagram (empty if it did not complete).
Frame feed(Harness& h, const std::vector<Frame>& fragments, const std::vector<std::size_t>& order) {
  Frame out;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto r = h.add(fragments.at(order[i]));
    EXPECT_FALSE(r.drop) << "fragment " << order[i] << ": " << describe(*r.drop).name;
    if (i + 1 < order.size()) {
      EXPECT_FALSE(r.datagram) << "completed early, at step " << i;
    } else if (r.datagram) {
      out.assign(r.datagram->begin(), r.datagram->end());
    }
  }
  EXPECT_FALSE(out.empty()) << "the datagram did not complete";
  return out;
}

std::vector<std::size_t> in_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  return order;
}

std::vector<std::size_t> reversed(std::size_t n) {
  auto order = in_order(n);
  std::reverse(order.begin(), order.end());
  return order;
}

std::vector<std::size_t> shuffled(std::size_t n, unsigned seed) {
  auto order = in_order(n);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

Frame feed_all(Harness& h, const std::vector<Frame>& fragments) {
  return feed(h, fragments, in_order(fragments.size()));
}

// ---- the datagrams themselves ---------------------------------------------------------------------------------

TEST(Reassembly, LinuxCutsAsExpected) {
  // ping -s 4000: 4008 ICMP bytes in 3 fragments; ping -s 65000: 65008 bytes in 44; ping -s 65507, the largest
  // datagram there is (65535 bytes), in 45.
  EXPECT_EQ(linux_fragments(echo_datagram(4000, 1)).size(), 3u);
  EXPECT_EQ(linux_fragments(echo_datagram(65000, 1)).size(), 44u);
  const Frame largest = echo_datagram(65507, 1);
  EXPECT_EQ(largest.size(), 65535u);
  const auto cut = linux_fragments(largest);
  ASSERT_EQ(cut.size(), 45u);
  for (const Frame& f : cut) EXPECT_TRUE(Ipv4View::parse(f)) << "each fragment is a valid IPv4 packet";
  EXPECT_EQ(packets::get16(cut[1], 6), 0x2000 | (1480 / 8));
  EXPECT_EQ(packets::get16(cut[44], 6), 44 * 1480 / 8) << "last: MF clear";
}

TEST(Reassembly, InOrder) {
  const Frame original = echo_datagram(4000, 0x1234);
  Harness h;
  EXPECT_TRUE(same_bytes(feed_all(h, linux_fragments(original)), original));
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 3u);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
  EXPECT_EQ(h.counters.total_drops(), 0u);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
}

TEST(Reassembly, ReverseOrder) {
  const Frame original = echo_datagram(4000, 0x1234);
  Harness h;
  const auto fragments = linux_fragments(original);
  EXPECT_TRUE(same_bytes(feed(h, fragments, reversed(fragments.size())), original));
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
}

TEST(Reassembly, Largest65000ByteEchoIn44FragmentsAnyOrder) {
  const Frame original = echo_datagram(65000, 0x4242);
  const auto fragments = linux_fragments(original);
  ASSERT_EQ(fragments.size(), 44u);
  Harness h;
  EXPECT_TRUE(same_bytes(feed_all(h, fragments), original));
  EXPECT_TRUE(same_bytes(feed(h, fragments, reversed(fragments.size())), original));
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 88u);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 2u);
}

TEST(Reassembly, MaximalDatagramIn45Fragments) {
  const Frame original = echo_datagram(65507, 7);  // 65535 bytes: exactly the limit, so not oversize
  const auto fragments = linux_fragments(original);
  ASSERT_EQ(fragments.size(), 45u);
  Harness h;
  const Frame whole = feed(h, fragments, shuffled(fragments.size(), 45));
  EXPECT_TRUE(same_bytes(whole, original));
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 45u);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
}

TEST(Reassembly, RandomOrders) {
  for (const std::size_t size : {std::size_t{4000}, std::size_t{65000}}) {
    const Frame original = echo_datagram(size, 99);
    const auto fragments = linux_fragments(original);
    Harness h;
    for (unsigned seed = 1; seed <= 20; ++seed) {
      EXPECT_TRUE(same_bytes(feed(h, fragments, shuffled(fragments.size(), seed)), original))
          << "size " << size << ", seed " << seed;
    }
    EXPECT_EQ(h.get(Counter::ipReasmOKs), 20u);
    EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
    EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  }
}

TEST(Reassembly, ReassembledHeaderIsTheFirstFragmentsWithTotalLengthAndFreshChecksum) {
  // The first fragment carries options (IHL 6) and TTL 64; the others have IHL 5 and TTL 50. The result must be the
  // original datagram: the offset-0 fragment's header, options and all (RFC 791 §3.2).
  const Frame original = echo_datagram(3000, 0x0bad, {0x01, 0x01, 0x01, 0x00});  // NOP NOP NOP EOL
  ASSERT_EQ(header_length_of(original), 24u);
  const std::size_t payload = original.size() - 24;
  const std::vector<Frame> fragments = {fragment(original, 1480, 1480, true, 50),
                                        fragment(original, 2960, payload - 2960, false, 50),
                                        fragment(original, 0, 1480, true)};
  ASSERT_EQ(fragments[0][0], 0x45);
  ASSERT_EQ(fragments[2][0], 0x46);
  Harness h;
  const Frame whole = feed_all(h, fragments);
  ASSERT_TRUE(same_bytes(whole, original));
  EXPECT_EQ(whole[0], 0x46) << "IHL as received in the first fragment";
  EXPECT_EQ(packets::get16(whole, 2), original.size()) << "total length of the whole datagram";
  EXPECT_EQ(packets::get16(whole, 6), 0) << "MF and offset cleared";
  EXPECT_EQ(whole[8], 64) << "TTL of the offset-0 fragment";
  EXPECT_EQ(packets::reference_checksum(ByteView{whole}.first(24)), 0) << "header checksum verifies";
}

TEST(Reassembly, CompletedDatagramIsWritableWithHeadroomAndRoom) {
  // The smallest fragmented datagram there is: 8 bytes, then 1. The caller builds replies (and Ethernet headers
  // and padding) in place around it, so every byte of `buffer` must be writable (ASan checks this).
  const Frame original = packets::ipv4({.identification = 5, .flags_fragment = 0}, packets::pattern(9));
  Harness h;
  ASSERT_FALSE(h.add(fragment(original, 8, 1, false)).datagram);
  const auto r = h.add(fragment(original, 0, 8, true));
  ASSERT_TRUE(r.datagram);
  const MutableBytes datagram = *r.datagram;
  EXPECT_TRUE(same_bytes(datagram, original));
  ASSERT_GE(r.buffer.size(), Ipv4Reassembler::kHeadroom + std::max(datagram.size(), Ipv4Reassembler::kMinRoom));
  EXPECT_EQ(r.buffer.data() + Ipv4Reassembler::kHeadroom, datagram.data());
  std::fill(r.buffer.begin(), r.buffer.end(), std::uint8_t{0x5a});
  EXPECT_EQ(datagram[0], 0x5a);
}

TEST(Reassembly, InterleavedDatagramsKeptApartByTheirKey) {
  // RFC 791 §3.2: source, destination, protocol and identification together name a datagram. Five datagrams share
  // an identification or a size; their fragments arrive interleaved and shuffled.
  const std::uint16_t id = 0x7777;
  std::vector<Frame> originals = {
      echo_datagram(4000, id),
      echo_datagram(65000, static_cast<std::uint16_t>(id + 1)),
      packets::ipv4({.identification = id, .flags_fragment = 0, .protocol = 17}, packets::pattern(4008, 0x80)),
      packets::ipv4({.identification = id, .flags_fragment = 0, .source = packets::ipv4_address(192, 168, 3, 77)},
                    packets::pattern(4008, 0x33)),
      packets::ipv4({.identification = id, .flags_fragment = 0, .destination = packets::ipv4_address(10, 0, 0, 1)},
                    packets::pattern(4008, 0x44)),
  };
  std::vector<std::vector<Frame>> cut;
  for (const Frame& d : originals) cut.push_back(linux_fragments(d));
  std::vector<std::pair<std::size_t, std::size_t>> schedule;  // (datagram, fragment)
  for (std::size_t d = 0; d < cut.size(); ++d) {
    for (std::size_t f = 0; f < cut[d].size(); ++f) schedule.emplace_back(d, f);
  }
  std::mt19937 rng(2024);
  std::shuffle(schedule.begin(), schedule.end(), rng);

  Harness h;
  std::vector<std::size_t> seen(cut.size(), 0);
  std::vector<bool> completed(cut.size(), false);
  for (const auto& [d, f] : schedule) {
    const auto r = h.add(cut[d][f]);
    EXPECT_FALSE(r.drop);
    ++seen[d];
    if (seen[d] < cut[d].size()) {
      EXPECT_FALSE(r.datagram) << "datagram " << d << " completed early";
    } else {
      ASSERT_TRUE(r.datagram) << "datagram " << d;
      EXPECT_TRUE(same_bytes(*r.datagram, originals[d])) << "datagram " << d;
      completed[d] = true;
    }
  }
  EXPECT_EQ(std::count(completed.begin(), completed.end(), true), 5);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 5u);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
}

// ---- duplicates, overlaps, contradictions ----------------------------------------------------------------------

TEST(Reassembly, ExactDuplicatesAreDroppedAndTheDatagramGoesOn) {
  const Frame original = echo_datagram(4000, 3);
  const auto f = linux_fragments(original);
  Harness h;
  EXPECT_FALSE(h.add(f[0]).drop);
  EXPECT_EQ(h.add(f[0]).drop, DropReason::reasm_duplicate);
  EXPECT_FALSE(h.add(f[2]).drop);
  EXPECT_EQ(h.add(f[2]).drop, DropReason::reasm_duplicate) << "a repeated last fragment agrees with itself";
  EXPECT_EQ(h.add(f[0]).drop, DropReason::reasm_duplicate);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u);
  const auto r = h.add(f[1]);
  ASSERT_TRUE(r.datagram);
  EXPECT_TRUE(same_bytes(*r.datagram, original));
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 6u);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
  // A drop reported in the Result is the caller's to count (Stack::drop does), so it is not counted twice.
  EXPECT_EQ(h.get(DropReason::reasm_duplicate), 0u);
}

struct OverlapCase {
  const char* name;
  std::vector<std::size_t> held;  // Linux fragments of a 4000-byte echo (0: [0,1480), 1: [1480,2960), 2: [2960,4008))
  std::size_t offset;             // the overlapping fragment, cut from the same datagram: same bytes, still dropped
  std::size_t length;
  bool more;
  // A fragment that contradicts the end a last fragment fixed is a conflict, not an overlap (gVisor's
  // ErrFragmentConflict); both condemn the datagram.
  DropReason reason = DropReason::reasm_overlap;
};

void PrintTo(const OverlapCase& c, std::ostream* os) { *os << c.name; }

class Overlap : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(Overlap, DropsTheWholeDatagramThenACleanRetransmissionReassembles) {
  const OverlapCase& c = GetParam();
  const Frame original = echo_datagram(4000, 0x0f0f);
  const auto fragments = linux_fragments(original);
  Harness h;
  for (const std::size_t i : c.held) ASSERT_FALSE(h.add(fragments[i]).drop);
  const auto r = h.add(fragment(original, c.offset, c.length, c.more));
  EXPECT_EQ(r.drop, c.reason);
  EXPECT_FALSE(r.datagram);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u) << "RFC 5722 §4: the whole datagram is discarded";
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // Nothing of the condemned datagram lingers: the sender's retransmission of every fragment starts afresh.
  EXPECT_TRUE(same_bytes(feed(h, fragments, shuffled(fragments.size(), 3)), original));
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Reassembly, Overlap,
    ::testing::Values(OverlapCase{"Head", {1}, 1400, 160, true},          // [1400,1560) over the head of [1480,2960)
                      OverlapCase{"Tail", {1}, 2880, 160, true},          // [2880,3040) over its tail
                      OverlapCase{"Inside", {1}, 1600, 80, true},         // strictly inside it
                      OverlapCase{"Covering", {1}, 1400, 1640, true},     // [1400,3040) covers it
                      OverlapCase{"SameStartShorter", {1}, 1480, 800, true},
                      OverlapCase{"SameStartLonger", {1}, 1480, 1560, true},
                      OverlapCase{"SameEndLaterStart", {1}, 2000, 960, true},
                      OverlapCase{"AcrossTwo", {0, 2}, 1400, 1640, true},     // bridges the hole into both sides
                      OverlapCase{"IntoTheLast", {2}, 2880, 160, true},       // over the head of the last fragment
                      OverlapCase{"LastOverLast", {2}, 3000, 1008, false},    // a second last fragment, same end
                      OverlapCase{"FirstOverFirst", {0}, 0, 1000, true},      // same start as the offset-0 fragment
                      OverlapCase{"SecondLastEarlier", {2}, 1480, 8, false, DropReason::reasm_conflict},  // another end
                      OverlapCase{"SecondLastLater", {2}, 4008, 8, false, DropReason::reasm_conflict},
                      OverlapCase{"DataBeyondTheEnd", {2}, 4008, 8, true, DropReason::reasm_conflict},  // past it
                      OverlapCase{"LastBeforeData", {1}, 1000, 8, false, DropReason::reasm_conflict}),  // before data
    [](const ::testing::TestParamInfo<OverlapCase>& param) { return std::string(param.param.name); });

// ---- lengths ----------------------------------------------------------------------------------------------------

TEST(Reassembly, OversizeIsDropped) {
  // The ping of death: offset 65528 plus 16 bytes reaches past 65535.
  const Frame original = echo_datagram(4000, 0x0dea);
  Harness h;
  const auto r = h.add(fragment(original, 65528, 16, false));
  EXPECT_EQ(r.drop, DropReason::reasm_oversize);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // With part of the datagram already held, the whole datagram goes.
  ASSERT_FALSE(h.add(fragment(original, 0, 1480, true)).drop);
  EXPECT_EQ(h.add(fragment(original, 65520, 8, true)).drop, DropReason::reasm_oversize);  // 20 + 65528 > 65535
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 2u);
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 3u);
}

TEST(Reassembly, OversizeCountsTheFirstFragmentsHeader) {
  // A last fragment ending at payload byte 65515 is fine under a 20-byte header (exactly 65535), but not once the
  // offset-0 fragment turns out to carry 4 bytes of options.
  const Frame plain = echo_datagram(4000, 0x0ab0);
  const Frame with_options = echo_datagram(4000, 0x0ab0, {0x01, 0x01, 0x01, 0x00});
  Harness h;
  EXPECT_FALSE(h.add(fragment(plain, 65512, 3, false)).drop);
  EXPECT_EQ(h.add(fragment(with_options, 0, 1480, true)).drop, DropReason::reasm_oversize);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // The other way round: the 24-byte first header is held, and a later fragment's own 20-byte header does not
  // excuse it.
  EXPECT_FALSE(h.add(fragment(with_options, 0, 1480, true)).drop);
  EXPECT_EQ(h.add(fragment(plain, 65512, 3, false)).drop, DropReason::reasm_oversize);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 2u);
}

TEST(Reassembly, NonFinalFragmentWithBadLengthIsDroppedAlone) {
  const Frame original = echo_datagram(4000, 0x0b1d);
  const auto f = linux_fragments(original);
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  // RFC 791 §3.2: all but the last fragment carry a multiple of 8 octets.
  EXPECT_EQ(h.add(fragment(original, 1480, 1001, true)).drop, DropReason::reasm_bad_length);
  EXPECT_EQ(h.add(fragment(original, 1480, 0, true)).drop, DropReason::reasm_bad_length) << "no data at all";
  EXPECT_EQ(h.add(fragment(original, 4008, 0, false)).drop, DropReason::reasm_bad_length) << "no data at all";
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u) << "the datagram itself goes on";
  EXPECT_FALSE(h.add(f[2]).drop);
  const auto r = h.add(f[1]);
  ASSERT_TRUE(r.datagram);
  EXPECT_TRUE(same_bytes(*r.datagram, original));
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 6u);

  // On a fragment of no datagram held, nothing is created.
  EXPECT_EQ(h.add(fragment(echo_datagram(4000, 1), 0, 1476, true)).drop, DropReason::reasm_bad_length);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
}

TEST(Reassembly, FinalFragmentMayHaveAnyLength) {
  const Frame original = echo_datagram(4001, 0x0dd);  // 4009 bytes of payload: the last fragment carries 1049
  Harness h;
  EXPECT_TRUE(same_bytes(feed(h, linux_fragments(original), {2, 0, 1}), original));
}

// ---- timeout (RFC 1122 §3.3.2) ----------------------------------------------------------------------------------

TEST(Reassembly, TimeoutJustBeforeAndJustAfter30Seconds) {
  const auto f = linux_fragments(echo_datagram(4000, 0x7101));
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.reassembler.expire(at(milliseconds(29'999)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u);
  h.reassembler.expire(at(seconds(30)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u) << "dropped only after more than 30 s";
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 0u);
  h.reassembler.expire(at(milliseconds(30'001)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 1u) << "counted here: the caller never sees this drop";
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // The late fragments cannot complete it: the first is gone.
  h.now = at(seconds(31));
  EXPECT_FALSE(h.add(f[1]).datagram);
  EXPECT_FALSE(h.add(f[2]).datagram);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u);
}

TEST(Reassembly, TimeoutAppliesAtTheNextAdd) {
  const auto a = linux_fragments(echo_datagram(4000, 0x7201));
  const auto b = linux_fragments(echo_datagram(4000, 0x7202));
  Harness h;
  ASSERT_FALSE(h.add(a[0]).drop);
  h.now = at(milliseconds(30'001));
  ASSERT_FALSE(h.add(b[0]).drop);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u);
  EXPECT_EQ(h.get(DropReason::reasm_timeout), 1u);
  EXPECT_FALSE(h.add(a[1]).datagram);
  EXPECT_FALSE(h.add(a[2]).datagram) << "a's first fragment timed out";
}

TEST(Reassembly, TimeoutRunsFromTheFirstFragmentNotTheLatest) {
  const auto f = linux_fragments(echo_datagram(4000, 0x7301));
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.now = at(seconds(20));
  ASSERT_FALSE(h.add(f[1]).drop);
  h.reassembler.expire(at(milliseconds(30'001)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
}

TEST(Reassembly, CompletesAtExactlyTheTimeout) {
  const Frame original = echo_datagram(4000, 0x7401);
  const auto f = linux_fragments(original);
  Harness h;
  ASSERT_FALSE(h.add(f[0]).drop);
  h.now = at(seconds(10));
  ASSERT_FALSE(h.add(f[2]).drop);
  h.now = at(seconds(30));
  const auto r = h.add(f[1]);
  ASSERT_TRUE(r.datagram);
  EXPECT_TRUE(same_bytes(*r.datagram, original));
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
}

TEST(Reassembly, TimeoutFollowsTheLimits) {
  Harness h({.max_datagrams = 64, .max_bytes = 4 * 1024 * 1024, .timeout = seconds(5)});
  ASSERT_FALSE(h.add(linux_fragments(echo_datagram(4000, 1))[0]).drop);
  h.reassembler.expire(at(milliseconds(5'000)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 1u);
  h.reassembler.expire(at(milliseconds(5'001)));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
}

// ---- caps and eviction ------------------------------------------------------------------------------------------

// The fragments of n 4000-byte echo requests, with ids from `first_id` on.
std::vector<std::vector<Frame>> small_datagrams(std::size_t n, std::uint16_t first_id) {
  std::vector<std::vector<Frame>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(linux_fragments(echo_datagram(4000, static_cast<std::uint16_t>(first_id + i))));
  }
  return out;
}

// Starts a 4000-byte echo with its last fragment, so its length is known from the start.
void start(Harness& h, const std::vector<Frame>& f) { ASSERT_FALSE(h.add(f[2]).drop); }
// Sends the rest; true if that completed the datagram.
bool finish(Harness& h, const std::vector<Frame>& f) {
  EXPECT_FALSE(h.add(f[0]).datagram);
  return h.add(f[1]).datagram.has_value();
}

TEST(Reassembly, EvictsTheOldestUnderMaxDatagrams) {
  const auto d = small_datagrams(5, 0x8000);
  Harness h({.max_datagrams = 3});
  start(h, d[0]);
  start(h, d[1]);
  start(h, d[2]);
  EXPECT_FALSE(h.add(d[0][0]).drop);  // recent activity does not make d0 younger: age counts from its first fragment
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 3u);
  start(h, d[3]);  // evicts d0
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 3u);
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  start(h, d[4]);  // evicts d1
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 2u);

  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_TRUE(finish(h, d[3]));
  EXPECT_TRUE(finish(h, d[4]));
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_FALSE(finish(h, d[0])) << "d0 was evicted";
  EXPECT_FALSE(finish(h, d[1])) << "d1 was evicted";
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 3u);
}

TEST(Reassembly, EvictsTheOldestUnderMaxBytes) {
  const auto d = small_datagrams(4, 0x8100);
  // What one such datagram holds, measured rather than assumed.
  std::size_t one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler.bytes_held();
    ASSERT_GT(one, 4008u) << "at least its payload";
  }
  const std::size_t cap = 3 * one + one / 2;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  start(h, d[0]);
  start(h, d[1]);
  start(h, d[2]);
  EXPECT_EQ(h.reassembler.bytes_held(), 3 * one);
  start(h, d[3]);  // room for three and a half: d0 goes
  EXPECT_LE(h.reassembler.bytes_held(), cap);
  EXPECT_LE(h.reassembler.bytes_reserved(), cap);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 3u);
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  EXPECT_TRUE(finish(h, d[1]));
  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_TRUE(finish(h, d[3]));
  EXPECT_FALSE(finish(h, d[0])) << "d0 was evicted";
}

TEST(Reassembly, GrowthEvictsTheOldestOthersFirst) {
  const auto d = small_datagrams(3, 0x8200);
  const Frame big = echo_datagram(65000, 0x8299);
  const auto big_fragments = linux_fragments(big);
  std::size_t one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler.bytes_held();
  }
  // Room for the three small ones and 12 kB more; the big one, fed in order, grows past that.
  const std::size_t cap = 3 * one + 12'000;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  for (const auto& f : d) start(h, f);
  std::size_t fed = 0;
  while (h.get(DropReason::reasm_evicted) == 0 && fed < 12) {
    ASSERT_FALSE(h.add(big_fragments[fed++]).drop);
    ASSERT_LE(h.reassembler.bytes_reserved(), cap);
  }
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 1u) << "growing the big datagram evicted one";
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 3u);
  EXPECT_TRUE(finish(h, d[1]));
  EXPECT_TRUE(finish(h, d[2]));
  EXPECT_FALSE(finish(h, d[0])) << "the oldest, d0, was the one evicted";
}

TEST(Reassembly, IdleBuffersAreReleasedBeforeAnyDatagramIsEvicted) {
  const auto d = small_datagrams(4, 0x8400);
  const auto big = linux_fragments(echo_datagram(65000, 0x84ff));
  std::size_t one = 0;
  std::size_t big_one = 0;
  {
    Harness probe;
    start(probe, d[0]);
    one = probe.reassembler.bytes_held();
    Harness probe_big;
    ASSERT_FALSE(probe_big.add(big.back()).drop);
    big_one = probe_big.reassembler.bytes_held();
  }
  const std::size_t cap = big_one + one + one / 2;
  Harness h({.max_datagrams = 64, .max_bytes = cap});
  // Three datagrams at once, completed, leave three idle buffers behind, kept for reuse; a fourth datagram
  // reuses one.
  for (std::size_t i = 0; i < 3; ++i) start(h, d[i]);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(finish(h, d[i]));
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
  start(h, d[3]);
  EXPECT_EQ(h.reassembler.bytes_held(), one);
  EXPECT_EQ(h.reassembler.bytes_reserved(), 3 * one);
  // The big datagram needs nearly the whole cap: the idle buffers go, the datagram in progress stays.
  ASSERT_FALSE(h.add(big.back()).drop);
  EXPECT_LE(h.reassembler.bytes_reserved(), cap);
  EXPECT_EQ(h.reassembler.bytes_held(), h.reassembler.bytes_reserved());
  EXPECT_EQ(h.get(DropReason::reasm_evicted), 0u);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 2u);
  EXPECT_TRUE(finish(h, d[3]));
}

TEST(Reassembly, ANewDatagramTakesTheSmallestIdleBufferThatFits) {
  // Warm up with a big and a small datagram at once, leaving a big and a small idle buffer. Then a small one
  // arrives first: if it took the big buffer, the big one after it would have to allocate.
  const Frame warm_big = echo_datagram(65000, 0x8501);
  const Frame warm_small = echo_datagram(4000, 0x8502);
  const auto next_small = linux_fragments(echo_datagram(4000, 0x8503));
  const auto next_big = linux_fragments(echo_datagram(65000, 0x8504));
  Harness h;
  EXPECT_FALSE(h.add(linux_fragments(warm_big)[0]).drop);
  EXPECT_TRUE(same_bytes(feed_all(h, linux_fragments(warm_small)), warm_small));
  const auto big_fragments = linux_fragments(warm_big);
  std::vector<std::size_t> rest = reversed(big_fragments.size());
  rest.pop_back();  // fragment 0 is already held
  EXPECT_TRUE(same_bytes(feed(h, big_fragments, rest), warm_big));

  const std::size_t before = g_allocations.load();
  EXPECT_FALSE(h.add(next_small.back()).drop);
  EXPECT_FALSE(h.add(next_big.back()).drop);
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

TEST(Reassembly, BytesHeldCountsTheRecordOfEveryPiece) {
  // 8-byte fragments at every other 8 bytes: 4000 pieces that never join up. Their record costs memory too (at
  // least 4 bytes each, two 16-bit numbers), and counts against the cap.
  const Frame source = echo_datagram(65000, 0x8601);
  Harness h;
  for (std::size_t offset = 0; offset < 64'000; offset += 16) {
    ASSERT_FALSE(h.add(fragment(source, offset, 8, true)).drop) << offset;
  }
  EXPECT_GE(h.reassembler.bytes_held(), 63'992 + 4000 * 4);

  Harness tight({.max_datagrams = 64, .max_bytes = 70'000});
  std::optional<DropReason> dropped;
  for (std::size_t offset = 0; offset < 64'000 && !dropped; offset += 16) {
    dropped = tight.add(fragment(source, offset, 8, true)).drop;
    ASSERT_LE(tight.reassembler.bytes_reserved(), 70'000u) << offset;
  }
  EXPECT_EQ(dropped, DropReason::reasm_evicted) << "the piece list outgrew the cap";
  EXPECT_EQ(tight.reassembler.datagrams_in_progress(), 0u);
}

TEST(Reassembly, FragmentThatCannotFitAtAllIsDropped) {
  Harness h({.max_datagrams = 64, .max_bytes = 10'000});
  const Frame original = echo_datagram(4000, 0x8301);
  ASSERT_FALSE(h.add(fragment(original, 0, 1480, true)).drop);
  // Offset 60000 needs a buffer of 60 kB: more than the cap even with nothing else held.
  const auto r = h.add(fragment(original, 60000, 1480, true));
  EXPECT_EQ(r.drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u) << "that datagram could never complete";
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
  const auto alone = h.add(fragment(echo_datagram(4000, 0x8302), 60000, 1480, true));
  EXPECT_EQ(alone.drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 2u);
  // A datagram that fits still reassembles.
  const Frame small = echo_datagram(4000, 0x8303);
  EXPECT_TRUE(same_bytes(feed_all(h, linux_fragments(small)), small));
}

TEST(Reassembly, NoDatagramsAllowedMeansEveryFragmentIsDropped) {
  Harness h({.max_datagrams = 0});
  EXPECT_EQ(h.add(linux_fragments(echo_datagram(4000, 1))[0]).drop, DropReason::reasm_evicted);
  EXPECT_EQ(h.reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler.bytes_held(), 0u);
}

// Tens of thousands of fragments that never complete, each of a datagram of its own: the caps hold after every
// single one, and a normal datagram still gets through afterwards.
// Returns the most datagrams seen in progress at once.
std::size_t flood(const ReassemblyLimits& limits, unsigned seed, std::size_t min_offset, std::size_t max_offset) {
  Harness h(limits);
  std::size_t most = 0;
  std::mt19937 rng(seed);
  const Frame source = echo_datagram(65000, 0);
  constexpr std::size_t kFragments = 30'000;
  for (std::size_t i = 0; i < kFragments; ++i) {
    const std::size_t offset = 8 * std::uniform_int_distribution<std::size_t>(min_offset / 8, max_offset / 8)(rng);
    const std::size_t length = 8 * std::uniform_int_distribution<std::size_t>(1, kLinuxFragmentPayload / 8)(rng);
    Frame f = fragment(source, offset, length, true);
    packets::put16(f, 4, static_cast<std::uint16_t>(i));  // distinct ids (30000 < 65536)
    packets::put16(f, 10, 0);
    packets::put16(f, 10, packets::reference_checksum(ByteView{f}.first(header_length_of(f))));
    const auto r = h.add(f);
    EXPECT_FALSE(r.datagram) << i;
    EXPECT_LE(h.reassembler.bytes_held(), limits.max_bytes) << "after fragment " << i;
    EXPECT_LE(h.reassembler.bytes_reserved(), limits.max_bytes) << "after fragment " << i;
    EXPECT_LE(h.reassembler.datagrams_in_progress(), limits.max_datagrams) << "after fragment " << i;
    if (h.reassembler.bytes_held() > limits.max_bytes || h.reassembler.bytes_reserved() > limits.max_bytes ||
        h.reassembler.datagrams_in_progress() > limits.max_datagrams) {
      ADD_FAILURE() << "over a cap after fragment " << i;
      return most;
    }
    most = std::max(most, h.reassembler.datagrams_in_progress());
  }
  EXPECT_EQ(h.get(Counter::ipReasmReqds), kFragments);
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 0u);
  EXPECT_GT(h.get(DropReason::reasm_evicted), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), h.get(DropReason::reasm_evicted) +
                                              h.counters.get(DropReason::reasm_oversize))
      << "every datagram given up is counted once";

  const Frame normal = echo_datagram(4000, 0xffff);
  EXPECT_TRUE(same_bytes(feed(h, linux_fragments(normal), {1, 2, 0}), normal));
  const Frame large = echo_datagram(65000, 0xfffe);
  const auto large_fragments = linux_fragments(large);
  if (limits.max_bytes >= 70'000) {
    EXPECT_TRUE(same_bytes(feed(h, large_fragments, shuffled(large_fragments.size(), seed)), large));
  }
  return most;
}

TEST(Reassembly, FloodWithinDefaultLimits) {
  EXPECT_EQ(flood(ReassemblyLimits{}, 1, 0, 64'000), 64u) << "max_datagrams is what binds";
}

TEST(Reassembly, FloodOfHighOffsetsHitsMaxBytes) {
  // Every fragment far into its datagram, so each needs a buffer of 60 kB or more: the memory cap is what binds.
  EXPECT_LE(flood(ReassemblyLimits{}, 2, 60'000, 64'000), 64u);
  EXPECT_LE(flood({.max_datagrams = 64, .max_bytes = 300'000}, 3, 60'000, 64'000), 5u);
}

TEST(Reassembly, FloodWithTightLimits) {
  EXPECT_EQ(flood({.max_datagrams = 8, .max_bytes = 100'000}, 4, 0, 8'000), 8u);
}

// ---- allocation ------------------------------------------------------------------------------------------------

TEST(Reassembly, SteadyStateDoesNotAllocate) {
  // Three datagrams at a time, their fragments shuffled together: after one round of 65000-byte datagrams to warm
  // the slots up, further rounds (65000 bytes again, then 4000) allocate nothing at all.
  constexpr int kRounds = 3;
  std::vector<std::vector<Frame>> rounds[kRounds];
  std::vector<Frame> originals;
  for (int round = 0; round < kRounds; ++round) {
    for (std::uint16_t i = 0; i < 3; ++i) {
      originals.push_back(echo_datagram(round < 2 ? 65000 : 4000, static_cast<std::uint16_t>(round * 3 + i)));
      rounds[round].push_back(linux_fragments(originals.back()));
    }
  }
  Harness h;
  std::size_t allocations_per_round[kRounds] = {};
  std::size_t completed = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::pair<std::size_t, std::size_t>> schedule;
    for (std::size_t d = 0; d < 3; ++d) {
      for (std::size_t f = 0; f < rounds[round][d].size(); ++f) schedule.emplace_back(d, f);
    }
    std::mt19937 rng(static_cast<unsigned>(round + 10));
    std::shuffle(schedule.begin(), schedule.end(), rng);
    for (const auto& [d, f] : schedule) {
      const std::size_t before = g_allocations.load();
      const auto r = h.add(rounds[round][d][f]);
      allocations_per_round[round] += g_allocations.load() - before;
      if (r.datagram) {
        EXPECT_TRUE(same_bytes(*r.datagram, originals[static_cast<std::size_t>(round) * 3 + d]));
        ++completed;
      }
    }
  }
  EXPECT_EQ(completed, 9u);
  EXPECT_GT(allocations_per_round[0], 0u) << "the counting works";
  EXPECT_EQ(allocations_per_round[1], 0u) << "slots and buffers are reused";
  EXPECT_EQ(allocations_per_round[2], 0u) << "a smaller datagram fits a bigger buffer";
}

TEST(Reassembly, InOrderGrowthDoesNotAllocatePerFragment) {
  const Frame original = echo_datagram(65000, 0x9001);
  const auto fragments = linux_fragments(original);
  Harness h;
  const std::size_t before = g_allocations.load();
  Frame whole;
  for (const Frame& f : fragments) {
    const auto r = h.add(f);
    if (r.datagram) whole.assign(r.datagram->begin(), r.datagram->end());
  }
  const std::size_t allocations = g_allocations.load() - before - 1;  // less whole's own
  EXPECT_TRUE(same_bytes(whole, original));
  // 44 fragments: the buffer and the piece list grow geometrically (about 7 and 4 steps), plus the slot itself.
  EXPECT_LE(allocations, 14u);
}

}  // namespace
