// Zero heap allocations per packet in steady state (issue 10): after a warm-up, ICMP echo (TAP and TUN, small and
// full-MTU), ARP, UDP echo and replies sent in fragments (a 44-fragment `ping -s 65000`, a fragmented UDP echo) run
// many times with this binary's operator new counting every call, and the count must not move. The sink counts and
// checks what goes out without keeping it, so the only allocations seen are the stack's.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "packets.hpp"
#include "stack/stack.hpp"

// ---- allocation counting -----------------------------------------------------------------------------------------
// Every form of operator new is replaced, the array and aligned ones too: under ASan the runtime defines each form
// itself, so a form left out would go around the count instead of through the plain one. Not inlined: GCC would
// otherwise see malloc() meet operator delete, and warn (-Wmismatched-new-delete).
namespace {
std::atomic<std::size_t> g_allocations{0};

void* counted(std::size_t size) {
  ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* counted_aligned(std::size_t size, std::align_val_t align) {
  ++g_allocations;
  const auto a = static_cast<std::size_t>(align);
  return std::aligned_alloc(a, ((size == 0 ? 1 : size) + a - 1) / a * a);
}
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned(size, align)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned(size, align)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace ministack;
using packets::Frame;

// Counts the frames the stack sends and their bytes; keeps nothing, so it allocates nothing.
struct CountingSink final : FrameSink {
  std::size_t frames = 0;
  std::size_t bytes = 0;
  void send(Bytes frame) override {
    ++frames;
    bytes += frame.size();
  }
};

struct Case {
  std::string name;
  LinkLayer link;
  std::vector<Frame> requests;  // fed in order, once per round
  std::size_t replies;          // frames sent per round
};

Frame on_link(LinkLayer link, const Frame& packet) {
  return link == LinkLayer::ethernet ? packets::ethernet({}, packet) : packet;
}

Frame echo(LinkLayer link, std::size_t data) {
  return on_link(link, packets::echo_request({.data = packets::pattern(data)}));
}

Frame udp_echo(std::size_t data) {
  return packets::ipv4({.protocol = 17}, packets::udp({.destination_port = 7, .payload = packets::pattern(data)}));
}

// `datagram` in fragments of 1480 data bytes, as Linux sends it at MTU 1500.
std::vector<Frame> fragmented(LinkLayer link, const Frame& datagram) {
  std::vector<Frame> out;
  for (const Frame& f : packets::fragments(datagram, 1480)) out.push_back(on_link(link, f));
  return out;
}

std::vector<Case> cases() {
  const auto tap = LinkLayer::ethernet;
  const auto tun = LinkLayer::ip;
  return {
      {"EchoTap84", tap, {echo(tap, 56)}, 1},
      {"EchoTap1500", tap, {echo(tap, 1472)}, 1},
      {"EchoTun84", tun, {echo(tun, 56)}, 1},
      {"EchoTun1500", tun, {echo(tun, 1472)}, 1},
      {"EchoTapWithoutData", tap, {echo(tap, 0)}, 1},  // a reply padded to the Ethernet minimum
      {"ArpRequest", tap, {packets::arp_frame()}, 1},
      {"UdpEcho56", tap, {on_link(tap, udp_echo(56))}, 1},
      {"UdpEcho1472", tap, {on_link(tap, udp_echo(1472))}, 1},
      {"Ping65000FragmentsTap", tap, fragmented(tap, packets::echo_request({.data = packets::pattern(65000)})), 44},
      {"Ping65000FragmentsTun", tun, fragmented(tun, packets::echo_request({.data = packets::pattern(65000)})), 44},
      {"UdpEcho8000Fragments", tap, fragmented(tap, udp_echo(8000)), 6},
      {"TcpSynRefusedTap", tap, {on_link(tap, packets::ipv4({.protocol = 6}, packets::tcp({})))}, 1},
      {"TcpSynRefusedTun", tun, {on_link(tun, packets::ipv4({.protocol = 6}, packets::tcp({})))}, 1},
  };
}

class SteadyState : public ::testing::TestWithParam<Case> {};

TEST_P(SteadyState, AllocatesNothingPerPacket) {
  const Case& c = GetParam();
  StackConfig config;
  config.link = c.link;
  Stack stack(config);
  CountingSink sink;
  std::vector<std::uint8_t> buffer(packets::kTapBufferSize);
  std::size_t frames_in = 0;
  auto round = [&] {
    for (const Frame& f : c.requests) {
      std::copy(f.begin(), f.end(), buffer.begin());
      stack.receive(buffer, f.size(), Instant{}, sink);
      ++frames_in;
    }
  };
  for (int i = 0; i < 3; ++i) round();  // warm-up: reassembly slots and buffers, the neighbor cache
  const std::size_t warm = sink.frames;
  const std::size_t before = g_allocations.load();
  constexpr int kRounds = 200;
  for (int i = 0; i < kRounds; ++i) round();
  const std::size_t allocations = g_allocations.load() - before;

  ASSERT_EQ(warm, 3 * c.replies) << "every round is answered";
  ASSERT_EQ(sink.frames - warm, kRounds * c.replies) << "every round is answered";
  // Refused TCP segments are drops with a reply (tcp_port_closed); nothing else may be dropped.
  EXPECT_EQ(stack.counters().total_drops(), stack.counters().get(ministack::DropReason::tcp_port_closed));
  EXPECT_EQ(allocations, 0u) << allocations << " allocations in " << kRounds * c.requests.size() << " frames";
}

INSTANTIATE_TEST_SUITE_P(Allocation, SteadyState, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& test) { return test.param.name; });

// The counting itself works, through the forms the stack uses: a new reassembly slot allocates its buffer.
TEST(Allocation, TheCountSeesTheFirstReassembly) {
  Stack stack(StackConfig{});
  CountingSink sink;
  std::vector<std::uint8_t> buffer(packets::kTapBufferSize);
  const std::size_t before = g_allocations.load();
  for (const Frame& f : fragmented(LinkLayer::ethernet, packets::echo_request({.data = packets::pattern(4000)}))) {
    std::copy(f.begin(), f.end(), buffer.begin());
    stack.receive(buffer, f.size(), Instant{}, sink);
  }
  EXPECT_EQ(sink.frames, 3u);
  EXPECT_GT(g_allocations.load() - before, 0u) << "operator new is not counted: the tests above prove nothing";
}

}  // namespace
