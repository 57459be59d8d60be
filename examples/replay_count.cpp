// ministack as a library: a Stack fed the frames of a capture (read with libpcap), printing what it sends back.
// Build against an installed ministack: examples/CMakeLists.txt (find_package) or pkg-config (see README.md).
#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <ministack/stack/stack.hpp>

// Receives what the stack sends: here, one line per frame.
struct PrintingSink : ministack::FrameSink {
  void send(ministack::Bytes frame) override { std::printf("  sent %zu bytes\n", frame.size()); }
};

int main(int argc, char** argv) {
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* capture = argc == 2 ? pcap_open_offline(argv[1], error) : nullptr;
  if (capture == nullptr)
    return std::fprintf(stderr, "usage: replay_count FILE.pcap (%s)\n", argc == 2 ? error : ""), 2;

  ministack::StackConfig config;  // 192.168.3.12/24, fd00:3::12/64, MAC 02:00:00:00:00:01
  config.link = pcap_datalink(capture) == DLT_EN10MB ? ministack::LinkLayer::ethernet : ministack::LinkLayer::ip;
  ministack::Stack stack(config);
  PrintingSink sink;
  std::vector<std::uint8_t> buffer(65536 + 64);  // room for the largest IP datagram and its link header
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(capture, &header, &data) == 1) {
    const std::chrono::microseconds wall{header->ts.tv_sec * 1'000'000LL + header->ts.tv_usec};
    const ministack::Instant now{std::chrono::duration_cast<ministack::Duration>(wall), wall};
    std::printf("frame of %u bytes\n", header->caplen);
    std::copy(data, data + header->caplen, buffer.begin());
    stack.receive(buffer, header->caplen, now, sink);
  }
  pcap_close(capture);
  const auto& counters = stack.counters();
  std::printf("echo requests %llu, echo replies %llu\n",
              static_cast<unsigned long long>(counters.get(ministack::Counter::icmpInEchos)),
              static_cast<unsigned long long>(counters.get(ministack::Counter::icmpOutEchoReps)));
}
