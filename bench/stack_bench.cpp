// Micro-benchmarks of the protocol pipeline, without I/O: one frame through Stack::receive(), reply built in place.
// The baseline is what any responder must do at the least, copy the frame into the receive buffer; the ratio of a
// case to it is what the stack's own work costs, and is comparable across runs on a noisy machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "stack/ipv4/ipv4_header.hpp"
#include "stack/stack.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

namespace {

using namespace ministack;

// An Ethernet frame holding an ICMP echo request from 192.168.3.11 (02:..:02) to the stack's defaults.
std::vector<std::uint8_t> echo_request(std::size_t data_length) {
  const std::size_t icmp_length = 8 + data_length;
  std::vector<std::uint8_t> f(kEthernetHeaderLength + kIpv4MinHeaderLength + icmp_length);
  write_ethernet_header(f, StackConfig{}.mac, MacAddress{{2, 0, 0, 0, 0, 2}}, ethertype::ipv4);
  MutableBytes ip{f.data() + kEthernetHeaderLength, f.size() - kEthernetHeaderLength};
  write_ipv4_header(ip, {.total_length = static_cast<std::uint16_t>(kIpv4MinHeaderLength + icmp_length),
                         .identification = 1,
                         .dont_fragment = true,
                         .protocol = ip_protocol::icmp,
                         .source = Ipv4Address{0xc0a8030b},
                         .destination = StackConfig{}.interface.address});
  std::uint8_t* icmp = ip.data() + kIpv4MinHeaderLength;
  icmp[0] = 8;
  store_be16(icmp + 4, 0x1234);
  store_be16(icmp + 6, 1);
  for (std::size_t i = 0; i < data_length; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  store_be16(icmp + 2, internet_checksum(Bytes{icmp, icmp_length}));
  return f;
}

void BM_CopyOnly(benchmark::State& state) {
  const auto frame = echo_request(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> buffer(1514);
  for (auto _ : state) {
    std::memcpy(buffer.data(), frame.data(), frame.size());
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

// Stands for the device: takes the frame's address, as a write() would.
struct NullSink final : FrameSink {
  void send(Bytes frame) override { benchmark::DoNotOptimize(frame.data()); }
};

void BM_EchoRequest(benchmark::State& state) {
  const auto frame = echo_request(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> buffer(1514);
  Stack stack(StackConfig{});
  NullSink sink;
  for (auto _ : state) {
    std::memcpy(buffer.data(), frame.data(), frame.size());
    const Verdict v = stack.receive(buffer, frame.size(), Instant{}, sink);
    benchmark::DoNotOptimize(v);
    benchmark::ClobberMemory();
  }
  if (stack.counters().get(Counter::icmpOutEchoReps) != stack.counters().frames_received()) {
    state.SkipWithError("not every request was answered");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

void BM_Checksum(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0xa5);
  for (auto _ : state) benchmark::DoNotOptimize(internet_checksum(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

BENCHMARK(BM_CopyOnly)->Arg(56)->Arg(1472);
BENCHMARK(BM_EchoRequest)->Arg(0)->Arg(56)->Arg(1472);
BENCHMARK(BM_Checksum)->Arg(64)->Arg(1480);

}  // namespace

BENCHMARK_MAIN();
