// Stack::set_mtu: the MTU the stack fragments to changes while it runs (the host's `ip link set DEV mtu N`), and every
// reply after the change is cut for the new one, none for the old.
#include <gtest/gtest.h>

#include <vector>

#include "collecting_sink.hpp"
#include "packets.hpp"
#include "stack/stack.hpp"

namespace {

using ministack::Instant;
using ministack::LinkLayer;
using ministack::Stack;
using ministack::StackConfig;
using ministack::testing::CollectingSink;
using packets::Frame;

// One echo request of `data` bytes (DF clear, so the request itself may be of any size) on TUN, and what was sent.
std::vector<Frame> echo(Stack& stack, std::size_t data) {
  const Frame request = packets::echo_request({.data = packets::pattern(data)}, {.flags_fragment = 0});
  std::vector<std::uint8_t> buffer(65535, 0xa5);
  std::copy(request.begin(), request.end(), buffer.begin());
  CollectingSink sink;
  stack.receive(buffer, request.size(), Instant{}, sink);
  return sink.frames;
}

// Each packet sent: its IPv4 total length, fragment offset in bytes and MF flag, checked against its header checksum.
struct Piece {
  std::size_t length;
  std::size_t offset;
  bool more;
  friend bool operator==(const Piece&, const Piece&) = default;
};
std::vector<Piece> pieces(const std::vector<Frame>& sent) {
  std::vector<Piece> out;
  for (const Frame& f : sent) {
    EXPECT_EQ(packets::reference_checksum(packets::ByteView{f}.first(20)), 0) << "header checksum";
    EXPECT_EQ(packets::get16(f, 2), f.size());
    const std::uint16_t flags_offset = packets::get16(f, 6);
    out.push_back({f.size(), std::size_t{flags_offset & 0x1fffu} * 8, (flags_offset & 0x2000) != 0});
  }
  return out;
}

StackConfig tun() {
  StackConfig config;
  config.link = LinkLayer::ip;
  return config;
}

TEST(StackMtu, RepliesAreCutForTheMtuInForceWhenTheyAreSent) {
  Stack stack(tun());
  ASSERT_EQ(stack.config().mtu, 1500u);
  // 4028 bytes at 1500: 1480 + 1480 + 1048 data bytes.
  EXPECT_EQ(pieces(echo(stack, 4000)), (std::vector<Piece>{{1500, 0, true}, {1500, 1480, true}, {1068, 2960, false}}));

  EXPECT_EQ(stack.set_mtu(9000), 9000u);
  EXPECT_EQ(stack.config().mtu, 9000u);
  EXPECT_EQ(pieces(echo(stack, 4000)), (std::vector<Piece>{{4028, 0, false}})) << "whole at the new MTU";
  // 9000 bytes exactly fit; one more byte does not.
  EXPECT_EQ(pieces(echo(stack, 8972)), (std::vector<Piece>{{9000, 0, false}}));
  EXPECT_EQ(pieces(echo(stack, 8973)), (std::vector<Piece>{{8996, 0, true}, {25, 8976, false}}));

  EXPECT_EQ(stack.set_mtu(1500), 1500u);
  EXPECT_EQ(pieces(echo(stack, 4000)).size(), 3u) << "and back";
}

TEST(StackMtu, IsClampedTo576AndTo65535) {
  Stack stack(tun());
  EXPECT_EQ(stack.set_mtu(68), 576u) << "RFC 791 §3.1: every host takes 576-byte datagrams";
  for (const Piece& p : pieces(echo(stack, 4000))) EXPECT_LE(p.length, 576u);
  EXPECT_EQ(stack.set_mtu(100000), 65535u);
  EXPECT_EQ(pieces(echo(stack, 65507)), (std::vector<Piece>{{65535, 0, false}})) << "the largest datagram, whole";
}

}  // namespace
