// Third-party captures through the whole stack: frames from public test suites and sample captures (tcpdump,
// libpcap, suricata-verify, zeek, ...), re-addressed to 192.168.3.12 / 02:00:00:00:00:01. They live beside the
// checkout in MINISTACK_REALWORLD (../shared/pcaps/realworld), are read from there and never copied into the project;
// when they are absent every case is skipped, saying where it looked.
//
// For each file, against the per-file table of that directory's README.md:
//   - the replay never throws (or crashes: the sanitizer build runs this too);
//   - MUST <= replies <= MUST + MAY, with required replies the stack cannot produce yet named and counted as known
//     gaps (kFragmentReassemblyGap), never hidden by lowering MUST;
//   - every reply is a correct answer to the frame that caused it, checked with this file's own byte reads, not the
//     stack's parsers (check_arp_reply, check_echo_reply), and nothing answers anything but an ARP request or an ICMP
//     echo request for us (no reply to ICMP errors, echo replies, IPv6, VLAN-tagged or non-IP frames);
//   - every drop names a fault the frame really has (faults_of, an independent reading of each frame), and the
//     drops the README makes certain are checked per file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "replay_harness.hpp"

#ifndef MINISTACK_REALWORLD
#error "MINISTACK_REALWORLD must name the directory of the real-world captures"
#endif

namespace {

namespace fs = std::filesystem;
using ministack::DeviceError;
using ministack::DropReason;
using ministack::LinkLayer;
using ministack::testing::Replay;
using ministack::testing::ReplayedFrame;
using ministack::testing::replay_capture;
using Bytes = std::vector<std::uint8_t>;

const fs::path kDirectory{MINISTACK_REALWORLD};

// ---------------------------------------------------------------------------------------------------------------
// Expectations: the README's table

// Known gap: IP fragment reassembly is not implemented yet (fragments are dropped as ip_fragment; a later issue adds
// reassembly). tp_frag.pcap holds suricata's 2-fragment 1400-byte echo request, whose reply the README requires;
// tun_tp_ipv4_raw101.pcap carries the same two fragments as raw IP. Each of those files therefore gets one required
// reply fewer than MUST until reassembly exists. The gap is counted independently below (fragmented echo requests
// for us in the file), so it can neither grow silently nor outlive the feature.
constexpr std::size_t kFragmentReassemblyGap = 1;

struct Expectation {
  const char* file;
  std::uint32_t link_type;  // in the file's header
  std::size_t frames;
  std::size_t must;         // replies a correct responder sends
  std::size_t may;          // replies that are acceptable but not required
  std::size_t none;         // frames that must get no reply
  std::size_t fragment_gap = 0;  // required replies that need reassembly (kFragmentReassemblyGap)
};

void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file; }

const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> table = {
      {"tp_arp.pcap", 1, 113, 53, 1, 59},
      {"tp_icmp_echo.pcap", 1, 46, 25, 8, 13},
      {"tp_offsubnet.pcap", 1, 16, 12, 3, 1},
      {"tp_ipv4_malformed.pcap", 1, 38, 1, 1, 36},
      {"tp_icmp_other.pcap", 1, 57, 0, 0, 57},
      {"tp_frag.pcap", 1, 51, 6, 14, 36, kFragmentReassemblyGap},
      {"tp_ipv6.pcap", 1, 48, 0, 8, 40},
      {"tp_vlan.pcap", 1, 18, 0, 0, 18},
      {"tp_l2_misc.pcap", 1, 44, 0, 0, 44},
      {"tp_ipv4_other_proto.pcap", 1, 40, 0, 33, 16},
      {"tun_tp_ipv4_raw101.pcap", 101, 216, 35, 49, 146, kFragmentReassemblyGap},
      {"tun_tp_mixed_raw12.pcap", 12, 60, 11, 8, 41},
      {"tun_tp_ipv4_228.pcap", 228, 29, 15, 0, 14},
      {"derived_eth_padding.pcap", 1, 22, 17, 5, 0},
      {"derived_ip_trailer_tun.pcap", 101, 22, 22, 0, 0},
  };
  return table;
}

// ---------------------------------------------------------------------------------------------------------------
// Independent byte reads: nothing below uses the stack's parsers or helpers.

constexpr std::uint8_t kOurMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr std::uint32_t kOurIp = 0xc0a8030c;         // 192.168.3.12
constexpr std::uint32_t kSubnetBroadcast = 0xc0a803ff;  // 192.168.3.255
constexpr std::size_t kEth = 14;                      // Ethernet header
constexpr std::size_t kEthMin = 60;                   // Ethernet minimum frame without FCS
constexpr std::uint8_t kTtl = 64;

std::uint16_t rd16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((unsigned{b[at]} << 8) | unsigned{b[at + 1]});
}
std::uint32_t rd32(const Bytes& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}
// Ones'-complement sum of b[from, to) folded to 16 bits; a region carrying a valid checksum sums to 0xffff.
std::uint16_t ones_sum(const Bytes& b, std::size_t from, std::size_t to) {
  std::uint64_t sum = 0;
  for (std::size_t i = from; i + 1 < to; i += 2) sum += rd16(b, i);
  if ((to - from) % 2 == 1) sum += std::uint64_t{b[to - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}
bool checksum_ok(const Bytes& b, std::size_t from, std::size_t to) { return ones_sum(b, from, to) == 0xffff; }

bool same(const Bytes& a, std::size_t a_at, const Bytes& b, std::size_t b_at, std::size_t n) {
  return a.size() >= a_at + n && b.size() >= b_at + n &&
         std::equal(a.begin() + static_cast<std::ptrdiff_t>(a_at), a.begin() + static_cast<std::ptrdiff_t>(a_at + n),
                    b.begin() + static_cast<std::ptrdiff_t>(b_at));
}
bool mac_is(const Bytes& b, std::size_t at, const std::uint8_t (&mac)[6]) {
  return b.size() >= at + 6 && std::equal(std::begin(mac), std::end(mac), b.begin() + static_cast<std::ptrdiff_t>(at));
}
bool mac_is_broadcast(const Bytes& b, std::size_t at) {
  return b.size() >= at + 6 && std::all_of(b.begin() + static_cast<std::ptrdiff_t>(at),
                                           b.begin() + static_cast<std::ptrdiff_t>(at + 6),
                                           [](std::uint8_t x) { return x == 0xff; });
}
bool mac_is_group(const Bytes& b, std::size_t at) { return (b[at] & 0x01) != 0; }

std::string ip_text(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." + std::to_string((a >> 8) & 0xff) +
         "." + std::to_string(a & 0xff);
}

// Sources no host may answer (RFC 1122 §3.2.1.3): this network (0/8), loopback, multicast, limited and subnet
// broadcast, and our own address.
bool bad_source(std::uint32_t a) {
  const std::uint32_t first = a >> 24;
  return first == 0 || first == 127 || (first & 0xf0) == 0xe0 || a == 0xffffffff || a == kSubnetBroadcast ||
         a == kOurIp;
}

// What a frame is, in words, for messages and for the "never answer these" rule.
std::string kind_of(const Bytes& f, LinkLayer link) {
  std::size_t l3 = 0;
  if (link == LinkLayer::ethernet) {
    if (f.size() < kEth) return "runt frame";
    const std::uint16_t type = rd16(f, 12);
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100) return "VLAN-tagged frame";
    if (type == 0x86dd) return "IPv6 frame";
    if (type == 0x0806) return f.size() >= kEth + 8 ? "ARP op " + std::to_string(rd16(f, kEth + 6)) : "short ARP";
    if (type != 0x0800) return "non-IP frame (ethertype " + std::to_string(type) + ")";
    l3 = kEth;
  }
  if (f.size() <= l3) return "empty packet";
  if ((f[l3] >> 4) == 6) return "IPv6 packet";
  if ((f[l3] >> 4) != 4 || f.size() < l3 + 20) return "malformed IPv4";
  const std::uint8_t protocol = f[l3 + 9];
  if (protocol != 1) return "IPv4 protocol " + std::to_string(protocol);
  const std::size_t icmp = l3 + std::size_t{f[l3] & 0x0fu} * 4;
  if (f.size() <= icmp) return "ICMP without a header";
  switch (f[icmp]) {
    case 0: return "ICMP echo reply";
    case 3: return "ICMP destination unreachable (an error)";
    case 4: return "ICMP source quench (an error)";
    case 5: return "ICMP redirect (an error)";
    case 8: return "ICMP echo request";
    case 11: return "ICMP time exceeded (an error)";
    case 12: return "ICMP parameter problem (an error)";
    default: return "ICMP type " + std::to_string(f[icmp]);
  }
}

// Every reason the stack could legitimately give for dropping `f`: the faults the frame really has, read
// independently (several when it has several: which one a stack names first is its own business). Empty: a
// well-formed ARP request or ICMP echo request for us, which deserves a reply.
std::set<DropReason> faults_of(const Bytes& f, LinkLayer link) {
  std::set<DropReason> faults;
  std::size_t l3 = 0;
  bool link_broadcast = false;
  if (link == LinkLayer::ethernet) {
    if (f.size() < kEth) return {DropReason::eth_truncated};
    link_broadcast = mac_is_broadcast(f, 0);
    if (!mac_is(f, 0, kOurMac) && !link_broadcast) faults.insert(DropReason::eth_not_for_us);
    if (mac_is_group(f, 6)) faults.insert(DropReason::eth_bad_source);
    const std::uint16_t type = rd16(f, 12);
    if (type == 0x86dd) {
      faults.insert(DropReason::eth_unsupported_type);
      faults.insert(DropReason::ipv6_not_spoken);
      return faults;
    }
    if (type != 0x0800 && type != 0x0806) {
      faults.insert(DropReason::eth_unsupported_type);
      return faults;
    }
    if (type == 0x0806) {
      const std::size_t n = f.size() - kEth;
      if (n < 8) {
        faults.insert(DropReason::arp_truncated);
        return faults;
      }
      if (rd16(f, kEth) != 1 || rd16(f, kEth + 2) != 0x0800 || f[kEth + 4] != 6 || f[kEth + 5] != 4) {
        faults.insert(DropReason::arp_unsupported_format);
      }
      if (n < 28) faults.insert(DropReason::arp_truncated);
      if (n < 28 || faults.count(DropReason::arp_unsupported_format)) return faults;
      if (mac_is_group(f, kEth + 8)) faults.insert(DropReason::arp_bad_sender);
      if (rd16(f, kEth + 6) != 1) faults.insert(DropReason::arp_not_request);
      if (rd32(f, kEth + 24) != kOurIp) faults.insert(DropReason::arp_not_for_us);
      return faults;
    }
    l3 = kEth;
  } else if (!f.empty() && (f[0] >> 4) == 6) {
    return {DropReason::ipv6_not_spoken, DropReason::ip_bad_version};
  }

  // IPv4, at f[l3]; the packet may be followed by link padding or a trailer.
  const std::size_t available = f.size() - l3;
  bool stop = false;
  if (available < 20) {
    faults.insert(DropReason::ip_truncated);
    stop = true;
  }
  if (available >= 1 && (f[l3] >> 4) != 4) {
    faults.insert(DropReason::ip_bad_version);
    stop = true;
  }
  if (stop) return faults;
  const std::size_t ihl = std::size_t{f[l3] & 0x0fu} * 4;
  const std::size_t total = rd16(f, l3 + 2);
  if (ihl < 20) faults.insert(DropReason::ip_bad_ihl);
  if (total < ihl) faults.insert(DropReason::ip_bad_total_length);
  if (ihl > available || total > available) faults.insert(DropReason::ip_truncated);
  if (!faults.empty() && (ihl < 20 || total < ihl || ihl > available || total > available)) return faults;
  if (!checksum_ok(f, l3, l3 + ihl)) faults.insert(DropReason::ip_bad_checksum);
  if (rd32(f, l3 + 16) != kOurIp) faults.insert(DropReason::ip_not_for_us);
  if (link_broadcast) faults.insert(DropReason::ip_link_broadcast);
  if (bad_source(rd32(f, l3 + 12))) faults.insert(DropReason::ip_bad_source);
  if ((rd16(f, l3 + 6) & 0x3fff) != 0) faults.insert(DropReason::ip_fragment);  // MF or an offset
  if (f[l3 + 9] != 1) {
    faults.insert(DropReason::ip_unknown_protocol);
    return faults;
  }
  // The ICMP message, exactly as the IP total length bounds it.
  const std::size_t icmp = l3 + ihl, end = l3 + total;
  if (end - icmp < 8) {
    faults.insert(DropReason::icmp_truncated);
    return faults;
  }
  if (!checksum_ok(f, icmp, end)) faults.insert(DropReason::icmp_bad_checksum);
  if (f[icmp] != 8) faults.insert(DropReason::icmp_type_ignored);
  return faults;
}

// A first fragment of an ICMP echo request for us, with a valid header: what only reassembly could answer.
bool is_fragmented_echo_request_for_us(const Bytes& f, LinkLayer link) {
  const std::size_t l3 = link == LinkLayer::ethernet ? kEth : 0;
  if (link == LinkLayer::ethernet && (f.size() < kEth || rd16(f, 12) != 0x0800)) return false;
  if (f.size() < l3 + 20 || f[l3] >> 4 != 4) return false;
  const std::size_t ihl = std::size_t{f[l3] & 0x0fu} * 4;
  if (ihl < 20 || f.size() < l3 + ihl + 1 || !checksum_ok(f, l3, l3 + ihl)) return false;
  const std::uint16_t flags_offset = rd16(f, l3 + 6);
  const bool more_fragments = (flags_offset & 0x2000) != 0, first = (flags_offset & 0x1fff) == 0;
  return more_fragments && first && f[l3 + 9] == 1 && rd32(f, l3 + 16) == kOurIp && f[l3 + ihl] == 8;
}

// ---------------------------------------------------------------------------------------------------------------
// Reply checks: each returns what is wrong, empty when the reply is a correct answer to `in`.

using Problems = std::vector<std::string>;

Problems check_arp_reply(const Bytes& in, const Bytes& out) {
  Problems p;
  auto expect = [&p](bool ok, const std::string& what) {
    if (!ok) p.push_back(what);
  };
  // The request: a well-formed Ethernet/IPv4 ARP request for our address, sent to us or to everyone.
  if (in.size() < kEth + 28) return {"reply to an ARP frame too short to be a request"};
  expect(mac_is(in, 0, kOurMac) || mac_is_broadcast(in, 0), "reply to an ARP frame for another MAC");
  expect(rd16(in, kEth) == 1 && rd16(in, kEth + 2) == 0x0800 && in[kEth + 4] == 6 && in[kEth + 5] == 4,
         "reply to an ARP packet that is not Ethernet/IPv4");
  expect(rd16(in, kEth + 6) == 1, "reply to an ARP op " + std::to_string(rd16(in, kEth + 6)) + ", not a request");
  expect(rd32(in, kEth + 24) == kOurIp, "reply to an ARP request for " + ip_text(rd32(in, kEth + 24)));
  expect(!mac_is_group(in, kEth + 8), "reply to an ARP request from a group sender address");

  // The reply: exactly 60 bytes, zero-padded, from us to the requester, saying who we are.
  expect(out.size() == kEthMin, "ARP reply is " + std::to_string(out.size()) + " bytes, not 60");
  if (out.size() < kEth + 28) return p;
  expect(same(out, 0, in, kEth + 8, 6), "Ethernet destination is not the request's sender MAC");
  expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
  expect(rd16(out, 12) == 0x0806, "EtherType is not ARP");
  expect(rd16(out, kEth) == 1 && rd16(out, kEth + 2) == 0x0800 && out[kEth + 4] == 6 && out[kEth + 5] == 4,
         "ARP reply is not Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4)");
  expect(rd16(out, kEth + 6) == 2, "ARP opcode is not 2 (reply)");
  expect(mac_is(out, kEth + 8, kOurMac), "sender hardware address is not ours");
  expect(rd32(out, kEth + 14) == kOurIp, "sender protocol address is not 192.168.3.12");
  expect(same(out, kEth + 18, in, kEth + 8, 6), "target hardware address is not the request's sender");
  expect(same(out, kEth + 24, in, kEth + 14, 4), "target protocol address is not the request's sender");
  expect(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(kEth + 28), out.end(),
                     [](std::uint8_t b) { return b == 0; }),
         "padding after the ARP packet is not zero");
  return p;
}

Problems check_echo_reply(const Bytes& in, const Bytes& out, LinkLayer link) {
  Problems p;
  auto expect = [&p](bool ok, const std::string& what) {
    if (!ok) p.push_back(what);
  };
  const std::size_t l3 = link == LinkLayer::ethernet ? kEth : 0;

  // The request: an ICMP echo request for us, well-formed at every layer.
  if (link == LinkLayer::ethernet) {
    expect(mac_is(in, 0, kOurMac) || mac_is_broadcast(in, 0), "reply to a frame sent to another MAC");
  }
  if (in.size() < l3 + 20 || in[l3] >> 4 != 4) return {"reply to something that is not an IPv4 packet"};
  const std::size_t ihl = std::size_t{in[l3] & 0x0fu} * 4;
  const std::size_t total = rd16(in, l3 + 2);
  if (ihl < 20 || total < ihl + 8 || in.size() < l3 + total) return {"reply to a malformed IPv4 packet"};
  expect(checksum_ok(in, l3, l3 + ihl), "reply to a packet with a bad IP header checksum");
  expect(rd32(in, l3 + 16) == kOurIp, "reply to a packet for " + ip_text(rd32(in, l3 + 16)));
  expect(!bad_source(rd32(in, l3 + 12)), "reply to a packet from " + ip_text(rd32(in, l3 + 12)));
  expect((rd16(in, l3 + 6) & 0x3fff) == 0, "reply to a fragment");
  expect(in[l3 + 9] == 1, "reply to IP protocol " + std::to_string(in[l3 + 9]));
  const std::size_t icmp = l3 + ihl, icmp_length = total - ihl;
  expect(in[icmp] == 8, "reply to ICMP type " + std::to_string(in[icmp]) + ", not an echo request");
  expect(checksum_ok(in, icmp, icmp + icmp_length), "reply to an ICMP message with a bad checksum");

  // The reply.
  std::size_t r = 0;
  if (link == LinkLayer::ethernet) {
    if (out.size() < kEth) return {"reply shorter than an Ethernet header"};
    expect(same(out, 0, in, 6, 6), "Ethernet destination is not the request's Ethernet source");
    expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
    expect(rd16(out, 12) == 0x0800, "EtherType is not IPv4");
    r = kEth;
  }
  if (out.size() < r + 20) return p.empty() ? Problems{"reply shorter than an IPv4 header"} : p;
  expect(out[r] == 0x45, "IP version/IHL is not 4/5");
  const std::size_t reply_total = rd16(out, r + 2);
  expect(reply_total == 20 + icmp_length,
         "IP total length " + std::to_string(reply_total) + ", want 20 + the request's " +
             std::to_string(icmp_length) + "-byte ICMP message");
  const std::size_t want_size = link == LinkLayer::ethernet ? std::max(kEthMin, kEth + 20 + icmp_length)
                                                            : 20 + icmp_length;
  expect(out.size() == want_size, "reply is " + std::to_string(out.size()) + " bytes, want " +
                                      std::to_string(want_size) + " (no trailer, padding only to 60 on Ethernet)");
  expect((rd16(out, r + 6) & 0x3fff) == 0, "reply is marked as a fragment");
  expect(out[r + 8] == kTtl, "TTL is " + std::to_string(out[r + 8]) + ", not 64");
  expect(out[r + 9] == 1, "IP protocol is not ICMP");
  expect(checksum_ok(out, r, r + 20), "IP header checksum does not verify");
  expect(rd32(out, r + 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(same(out, r + 16, in, l3 + 12, 4), "IP destination is not the request's source");
  if (reply_total != 20 + icmp_length || out.size() < r + reply_total) return p;
  const std::size_t ricmp = r + 20;
  expect(out[ricmp] == 0, "ICMP type is " + std::to_string(out[ricmp]) + ", not 0 (echo reply)");
  expect(out[ricmp + 1] == 0 || out[ricmp + 1] == in[icmp + 1], "ICMP code is neither 0 nor the request's");
  expect(checksum_ok(out, ricmp, ricmp + icmp_length), "ICMP checksum over the IP payload does not verify");
  expect(same(out, ricmp + 4, in, icmp + 4, 4), "identifier or sequence number differs from the request's");
  expect(same(out, ricmp + 8, in, icmp + 8, icmp_length - 8), "echo data differs from the request's");
  if (link == LinkLayer::ethernet && out.size() > kEth + reply_total) {
    expect(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(kEth + reply_total), out.end(),
                       [](std::uint8_t b) { return b == 0; }),
           "Ethernet padding is not zero");
  }
  return p;
}

// Is `out` a correct answer to `in`? Only ARP requests and ICMP echo requests are ever answered.
Problems check_reply(const Bytes& in, const Bytes& out, LinkLayer link) {
  if (link == LinkLayer::ethernet) {
    if (in.size() < kEth) return {"reply to a runt frame"};
    const std::uint16_t type = rd16(in, 12);
    if (type == 0x0806) return check_arp_reply(in, out);
    if (type != 0x0800) return {"reply to a " + kind_of(in, link)};
  }
  const std::string kind = kind_of(in, link);
  if (kind != "ICMP echo request") return {"reply to a " + kind};
  return check_echo_reply(in, out, link);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a file's header ourselves

std::optional<std::uint32_t> file_linktype(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  Bytes b;
  for (std::istreambuf_iterator<char> it(file), end; it != end && b.size() < 24; ++it) {
    b.push_back(static_cast<std::uint8_t>(*it));
  }
  if (b.size() < 24) return std::nullopt;
  const bool little = b[0] == 0xd4 || b[0] == 0x4d;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= std::uint32_t{b[20 + i]} << (little ? 8 * i : 8 * (3 - i));
  return v;
}

std::string drop_histogram(const Replay& replay) {
  std::map<std::string, std::size_t> counts;
  for (const ReplayedFrame& f : replay.frames) {
    if (f.drop) ++counts[std::string(ministack::describe(*f.drop).name)];
  }
  std::ostringstream out;
  for (const auto& [name, n] : counts) out << (out.tellp() > 0 ? ", " : "") << name << "=" << n;
  return out.str();
}

std::size_t count_drops(const Replay& replay, DropReason reason) {
  return static_cast<std::size_t>(std::count_if(replay.frames.begin(), replay.frames.end(),
                                                 [reason](const ReplayedFrame& f) { return f.drop == reason; }));
}

// ---------------------------------------------------------------------------------------------------------------
// Per-file certainties from the README, beyond the generic checks.

using FileCheck = std::function<void(const Replay&)>;

void expect_no_replies(const Replay& replay, const char* why) {
  for (const ReplayedFrame& f : replay.frames) {
    EXPECT_TRUE(f.reply.empty()) << "frame " << f.index << " (" << kind_of(f.input, replay.link)
                                 << ") was answered: " << why;
  }
}

// Every IPv6 packet on a TUN capture is dropped as IPv6, by name.
void expect_ipv6_dropped_by_name(const Replay& replay, std::size_t at_least) {
  std::size_t ipv6 = 0;
  for (const ReplayedFrame& f : replay.frames) {
    if (f.input.empty() || f.input[0] >> 4 != 6) continue;
    ++ipv6;
    EXPECT_EQ(f.drop, DropReason::ipv6_not_spoken) << "frame " << f.index;
  }
  EXPECT_GE(ipv6, at_least) << "IPv6 packets in the capture";
}

const std::map<std::string, FileCheck>& file_checks() {
  static const std::map<std::string, FileCheck> checks = {
      {"tp_vlan.pcap",
       [](const Replay& replay) {
         // No VLAN is configured: every tagged frame stops at the EtherType, unless the Ethernet header itself is
         // already wrong (frame 6 comes from 11:11:11:11:11:11, a group address: eth_bad_source, checked by
         // faults_of like every other drop).
         std::size_t tagged = 0;
         for (const ReplayedFrame& f : replay.frames) {
           EXPECT_TRUE(f.drop) << "frame " << f.index;
           ASSERT_GE(f.input.size(), kEth);
           EXPECT_EQ(kind_of(f.input, replay.link), "VLAN-tagged frame") << "frame " << f.index;
           if (mac_is_group(f.input, 6) || !(mac_is(f.input, 0, kOurMac) || mac_is_broadcast(f.input, 0))) continue;
           ++tagged;
           EXPECT_EQ(f.drop, DropReason::eth_unsupported_type) << "frame " << f.index;
         }
         EXPECT_GE(tagged, replay.frames.size() - 1);
       }},
      {"tp_ipv6.pcap",
       [](const Replay& replay) {
         expect_no_replies(replay, "an IPv4-only stack sends nothing for IPv6");
         for (const ReplayedFrame& f : replay.frames) {
           ASSERT_GE(f.input.size(), kEth);
           if (rd16(f.input, 12) != 0x86dd) continue;
           // Sent to us from a unicast source: it can only stop at the EtherType.
           if (mac_is(f.input, 0, kOurMac) && !mac_is_group(f.input, 6)) {
             EXPECT_EQ(f.drop, DropReason::eth_unsupported_type) << "frame " << f.index;
           }
         }
       }},
      {"tp_l2_misc.pcap",
       [](const Replay& replay) {
         expect_no_replies(replay, "non-IP and runt frames are never answered");
         // Nothing here carries IPv4 or ARP: every frame stops in the Ethernet layer.
         const std::set<DropReason> ethernet = {DropReason::eth_truncated, DropReason::eth_not_for_us,
                                                DropReason::eth_bad_source, DropReason::eth_unsupported_type};
         for (const ReplayedFrame& f : replay.frames) {
           EXPECT_TRUE(f.drop && ethernet.count(*f.drop)) << "frame " << f.index << " dropped as "
                                                          << (f.drop ? ministack::describe(*f.drop).name : "nothing");
         }
       }},
      {"tp_icmp_other.pcap",
       [](const Replay& replay) {
         expect_no_replies(replay, "no reply to ICMP messages other than echo requests, no error about an error");
         // The well-formed ones reach ICMP and are ignored there by type.
         std::size_t well_formed = 0;
         for (const ReplayedFrame& f : replay.frames) {
           if (faults_of(f.input, replay.link) != std::set<DropReason>{DropReason::icmp_type_ignored}) continue;
           ++well_formed;
           EXPECT_EQ(f.drop, DropReason::icmp_type_ignored) << "frame " << f.index;
         }
         EXPECT_GT(well_formed, 0u);
       }},
      {"tp_ipv4_other_proto.pcap",
       [](const Replay& replay) {
         // ministack sends no ICMP unreachable or TCP RST (both MAY): nothing at all.
         expect_no_replies(replay, "only ICMP echo is answered");
         EXPECT_GT(count_drops(replay, DropReason::ip_unknown_protocol), 0u);
       }},
      {"tp_frag.pcap",
       [](const Replay& replay) {
         EXPECT_GT(count_drops(replay, DropReason::ip_fragment), 0u);
         for (const ReplayedFrame& f : replay.frames) {
           if (is_fragmented_echo_request_for_us(f.input, replay.link)) {
             EXPECT_EQ(f.drop, DropReason::ip_fragment) << "frame " << f.index << ": the known reassembly gap";
           }
         }
       }},
      {"tun_tp_mixed_raw12.pcap", [](const Replay& replay) { expect_ipv6_dropped_by_name(replay, 1); }},
      {"tun_tp_ipv4_228.pcap", [](const Replay& replay) { expect_ipv6_dropped_by_name(replay, 1); }},
      {"tp_ipv4_malformed.pcap",
       [](const Replay& replay) {
         // The zeek pair: the bad-checksum echo request is dropped for it, its good twin (the control) answered.
         EXPECT_GT(count_drops(replay, DropReason::icmp_bad_checksum), 0u);
         EXPECT_GT(count_drops(replay, DropReason::ip_bad_checksum), 0u);
       }},
      {"derived_eth_padding.pcap",
       [](const Replay& replay) {
         // Every frame is a short echo request padded or followed by a trailer; each one must show both.
         for (const ReplayedFrame& f : replay.frames) {
           ASSERT_GE(f.input.size(), kEth + 4);
           EXPECT_GT(f.input.size(), kEth + rd16(f.input, kEth + 2)) << "frame " << f.index << " has no padding";
         }
       }},
      {"derived_ip_trailer_tun.pcap",
       [](const Replay& replay) {
         for (const ReplayedFrame& f : replay.frames) {
           ASSERT_GE(f.input.size(), 4u);
           EXPECT_GT(f.input.size(), rd16(f.input, 2)) << "frame " << f.index << " has no trailer";
           EXPECT_FALSE(f.reply.empty()) << "frame " << f.index;
         }
       }},
  };
  return checks;
}

// ---------------------------------------------------------------------------------------------------------------
// The tests

class RealWorldCapture : public ::testing::TestWithParam<Expectation> {};

TEST_P(RealWorldCapture, RepliesAreCorrectAndWithinMustAndMay) {
  const Expectation& e = GetParam();
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  const fs::path path = kDirectory / e.file;
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();

  // The file is what the README says it is.
  EXPECT_EQ(file_linktype(path), e.link_type) << "link type in the file's header";
  // (MUST + MAY + none need not add up to the frames: MAY also counts acceptable extras, such as an ICMP error
  // about a frame that gets no reply.)
  ASSERT_LE(e.must + e.none, e.frames) << "the README's table";

  Replay replay;
  try {
    replay = replay_capture(path.string());
  } catch (const std::exception& ex) {
    FAIL() << "replaying " << path.string() << " threw: " << ex.what();
  }
  EXPECT_EQ(replay.link, e.link_type == 1 ? LinkLayer::ethernet : LinkLayer::ip);
  ASSERT_EQ(replay.frames.size(), e.frames) << "frames given to the stack";

  // Every frame either gets a correct reply or is dropped for a fault it really has.
  std::size_t reported = 0, answerable = 0;
  constexpr std::size_t kMaxReported = 40;
  auto report = [&](const ReplayedFrame& f, const std::string& what) {
    if (++reported <= kMaxReported) ADD_FAILURE() << e.file << " frame " << f.index << ": " << what;
  };
  for (const ReplayedFrame& f : replay.frames) {
    const std::set<DropReason> faults = faults_of(f.input, replay.link);
    answerable += faults.empty() ? 1 : 0;
    if (!f.reply.empty()) {
      if (f.drop) report(f, "both a reply and a drop reason");
      for (const std::string& problem : check_reply(f.input, f.reply, replay.link)) report(f, problem);
      if (!faults.empty()) {
        report(f, "answered although it has the fault " + std::string(ministack::describe(*faults.begin()).name));
      }
    } else if (!f.drop) {
      report(f, "neither answered nor dropped");
    } else if (faults.empty()) {
      report(f, "a well-formed " + kind_of(f.input, replay.link) + " for us was dropped as " +
                    std::string(ministack::describe(*f.drop).name));
    } else if (!faults.count(*f.drop)) {
      std::string have;
      for (DropReason r : faults) have += (have.empty() ? "" : ", ") + std::string(ministack::describe(r).name);
      report(f, "dropped as " + std::string(ministack::describe(*f.drop).name) + ", which it is not (it is: " + have +
                    ")");
    }
  }
  EXPECT_LE(reported, 0u) << reported << " problems in " << e.file
                          << (reported > kMaxReported ? " (the first " + std::to_string(kMaxReported) + " shown)" : "");

  // Counters agree with what was seen.
  const std::size_t replies = replay.reply_count();
  EXPECT_EQ(replay.counters.get(ministack::Counter::ifInFrames), e.frames);
  EXPECT_EQ(replay.counters.get(ministack::Counter::ifOutFrames), replies);
  EXPECT_EQ(replay.counters.total_drops() + replies, e.frames);

  // The known gap is what it says: as many fragmented echo requests for us as replies it excuses.
  std::size_t fragmented_echoes = 0;
  for (const ReplayedFrame& f : replay.frames) {
    fragmented_echoes += is_fragmented_echo_request_for_us(f.input, replay.link) ? 1 : 0;
  }
  EXPECT_EQ(fragmented_echoes, e.fragment_gap)
      << "fragmented echo requests for us, which need reassembly (kFragmentReassemblyGap)";

  const std::size_t required = e.must - e.fragment_gap;
  std::cout << "[ replies  ] " << e.file << ": " << replies << " replies; MUST " << e.must << ", MAY " << e.may
            << (e.fragment_gap ? ", known gap " + std::to_string(e.fragment_gap) + " (fragment reassembly)" : "")
            << " -> accepted " << required << ".." << e.must + e.may << "; " << answerable
            << " frames well-formed requests by an independent reading\n"
            << "[ drops    ] " << e.file << ": " << drop_histogram(replay) << "\n";
  RecordProperty("replies", static_cast<int>(replies));
  RecordProperty("must", static_cast<int>(e.must));
  RecordProperty("may", static_cast<int>(e.may));
  RecordProperty("known_fragment_reassembly_gap", static_cast<int>(e.fragment_gap));

  EXPECT_GE(replies, required) << "MUST " << e.must << " less the known gap of " << e.fragment_gap;
  EXPECT_LE(replies, e.must + e.may) << "MUST " << e.must << " + MAY " << e.may;

  // MINISTACK_REALWORLD_VERBOSE=1: one line per frame, to see what became of each.
  if (const char* verbose = std::getenv("MINISTACK_REALWORLD_VERBOSE"); verbose && *verbose && *verbose != '0') {
    for (const ReplayedFrame& f : replay.frames) {
      std::cout << "  " << e.file << " #" << f.index << " " << f.input.size() << "B " << kind_of(f.input, replay.link)
                << " -> "
                << (f.reply.empty() ? "drop " + std::string(f.drop ? ministack::describe(*f.drop).name : "?")
                                    : "reply " + std::to_string(f.reply.size()) + "B")
                << "\n";
    }
  }

  const auto check = file_checks().find(e.file);
  if (check != file_checks().end()) check->second(replay);
}

std::string case_name(const ::testing::TestParamInfo<Expectation>& param_info) {
  std::string name = fs::path(param_info.param.file).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, RealWorldCapture, ::testing::ValuesIn(expectations()), case_name);

// The reply checks are not vacuous: on real replies from the captures, every single-bit corruption, a byte more and
// a byte less are each caught.
TEST(RealWorldCaptures, ReplyChecksCatchEveryCorruptionOfARealReply) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  std::size_t replies = 0;
  for (const char* file : {"tp_arp.pcap", "tp_icmp_echo.pcap", "derived_eth_padding.pcap", "tun_tp_ipv4_228.pcap",
                           "derived_ip_trailer_tun.pcap"}) {
    const fs::path path = kDirectory / file;
    if (!fs::is_regular_file(path)) continue;
    const Replay replay = replay_capture(path.string());
    for (const ReplayedFrame& f : replay.frames) {
      if (f.reply.empty()) continue;
      ++replies;
      ASSERT_TRUE(check_reply(f.input, f.reply, replay.link).empty()) << file << " frame " << f.index;
      std::size_t missed = 0;
      for (std::size_t i = 0; i < f.reply.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
          Bytes bad = f.reply;
          bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1u << bit));
          if (check_reply(f.input, bad, replay.link).empty()) {
            if (++missed <= 3) {
              ADD_FAILURE() << file << " frame " << f.index << ": flipping bit " << bit << " of byte " << i
                            << " went unnoticed";
            }
          }
        }
      }
      Bytes longer = f.reply;
      longer.push_back(0);
      EXPECT_FALSE(check_reply(f.input, longer, replay.link).empty()) << file << " frame " << f.index;
      Bytes shorter(f.reply.begin(), f.reply.end() - 1);
      EXPECT_FALSE(check_reply(f.input, shorter, replay.link).empty()) << file << " frame " << f.index;
    }
  }
  if (replies == 0) GTEST_SKIP() << "none of the captures with replies found in " << kDirectory.string();
}

// Every capture in the directory has its expectations here: a file added there is not silently left out.
TEST(RealWorldCaptures, EveryCaptureInTheDirectoryHasExpectations) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  std::set<std::string> known;
  for (const Expectation& e : expectations()) known.insert(e.file);
  std::size_t captures = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(kDirectory)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    ++captures;
    EXPECT_TRUE(known.count(entry.path().filename().string()))
        << entry.path().string() << " has no expectations in realworld_test.cpp";
  }
  EXPECT_GT(captures, 0u) << "no captures in " << kDirectory.string();
}

}  // namespace
