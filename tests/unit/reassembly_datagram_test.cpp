// IPv4 fragment reassembly (RFC 791 §3.2, RFC 815): whole datagrams put back together from fragments fed in every
// order, the reassembled header, and datagrams kept apart by their key. Shared helpers: reassembly_fixture.hpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reassembly_fixture.hpp"

namespace reassembly_test {
namespace {

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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
  EXPECT_EQ(h.reassembler().bytes_held(), 0u);
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
    EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
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
  EXPECT_EQ(h.reassembler().datagrams_in_progress(), 0u);
}

}  // namespace
}  // namespace reassembly_test
