// make_seeds OUT_DIR CAPTURE.pcap...: the fuzz targets' seed corpus, from the project's captures, in the fuzz input
// format (fuzz_input.hpp). Captures are read through libpcap (PcapReplayDevice), never parsed by hand. OUT_DIR is
// emptied first, then filled with one directory per target:
//   tap, tap_fixed  each Ethernet capture, its frames in order with their time steps, in pieces of about 4 kB
//   tun             each raw IP capture, the same way
//   fragments       each IPv4 datagram of the Ethernet captures, with a plan that cuts it as Linux does (1480
//                   bytes per fragment, in order), one datagram sequence per piece
// plus one input per TAP target that makes the stack originate a datagram (the ARP queue), then answers its ARP; and,
// since pcaps/ holds only the kernel's refusals, one input per target of TCP segments to us (every option TCP reads,
// data, FIN, RST, the echo and discard ports), built here.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "device/pcap_replay.hpp"
#include "fuzz_input.hpp"
#include "packets.hpp"
#include "packets6.hpp"

namespace {

namespace fs = std::filesystem;
using ministack::Bytes;
using ministack::Duration;
using ministack::fuzz::append_record;
using Input = std::vector<std::uint8_t>;

constexpr std::size_t kPieceBytes = 4096;

void write(const fs::path& path, const Input& input) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));  // file I/O
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Writes the pieces of one capture's input for `target`, starting a new piece after kPieceBytes.
class Pieces {
 public:
  Pieces(fs::path dir, std::string stem) : dir_(std::move(dir)), stem_(std::move(stem)) {}
  void add(Bytes body, Duration step) {
    append_record(current_, body, step);
    if (current_.size() >= kPieceBytes) flush();
  }
  void flush() {
    if (current_.empty()) return;
    write(dir_ / (stem_ + "-" + std::to_string(++count_)), current_);
    current_.clear();
  }
  std::size_t count() const { return count_; }

 private:
  fs::path dir_;
  std::string stem_;
  Input current_;
  std::size_t count_ = 0;
};

// An input where the stack sends to 192.168.3.1 (queued, ARP asked), then gets the ARP reply that releases it.
Input originate_then_resolve() {
  Input input;
  const Input body = {0x00, 'h', 'e', 'l', 'l', 'o'};  // destination 192.168.3.(1 + 0)
  append_record(input, body, Duration{0}, true);
  const auto reply = packets::arp_frame({.operation = 2,
                                         .sender_mac = packets::kPeerMac,
                                         .sender_ip = packets::kPeerIp,
                                         .target_mac = packets::kOurMac,
                                         .target_ip = packets::kOurIp},
                                        {packets::kOurMac, packets::kPeerMac, packets::ethertype::arp});
  append_record(input, reply, std::chrono::milliseconds(100));
  return input;
}

// TCP segments from the peer to us (RFC 9293 §3.1): a SYN with every option TCP reads (MSS, SACK-permitted,
// timestamps, NOP, window scale), an ACK with data, a FIN, a RST and a SACK block to a closed port, a SYN with options
// to the echo port and data to the discard port; as Ethernet frames or bare IP packets. For "fragments", one datagram
// sequence (the plan, then the datagram) per segment.
std::vector<packets::Frame> tcp_segments() {
  namespace flag = packets::tcp_flags;
  const std::vector<packets::Tcp> segments = {
      {.flags = flag::syn, .options = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}},
      {.sequence = 0x1a2b3c4e, .acknowledgment = 1, .flags = flag::ack | flag::psh, .payload = packets::pattern(12)},
      {.sequence = 0x1a2b3c5a, .acknowledgment = 1, .flags = flag::fin | flag::ack},
      {.sequence = 0x1a2b3c5b, .flags = flag::rst},
      {.acknowledgment = 1, .flags = flag::ack, .options = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9}},
      {.destination_port = 7, .flags = flag::syn, .options = {2, 4, 0x05, 0xb4, 1, 3, 3, 7}},
      {.destination_port = 9, .flags = flag::psh, .payload = packets::pattern(5)},
  };
  std::vector<packets::Frame> out;
  for (const packets::Tcp& t : segments) out.push_back(packets::ipv4({.protocol = 6}, packets::tcp(t)));
  return out;
}

void write_tcp_seeds(const fs::path& out) {
  Input tap, tun, fragments;
  for (const packets::Frame& segment : tcp_segments()) {
    append_record(tap, packets::ethernet({}, segment), Duration{0});
    append_record(tun, segment, Duration{0});
    Input body = {0, 0, 0, 0};  // 8-byte fragments, in order
    body.insert(body.end(), segment.begin(), segment.end());
    append_record(fragments, body, Duration{0});
  }
  write(out / "tap" / "tcp-segments", tap);
  write(out / "tap_fixed" / "tcp-segments", tap);
  write(out / "tun" / "tcp-segments", tun);
  write(out / "fragments" / "tcp-segments", fragments);
}

// IPv6 packets to us (RFC 8200, RFC 4443, RFC 4861): echo requests to each address and to all-nodes, neighbor
// solicitations (with a source link-layer address, and a DAD probe), an advertisement, a router advertisement, an
// MLD query, options, a routing header, UDP and TCP, and a 3000-byte echo in three fragments; as Ethernet frames (to
// our MAC or the group the destination maps to) or bare packets.
std::vector<packets::Frame> ipv6_packets() {
  using namespace packets6;  // NOLINT(google-build-using-namespace): the test vocabulary
  const Ipv6 nd{.destination = kOurGlobal.solicited_node(), .hop_limit = 255};
  const Ipv6 to_all{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 255};
  const packets::Frame echo = packets::slice(echo_request6(), 40, 64);
  std::vector<packets::Frame> out = {
      echo_request6(),
      echo_request6({.source = kPeerLinkLocal, .destination = kOurLinkLocal}),
      echo_request6({.source = kPeerLinkLocal, .destination = kAllNodes}),
      neighbor_solicitation(kOurGlobal, nd),
      neighbor_solicitation(kOurLinkLocal,
                            {.source = Ipv6Address{}, .destination = kOurLinkLocal.solicited_node(), .hop_limit = 255},
                            false),
      neighbor_advertisement(kPeerGlobal, packets::kPeerMac, 0x60, {.source = kPeerGlobal, .hop_limit = 255}),
      ipv6(to_all, icmpv6(134, 0, 0x40000708, packets::pattern(8), to_all)),
      ipv6({.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 1},
           icmpv6(130, 0, 0, packets::pattern(20), {.source = kPeerLinkLocal, .destination = kAllNodes})),
      ipv6({.next_header = 60}, packets::concat(packets::Frame{58, 0, 0x1e, 2, 0, 0, 1, 0}, echo)),
      ipv6({.next_header = 0}, packets::concat(packets::Frame{58, 0, 5, 2, 0, 0, 1, 0}, echo)),
      ipv6({.next_header = 43}, packets::concat(packets::Frame{58, 0, 4, 0, 0, 0, 0, 0}, echo)),
  };
  for (std::uint8_t protocol : {std::uint8_t{17}, std::uint8_t{6}}) {
    packets::Frame upper = protocol == 17 ? packets::udp({.destination_port = 7, .payload = packets::pattern(6)})
                                          : packets::tcp({.destination_port = 7, .flags = packets::tcp_flags::syn});
    const std::size_t field = protocol == 17 ? 6 : 16;
    packets::put16(upper, field, checksum6(upper, kPeerGlobal, kOurGlobal, protocol, field));
    out.push_back(ipv6({.next_header = protocol}, upper));
  }
  const packets::Frame big = echo_request6({}, 3000);
  const packets::Frame icmp = packets::slice(big, 40, big.size() - 40);
  for (std::size_t offset = 0; offset < icmp.size(); offset += 1232) {
    const std::size_t n = std::min<std::size_t>(1232, icmp.size() - offset);
    packets::Frame header = {58, 0, 0, 0, 0, 0, 0x12, 0x34};
    packets::put16(header, 2, static_cast<std::uint16_t>(offset | (offset + n < icmp.size() ? 1 : 0)));
    out.push_back(ipv6({.next_header = 44}, packets::concat(header, packets::slice(icmp, offset, n))));
  }
  return out;
}

void write_ipv6_seeds(const fs::path& out) {
  Input tap, tun;
  for (const packets::Frame& packet : ipv6_packets()) {
    const ministack::Ipv6Address destination = packets6::get_address(packet, 24);
    append_record(tap,
                  packets6::frame6(packet,
                                   destination.is_multicast() ? packets6::group_mac(destination) : packets::kOurMac),
                  Duration{0});
    append_record(tun, packet, Duration{0});
  }
  write(out / "tap" / "ipv6", tap);
  write(out / "tap_fixed" / "ipv6", tap);
  write(out / "tun" / "ipv6", tun);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR CAPTURE.pcap...\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::remove_all(out);
  for (const char* target : {"tap", "tap_fixed", "tun", "fragments"}) fs::create_directories(out / target);
  std::size_t seeds = 0;
  for (int i = 2; i < argc; ++i) {
    ministack::PcapReplayDevice device(argv[i], 1500);
    const bool tap = device.link() == ministack::LinkLayer::ethernet;
    const std::string stem = fs::path(argv[i]).stem().string();
    Pieces plain(out / (tap ? "tap" : "tun"), stem);
    Pieces fixed(out / "tap_fixed", stem);
    Pieces fragments(out / "fragments", stem);
    std::vector<std::uint8_t> buffer(device.receive_buffer_size());
    std::chrono::microseconds last{-1};
    for (;;) {
      const ministack::Received in = device.receive(buffer, std::chrono::milliseconds{0});
      if (in.status != ministack::Received::Status::frame) break;
      const Bytes frame{buffer.data(), in.length};
      const auto step = last.count() < 0 ? Duration{0} : std::chrono::duration_cast<Duration>(in.timestamp - last);
      last = in.timestamp;
      plain.add(frame, step);
      if (!tap) continue;
      fixed.add(frame, step);
      if (frame.size() > 14 && packets::get16(frame, 12) == packets::ethertype::ipv4) {
        Input body = {184, 0, 0, 0};  // 8 * (1 + 184) = 1480 bytes per fragment, in order
        body.insert(body.end(), frame.begin() + 14, frame.end());
        fragments.add(body, step);
      }
    }
    for (Pieces* p : {&plain, &fixed, &fragments}) {
      p->flush();
      seeds += p->count();
    }
  }
  for (const char* target : {"tap", "tap_fixed"})
    write(out / target / "originate-then-resolve", originate_then_resolve());
  write_tcp_seeds(out);
  write_ipv6_seeds(out);
  std::printf("make_seeds: %zu seed inputs from %d captures in %s\n", seeds + 9, argc - 2, out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "make_seeds: %s\n", e.what());
  return 1;
}
