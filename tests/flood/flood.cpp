// flood: hostile traffic for the memory-bound tests (tests/e2e/flood_e2e.sh). Three kinds of frame, interleaved, all
// to 192.168.3.12 (ministack's default address) and deterministic for a given count:
//   - first and middle fragments (MF set) of datagrams that never complete, each from its own source and
//     identification, at offsets up to 64 KiB: reassembly must evict to stay within its caps;
//   - junk: random bytes of random length, a quarter of it addressed to our MAC (TAP) or with an IPv4 first nibble;
//   - ARP requests for our address from thousands of senders (TAP only): the neighbour cache must stay capped.
// Then, with --pings N, N well-formed echo requests, which must still be answered.
//
// Usage: flood pcap OUT.pcap tap|tun COUNT [--pings N]   writes the frames to a capture (libpcap), for --replay
//        flood inject IFNAME tap|tun COUNT                  sends them out of IFNAME with an AF_PACKET socket (root, in
//                                                           the test's own network namespace only)
// Exits 0 on success, 2 on bad arguments, 1 on an I/O error, with a message on stderr.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "packets.hpp"
#include "stack/wire/link_layer.hpp"

namespace {

using packets::Frame;
using Link = ministack::LinkLayer;

constexpr ministack::MacAddress kHostMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr ministack::Ipv4Address kHostIp{0xc0a8030b};  // 192.168.3.11, the host side in the e2e tests

class Generator {
 public:
  explicit Generator(Link link) : link_(link) {}

  // Frame `i` of the flood.
  Frame next(std::size_t i) {
    switch (i % (link_ == Link::ethernet ? 3 : 2)) {
      case 0: return fragment(i);
      case 1: return junk();
      default: return arp(i);
    }
  }

  // Echo request `seq` from the host side, as ping sends it.
  Frame ping(std::uint16_t seq) const {
    const packets::Ipv4 ip{.identification = static_cast<std::uint16_t>(0x7000 + seq), .source = kHostIp};
    const Frame packet = packets::echo_request({.identifier = 0x4242, .sequence = seq}, ip);
    return framed(packet, kHostMac);
  }

 private:
  Frame framed(const Frame& packet, ministack::MacAddress source) const {
    return link_ == Link::ethernet ? packets::ethernet({.source = source}, packet) : packet;
  }

  // A fragment of a datagram that never completes: 198.18.0.0/15 sources (RFC 2544's benchmarking range), one
  // identification each, MF set, at an offset up to 63 KiB.
  Frame fragment(std::size_t i) {
    const auto source = ministack::Ipv4Address{0xc6120000u | static_cast<std::uint32_t>(i & 0x1ffff)};
    const std::size_t offset_units = std::uniform_int_distribution<std::size_t>(0, 63 * 1024 / 8)(rng_);
    const std::size_t data = 1480;
    const packets::Ipv4 ip{.identification = static_cast<std::uint16_t>(i),
                           .flags_fragment = static_cast<std::uint16_t>(0x2000 | offset_units),
                           .protocol = 17,
                           .source = source};
    return framed(packets::ipv4(ip, packets::distinct_bytes(data, static_cast<std::uint8_t>(i))), random_mac());
  }

  Frame junk() {
    const std::size_t length =
        std::uniform_int_distribution<std::size_t>(1, link_ == Link::ethernet ? 1514 : 1500)(rng_);
    Frame f(length);
    for (auto& b : f) b = static_cast<std::uint8_t>(rng_());
    if (rng_() % 4 == 0) {
      if (link_ == Link::ethernet && f.size() >= 14) {
        packets::put_mac(f, 0, packets::kOurMac);
        packets::put16(f, 12, rng_() % 2 ? 0x0800 : 0x0806);
      } else if (link_ == Link::ip) {
        f[0] = static_cast<std::uint8_t>(0x40 | (f[0] & 0x0f));
      }
    }
    return f;
  }

  // Who-has 192.168.3.12 from sender i: a unicast, locally administered MAC and an address in 192.168.3.0/24 or
  // beyond it, so the neighbour cache sees thousands of different senders.
  Frame arp(std::size_t i) {
    const ministack::MacAddress mac = random_mac();
    const auto ip = ministack::Ipv4Address{0xc0a80000u | static_cast<std::uint32_t>((i * 7919) & 0xffff)};
    return packets::arp_frame({.sender_mac = mac, .sender_ip = ip},
                              {ministack::MacAddress::broadcast(), mac, packets::ethertype::arp});
  }

  ministack::MacAddress random_mac() {
    ministack::MacAddress mac{};
    for (auto& b : mac.bytes) b = static_cast<std::uint8_t>(rng_());
    mac.bytes[0] = static_cast<std::uint8_t>((mac.bytes[0] & 0xfc) | 0x02);  // unicast, locally administered
    return mac;
  }

  Link link_;
  std::mt19937 rng_{20240509};
};

int usage() {
  std::fprintf(stderr, "usage: flood pcap OUT.pcap tap|tun COUNT [--pings N]\n"
                       "       flood inject IFNAME tap|tun COUNT\n");
  return 2;
}

int write_pcap(const std::string& path, Link link, std::size_t count, std::uint16_t pings) {
  pcap_t* dead = pcap_open_dead(link == Link::ethernet ? DLT_EN10MB : DLT_RAW, 65535 + 14);
  pcap_dumper_t* out = dead ? pcap_dump_open(dead, path.c_str()) : nullptr;
  if (!out) {
    std::fprintf(stderr, "flood: cannot write %s: %s\n", path.c_str(), dead ? pcap_geterr(dead) : "pcap_open_dead");
    return 1;
  }
  Generator gen(link);
  // All within 10 s: nothing times out of reassembly; the stack must evict to stay within its caps.
  const auto write = [&](const Frame& f, std::size_t i) {
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(1'700'000'000 + i * 10 / (count + pings + 1));
    header.ts.tv_usec = static_cast<suseconds_t>(i % 1'000'000);
    header.caplen = header.len = static_cast<bpf_u_int32>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(out), &header, f.data());
  };
  for (std::size_t i = 0; i < count; ++i) write(gen.next(i), i);
  for (std::uint16_t s = 1; s <= pings; ++s) write(gen.ping(s), count + s);
  pcap_dump_close(out);
  pcap_close(dead);
  return 0;
}

int inject(const std::string& ifname, Link link, std::size_t count) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) {
    std::fprintf(stderr, "flood: no interface %s\n", ifname.c_str());
    return 1;
  }
  const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing
  if (fd < 0) {
    std::fprintf(stderr, "flood: AF_PACKET socket: %s\n", std::strerror(errno));
    return 1;
  }
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = static_cast<int>(index);
  to.sll_protocol = htons(link == Link::ethernet ? ETH_P_ALL : ETH_P_IP);
  Generator gen(link);
  std::size_t sent = 0, refused = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Frame f = gen.next(i);
    // Raw IP on TUN: the kernel refuses what it cannot take as IP on a device without a link header; that is fine.
    if (::sendto(fd, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
      if (errno == ENOBUFS) {
        usleep(1000);  // the device's queue is full: let ministack catch up
      }
      ++refused;
      continue;
    }
    ++sent;
  }
  ::close(fd);
  std::printf("flood: %zu frames sent, %zu refused by the kernel\n", sent, refused);
  return sent > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 4) return usage();
  const Link link = args[2] == "tap" ? Link::ethernet : Link::ip;
  if (args[2] != "tap" && args[2] != "tun") return usage();
  const std::size_t count = std::stoul(args[3]);
  if (args[0] == "pcap") {
    std::uint16_t pings = 0;
    if (args.size() == 6 && args[4] == "--pings") pings = static_cast<std::uint16_t>(std::stoul(args[5]));
    return write_pcap(args[1], link, count, pings);
  }
  if (args[0] == "inject" && args.size() == 4) return inject(args[1], link, count);
  return usage();
}
