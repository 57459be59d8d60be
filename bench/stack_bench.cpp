// Micro-benchmarks of the protocol pipeline, without I/O: frames through Stack::receive(), replies built in place.
//   build/release/stack_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Each case copies its request into the receive buffer first, as a device read would; BM_Copy is that copy alone,
// the least any responder does, so the ratio of a case to it is the stack's own cost, comparable across runs on a
// noisy machine. packets/s counts frames received; bytes/s their bytes. A case whose requests were not all answered
// reports an error instead of a time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "stack/ipv4/ipv4_header.hpp"
#include "stack/stack.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/udp.hpp"

namespace {

using namespace ministack;
using Frame = std::vector<std::uint8_t>;

const MacAddress kPeerMac{{2, 0, 0, 0, 0, 2}};
constexpr Ipv4Address kPeerIp{0xc0a8030b};  // 192.168.3.11
constexpr std::size_t kMtu = 1500;

StackConfig config_for(LinkLayer link) {
  StackConfig config;
  config.link = link;
  return config;
}

// An IP datagram from the peer to the stack: `payload` after a 20-byte header (DF set, unless a fragment).
Frame ip_datagram(std::uint8_t protocol, const Frame& payload, std::uint16_t identification = 1) {
  Frame d(kIpv4MinHeaderLength + payload.size());
  write_ipv4_header(d, {.total_length = static_cast<std::uint16_t>(d.size()),
                        .identification = identification,
                        .dont_fragment = d.size() <= kMtu,
                        .protocol = protocol,
                        .source = kPeerIp,
                        .destination = StackConfig{}.interface.address});
  std::copy(payload.begin(), payload.end(), d.begin() + kIpv4MinHeaderLength);
  return d;
}

// An ICMP echo request message with `data_length` bytes of data.
Frame echo_message(std::size_t data_length) {
  Frame icmp(8 + data_length);
  icmp[0] = 8;
  store_be16(&icmp[4], 0x1234);
  store_be16(&icmp[6], 1);
  for (std::size_t i = 0; i < data_length; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  store_be16(&icmp[2], internet_checksum(icmp));
  return icmp;
}

// The packet as the link delivers it: behind an Ethernet header on TAP, bare on TUN.
Frame on_link(LinkLayer link, const Frame& packet, std::uint16_t type = ethertype::ipv4) {
  if (link == LinkLayer::ip) return packet;
  Frame f(kEthernetHeaderLength + packet.size());
  write_ethernet_header(f, StackConfig{}.mac, kPeerMac, type);
  std::copy(packet.begin(), packet.end(), f.begin() + kEthernetHeaderLength);
  return f;
}

// RFC 791 §3.2 as Linux sends it: fragments of up to kMtu bytes, data in multiples of 8, MF on all but the last.
std::vector<Frame> fragments_of(const Frame& datagram, LinkLayer link) {
  std::vector<Frame> out;
  const std::size_t chunk = (kMtu - kIpv4MinHeaderLength) & ~std::size_t{7};
  const std::size_t data = datagram.size() - kIpv4MinHeaderLength;
  for (std::size_t offset = 0; offset < data; offset += chunk) {
    const std::size_t n = std::min(chunk, data - offset);
    Frame piece(datagram.begin(), datagram.begin() + kIpv4MinHeaderLength);
    piece.insert(piece.end(), datagram.begin() + static_cast<std::ptrdiff_t>(kIpv4MinHeaderLength + offset),
                 datagram.begin() + static_cast<std::ptrdiff_t>(kIpv4MinHeaderLength + offset + n));
    Ipv4Header header{piece.data()};
    header.set_total_length(static_cast<std::uint16_t>(piece.size()));
    header.set_flags_fragment_offset(offset + n < data ? ipv4_flags::more_fragments : 0, offset);
    header.update_checksum();
    out.push_back(on_link(link, piece));
  }
  return out;
}

Frame echo_frame(LinkLayer link, std::size_t data_length) {
  return on_link(link, ip_datagram(ip_protocol::icmp, echo_message(data_length)));
}

Frame udp_echo_frame(std::size_t data_length) {
  Frame udp(kUdpHeaderLength + data_length, 0x5a);
  finish_udp(udp, kPeerIp, StackConfig{}.interface.address, 40000, 7);
  return on_link(LinkLayer::ethernet, ip_datagram(ip_protocol::udp, udp));
}

// An ICMPv6 echo request (RFC 4443 §4.1) with `data_length` bytes of data, from the peer's fd00:3::11 to our
// fd00:3::12, in its IPv6 header: the same message as echo_frame()'s over the other version.
Frame echo6_frame(LinkLayer link, std::size_t data_length) {
  const Ipv6Address peer = *Ipv6Address::parse("fd00:3::11");
  const Ipv6Address us = StackConfig{}.interface6.address;
  Frame packet(kIpv6HeaderLength + 8 + data_length);
  write_ipv6_header(packet, {.traffic_class = 0,
                             .payload_length = static_cast<std::uint16_t>(8 + data_length),
                             .next_header = ip_protocol::icmpv6,
                             .hop_limit = 64,
                             .source = peer,
                             .destination = us});
  const MutableBytes icmp = MutableBytes{packet}.subspan(kIpv6HeaderLength);
  icmp[0] = icmpv6_type::echo_request;
  store_be16(&icmp[4], 0x1234);
  store_be16(&icmp[6], 1);
  for (std::size_t i = 0; i < data_length; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  finish_icmpv6(icmp, peer, us);
  return on_link(link, packet, ethertype::ipv6);
}

Frame arp_request_frame() {
  Frame arp(kArpLength);
  write_arp(arp, {arp_op::request, kPeerMac, kPeerIp, MacAddress{}, StackConfig{}.interface.address});
  Frame f(kEthernetHeaderLength + arp.size());
  write_ethernet_header(f, MacAddress::broadcast(), kPeerMac, ethertype::arp);
  std::copy(arp.begin(), arp.end(), f.begin() + kEthernetHeaderLength);
  return f;
}

// Stands for the device: takes the frame, as a write() would, and counts what went out.
struct NullSink final : FrameSink {
  std::uint64_t frames = 0;
  void send(Bytes frame) override {
    benchmark::DoNotOptimize(frame.data());
    ++frames;
  }
};

// Feeds `frames` (one after the other, each copied into the receive buffer first) once per iteration.
// `expect_out` is how many frames must go out per iteration; `answered` is the counter that counts one answer per
// iteration.
void run_stack(benchmark::State& state, LinkLayer link, const std::vector<Frame>& frames, Counter answered,
               std::size_t expect_out = 1) {
  std::vector<std::uint8_t> buffer(kEthernetHeaderLength + FragmentStore::kMaxDatagramLength);
  Stack stack(config_for(link));
  NullSink sink;
  std::size_t bytes = 0;
  for (const Frame& f : frames) bytes += f.size();
  for (auto _ : state) {
    for (const Frame& f : frames) {
      std::memcpy(buffer.data(), f.data(), f.size());
      const Verdict v = stack.receive(buffer, f.size(), Instant{}, sink);
      benchmark::DoNotOptimize(v);
    }
    benchmark::ClobberMemory();
  }
  const auto n = static_cast<std::uint64_t>(state.iterations());
  if (stack.counters().get(answered) != n || sink.frames != n * expect_out ||
      stack.counters().frames_received() != n * frames.size()) {
    state.SkipWithError("not every request was answered");
  }
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(n * frames.size()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(n * bytes));
}

// Arg: bytes of IP packet (84: ping's default 56 data bytes; 1500: a full MTU, 1472 data bytes).
void BM_EchoTap(benchmark::State& state) {
  run_stack(state, LinkLayer::ethernet,
            {echo_frame(LinkLayer::ethernet, static_cast<std::size_t>(state.range(0)) - 28)}, Counter::icmpOutEchoReps);
}
void BM_EchoTun(benchmark::State& state) {
  run_stack(state, LinkLayer::ip, {echo_frame(LinkLayer::ip, static_cast<std::size_t>(state.range(0)) - 28)},
            Counter::icmpOutEchoReps);
}
// The same, over IPv6 (Arg: bytes of IP packet, as above: 40 + 8 + data).
void BM_Echo6Tap(benchmark::State& state) {
  run_stack(state, LinkLayer::ethernet,
            {echo6_frame(LinkLayer::ethernet, static_cast<std::size_t>(state.range(0)) - 48)},
            Counter::Icmp6OutEchoReplies);
}
void BM_Echo6Tun(benchmark::State& state) {
  run_stack(state, LinkLayer::ip, {echo6_frame(LinkLayer::ip, static_cast<std::size_t>(state.range(0)) - 48)},
            Counter::Icmp6OutEchoReplies);
}
void BM_ArpRequest(benchmark::State& state) {
  run_stack(state, LinkLayer::ethernet, {arp_request_frame()}, Counter::arpOutReplies);
}
// Arg: bytes of UDP data sent to port 7 (RFC 862), all echoed.
void BM_UdpEcho(benchmark::State& state) {
  run_stack(state, LinkLayer::ethernet, {udp_echo_frame(static_cast<std::size_t>(state.range(0)))},
            Counter::udpOutDatagrams);
}
// `ping -s 65000`: a 65028-byte datagram in 44 fragments at MTU 1500, reassembled, its reply sent as 44 again.
void BM_Fragmented65000(benchmark::State& state) {
  const auto fragments = fragments_of(ip_datagram(ip_protocol::icmp, echo_message(65000)), LinkLayer::ethernet);
  if (fragments.size() != 44) state.SkipWithError("expected 44 fragments");
  run_stack(state, LinkLayer::ethernet, fragments, Counter::icmpOutEchoReps, fragments.size());
}

// Arg: frame bytes, the sizes above: 60 (ARP), 84 and 98 (the small echo on TUN, TAP), 1500 and 1514 (full MTU).
void BM_Copy(benchmark::State& state) {
  const Frame frame(static_cast<std::size_t>(state.range(0)), 0xa5);
  std::vector<std::uint8_t> buffer(1514);
  for (auto _ : state) {
    std::memcpy(buffer.data(), frame.data(), frame.size());
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// Arg: bytes summed: an IPv4 header, a small echo's ICMP message, a full-MTU fragment's data.
void BM_Checksum(benchmark::State& state) {
  const Frame data(static_cast<std::size_t>(state.range(0)), 0xa5);
  for (auto _ : state) {
    Bytes view = data;
    benchmark::DoNotOptimize(view);
    benchmark::DoNotOptimize(internet_checksum(view));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Copy)->Arg(60)->Arg(84)->Arg(98)->Arg(1500)->Arg(1514);
BENCHMARK(BM_EchoTap)->Arg(84)->Arg(1500);
BENCHMARK(BM_EchoTun)->Arg(84)->Arg(1500);
BENCHMARK(BM_Echo6Tap)->Arg(104)->Arg(1500);
BENCHMARK(BM_Echo6Tun)->Arg(104)->Arg(1500);
BENCHMARK(BM_ArpRequest);
BENCHMARK(BM_UdpEcho)->Arg(56)->Arg(1472);
BENCHMARK(BM_Fragmented65000);
BENCHMARK(BM_Checksum)->Arg(20)->Arg(64)->Arg(1480);

}  // namespace

BENCHMARK_MAIN();
