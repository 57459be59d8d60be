// TCP segments (RFC 9293 §3.1, §3.2): the checked view, the options walk, SEG.LEN, and finish_tcp(). Segments are
// built byte by byte by packets::tcp, with checksums from packets::reference_checksum, never from the code under test.
#include "stack/wire/tcp.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "packets.hpp"

namespace {

using ministack::Bytes;
using ministack::DropReason;
using ministack::finish_tcp;
using ministack::Ipv4Address;
using ministack::MutableBytes;
using ministack::TcpHeader;
using ministack::TcpView;
using packets::Frame;
namespace flag = packets::tcp_flags;

constexpr Ipv4Address kClient = packets::ipv4_address(192, 168, 3, 11);
constexpr Ipv4Address kServer = packets::ipv4_address(192, 168, 3, 12);

// The options of a Linux SYN (6.x, as in `nc`'s): MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const Frame kLinuxSynOptions = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x12, 0x34,
                                0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

Frame segment(packets::Tcp t) {
  t.source = kClient;
  t.destination = kServer;
  return packets::tcp(t);
}

ministack::Parsed<TcpView> parse(const Frame& f) { return TcpView::parse(Bytes{f}, kClient, kServer); }

std::string reason_name(const ministack::Parsed<TcpView>& p) {
  return p ? std::string{"parsed"} : std::string{ministack::describe(p.reason()).name};
}

TEST(TcpView, ParsesALinuxSynWithItsOptions) {
  const Frame syn = segment({.source_port = 51000,
                             .destination_port = 7,
                             .sequence = 0xdeadbeef,
                             .flags = flag::syn,
                             .window = 64240,
                             .options = kLinuxSynOptions});
  const auto view = parse(syn);
  ASSERT_TRUE(view) << reason_name(view);
  EXPECT_EQ(view->source_port(), 51000);
  EXPECT_EQ(view->destination_port(), 7);
  EXPECT_EQ(view->sequence_number(), 0xdeadbeefu);
  EXPECT_EQ(view->acknowledgment_number(), 0u);
  EXPECT_EQ(view->header_length(), 40u);
  EXPECT_EQ(view->flags(), flag::syn);
  EXPECT_EQ(view->window(), 64240);
  EXPECT_TRUE(view->payload().empty());
  EXPECT_EQ(view->segment_length(), 1u) << "a SYN occupies one sequence number";
  const auto& o = view->parsed_options();
  EXPECT_EQ(o.mss, 1460);
  EXPECT_EQ(o.window_scale, 7);
  EXPECT_TRUE(o.sack_permitted);
  ASSERT_TRUE(o.timestamps);
  EXPECT_EQ(o.timestamps->value, 0x12345678u);
  EXPECT_EQ(o.timestamps->echo, 0u);
}

TEST(TcpView, SegmentLengthCountsDataSynAndFin) {
  const Frame data = packets::bytes_of("hello");
  EXPECT_EQ(parse(segment({.flags = flag::ack, .payload = data}))->segment_length(), 5u);
  EXPECT_EQ(parse(segment({.flags = flag::syn, .payload = data}))->segment_length(), 6u);
  EXPECT_EQ(parse(segment({.flags = flag::fin | flag::ack, .payload = data}))->segment_length(), 6u);
  EXPECT_EQ(parse(segment({.flags = flag::syn | flag::fin}))->segment_length(), 2u);
  EXPECT_EQ(parse(segment({.flags = flag::ack}))->segment_length(), 0u);
}

TEST(TcpView, RejectsEverySegmentShorterThanItsHeader) {
  const Frame syn = segment({});
  for (std::size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(reason_name(parse(Frame(syn.begin(), syn.begin() + static_cast<std::ptrdiff_t>(n)))), "tcp_truncated")
        << n << " bytes";
  }
}

TEST(TcpView, RejectsDataOffsetsBelowFiveOrPastTheSegment) {
  for (std::uint8_t offset = 0; offset < 5; ++offset) {
    EXPECT_EQ(reason_name(parse(segment({.data_offset = offset}))), "tcp_bad_data_offset") << "offset " << +offset;
  }
  // 6 words of header in a 20-byte segment; 15 words in 40 bytes.
  EXPECT_EQ(reason_name(parse(segment({.data_offset = 6}))), "tcp_bad_data_offset");
  EXPECT_EQ(reason_name(parse(segment({.options = kLinuxSynOptions, .data_offset = 15}))), "tcp_bad_data_offset");
  // The largest header: 15 words, 40 bytes of NOPs.
  EXPECT_TRUE(parse(segment({.options = Frame(40, 0x01)})));
}

// Any single bit flipped anywhere in a segment makes it fail: the checksum, or for the data offset's bits, the
// offset check first.
TEST(TcpView, RejectsEverySingleBitFlip) {
  const Frame good =
      segment({.flags = flag::psh | flag::ack, .options = kLinuxSynOptions, .payload = packets::pattern(33)});
  ASSERT_TRUE(parse(good));
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    Frame bad = good;
    bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    const auto view = parse(bad);
    ASSERT_FALSE(view) << "bit " << bit;
    EXPECT_TRUE(view.reason() == DropReason::tcp_bad_checksum || view.reason() == DropReason::tcp_bad_data_offset)
        << "bit " << bit << ": " << reason_name(view);
  }
}

TEST(TcpView, TheChecksumCoversThePseudoHeader) {
  const Frame syn = segment({});
  EXPECT_TRUE(TcpView::parse(Bytes{syn}, kClient, kServer));
  EXPECT_EQ(TcpView::parse(Bytes{syn}, packets::ipv4_address(192, 168, 3, 13), kServer).reason(),
            DropReason::tcp_bad_checksum);
  EXPECT_EQ(TcpView::parse(Bytes{syn}, kClient, packets::ipv4_address(192, 168, 3, 255)).reason(),
            DropReason::tcp_bad_checksum);
  // The TCP length in the pseudo-header is the segment's: one more byte of IP payload changes it.
  Frame longer = syn;
  longer.push_back(0);
  EXPECT_EQ(parse(longer).reason(), DropReason::tcp_bad_checksum);
}

TEST(TcpView, WalksOptionsAndRejectsMalformedOnes) {
  struct Case {
    const char* what;
    Frame options;
    bool good;
  };
  const std::vector<Case> cases = {
      {"EOL, then anything as padding", {0x00, 0xff, 0x00, 0x07}, true},
      {"NOPs", {0x01, 0x01, 0x01, 0x01}, true},
      {"an unknown kind skipped by its length", {0x1e, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x01}, true},
      {"SACK with one block", {0x01, 0x01, 0x05, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2}, true},
      {"a length of 0", {0x1e, 0x00, 0x01, 0x01}, false},
      {"a length of 1", {0x1e, 0x01, 0x01, 0x01}, false},
      {"a length past the header", {0x01, 0x01, 0x1e, 0x04}, false},
      {"a kind with no room for its length", {0x01, 0x01, 0x01, 0x1e}, false},
      {"MSS of length 3", {0x02, 0x03, 0x05, 0x01}, false},
      {"window scale of length 4", {0x03, 0x04, 0x07, 0x01}, false},
      {"SACK-permitted of length 4", {0x04, 0x04, 0x00, 0x00}, false},
      {"timestamps of length 8", {0x08, 0x08, 0, 0, 0, 0, 0, 0}, false},
      {"SACK with 4 bytes of block", {0x05, 0x06, 0, 0, 0, 1, 0x01, 0x01}, false},
  };
  for (const Case& c : cases) {
    const auto view = parse(segment({.options = c.options}));
    if (c.good) {
      EXPECT_TRUE(view) << c.what << ": " << reason_name(view);
    } else {
      EXPECT_EQ(reason_name(view), "tcp_bad_options") << c.what;
    }
  }
  // After EOL nothing is read, not even what looks like an MSS option.
  const auto after_eol = parse(segment({.options = {0x00, 0x02, 0x04, 0x05}}));
  ASSERT_TRUE(after_eol);
  EXPECT_FALSE(after_eol->parsed_options().mss);
}

TEST(TcpView, FlagNamesFollowTheHeader) {
  const auto names = [](std::uint8_t bits) { return fmt::format("{}", ministack::TcpFlags{bits}); };
  EXPECT_EQ(names(0), "none");
  EXPECT_EQ(names(flag::syn), "SYN");
  EXPECT_EQ(names(flag::syn | flag::ack), "SYN,ACK");
  EXPECT_EQ(names(flag::fin | flag::psh | flag::ack), "FIN,PSH,ACK");
  EXPECT_EQ(names(0xff), "FIN,SYN,RST,PSH,ACK,URG,ECE,CWR");
}

// finish_tcp writes every field where RFC 9293 §3.1 puts it and a checksum the independent sum verifies; the view
// reads back what was written.
TEST(FinishTcp, WritesTheHeaderAndAChecksumThatVerifies) {
  Frame f(20 + 4 + 7, 0xee);
  const Frame mss = {0x02, 0x04, 0x05, 0xb4};
  std::copy(mss.begin(), mss.end(), f.begin() + 20);
  const TcpHeader h{.source_port = 7,
                    .destination_port = 51000,
                    .sequence_number = 0xfffffff0,
                    .acknowledgment_number = 0x01020304,
                    .flags = ministack::tcp_flag::syn | ministack::tcp_flag::ack,
                    .window = 0xfaf0,
                    .header_length = 24};
  finish_tcp(MutableBytes{f}, h, kServer, kClient);
  EXPECT_EQ(packets::get16(f, 0), 7);
  EXPECT_EQ(packets::get16(f, 2), 51000);
  EXPECT_EQ(packets::get32(f, 4), 0xfffffff0u);
  EXPECT_EQ(packets::get32(f, 8), 0x01020304u);
  EXPECT_EQ(f[12], 0x60) << "6 words of header";
  EXPECT_EQ(f[13], 0x12);
  EXPECT_EQ(packets::get16(f, 14), 0xfaf0);
  EXPECT_EQ(packets::get16(f, 18), 0) << "urgent pointer";
  EXPECT_EQ(packets::reference_checksum(
                packets::with_pseudo_header(f, kServer, kClient, static_cast<std::uint16_t>(f.size()), 6)),
            0);
  const auto view = TcpView::parse(Bytes{f}, kServer, kClient);
  ASSERT_TRUE(view) << reason_name(view);
  EXPECT_EQ(view->parsed_options().mss, 1460);
  EXPECT_EQ(view->payload().size(), 7u);
}

}  // namespace
