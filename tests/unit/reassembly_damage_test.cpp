// IPv4 fragment reassembly under damage: duplicates, overlaps and contradictions (RFC 5722 §4), and fragments of the
// wrong length or beyond 65535 bytes (RFC 791 §3.2). Shared helpers: reassembly_fixture.hpp.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "reassembly_fixture.hpp"

namespace reassembly_test {
namespace {

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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u);
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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u) << "RFC 5722 §4: the whole datagram is discarded";
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // Nothing of the condemned datagram lingers: the sender's retransmission of every fragment starts afresh.
  EXPECT_TRUE(same_bytes(feed(h, fragments, shuffled(fragments.size(), 3)), original));
  EXPECT_EQ(h.get(Counter::ipReasmOKs), 1u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Reassembly, Overlap,
    ::testing::Values(OverlapCase{"Head", {1}, 1400, 160, true},       // [1400,1560) over the head of [1480,2960)
                      OverlapCase{"Tail", {1}, 2880, 160, true},       // [2880,3040) over its tail
                      OverlapCase{"Inside", {1}, 1600, 80, true},      // strictly inside it
                      OverlapCase{"Covering", {1}, 1400, 1640, true},  // [1400,3040) covers it
                      OverlapCase{"SameStartShorter", {1}, 1480, 800, true},
                      OverlapCase{"SameStartLonger", {1}, 1480, 1560, true},
                      OverlapCase{"SameEndLaterStart", {1}, 2000, 960, true},
                      OverlapCase{"AcrossTwo", {0, 2}, 1400, 1640, true},   // bridges the hole into both sides
                      OverlapCase{"IntoTheLast", {2}, 2880, 160, true},     // over the head of the last fragment
                      OverlapCase{"LastOverLast", {2}, 3000, 1008, false},  // a second last fragment, same end
                      OverlapCase{"FirstOverFirst", {0}, 0, 1000, true},    // same start as the offset-0 fragment
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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // With part of the datagram already held, the whole datagram goes.
  ASSERT_FALSE(h.add(fragment(original, 0, 1480, true)).drop);
  EXPECT_EQ(h.add(fragment(original, 65520, 8, true)).drop, DropReason::reasm_oversize);  // 20 + 65528 > 65535
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmFails), 1u);

  // The other way round: the 24-byte first header is held, and a later fragment's own 20-byte header does not
  // excuse it.
  EXPECT_FALSE(h.add(fragment(with_options, 0, 1480, true)).drop);
  EXPECT_EQ(h.add(fragment(plain, 65512, 3, false)).drop, DropReason::reasm_oversize);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 1u) << "the datagram itself goes on";
  EXPECT_FALSE(h.add(f[2]).drop);
  const auto r = h.add(f[1]);
  ASSERT_TRUE(r.datagram);
  EXPECT_TRUE(same_bytes(*r.datagram, original));
  EXPECT_EQ(h.get(Counter::ipReasmFails), 0u);
  EXPECT_EQ(h.get(Counter::ipReasmReqds), 6u);

  // On a fragment of no datagram held, nothing is created.
  EXPECT_EQ(h.add(fragment(echo_datagram(4000, 1), 0, 1476, true)).drop, DropReason::reasm_bad_length);
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
}

TEST(Reassembly, FinalFragmentMayHaveAnyLength) {
  const Frame original = echo_datagram(4001, 0x0dd);  // 4009 bytes of payload: the last fragment carries 1049
  Harness h;
  EXPECT_TRUE(same_bytes(feed(h, linux_fragments(original), {2, 0, 1}), original));
}

}  // namespace
}  // namespace reassembly_test
