// Third-party captures through the whole stack: frames from public test suites and sample captures (tcpdump,
// libpcap, suricata-verify, zeek, ...), re-addressed to 192.168.3.12 / 02:00:00:00:00:01. They live beside the
// checkout in MINISTACK_REALWORLD (../shared/pcaps/realworld), are read from there and never copied into the project;
// when they are absent every case is skipped, saying where it looked.
//
// For each file, against the per-file table of that directory's README.md:
//   - the replay never throws (or crashes: the sanitizer build runs this too);
//   - a reply is whatever the stack sent while handling one input frame: an answer (ARP reply, echo reply, UDP
//     echo), possibly fragmented into several frames, or an ICMP destination unreachable, which the README only ever
//     allows as a MAY. The stack must give at least MUST answers, and MUST <= replies <= MUST + MAY;
//   - every frame sent is checked with this file's own byte reads, never the stack's parsers: ARP replies, echo
//     replies (options included, fragmented replies rebuilt from their fragments), ICMP unreachables (code, quote,
//     and that the datagram they report may be reported at all: RFC 1122 §3.2.2);
//   - fragments are followed by an independent reassembly model (ReassemblyModel): a fragment may be held silently
//     only while its datagram is incomplete, the frame that completes a datagram is judged by the whole datagram
//     (rebuilt by the model from the file's fragments), and overlapping datagrams are never answered;
//   - every drop names a fault the frame really has (read_frame and the model, an independent reading of each frame),
//     ICMP errors that are due are sent exactly as the documented rate limit allows (ErrorRateModel), the counters
//     agree with all of it, and the certainties the README gives per file are checked (file_checks).
// Beyond the files as they are: the same captures through a stack with a 576-byte MTU, so replies go out in
// fragments; real requests from them given Record Route and Timestamp options, re-addressed to broadcast and
// multicast addresses, or turned to the UDP echo port (in memory, never written anywhere); and proof that the reply
// checks catch every single-bit corruption of the real replies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "replay_harness.hpp"

#ifndef MINISTACK_REALWORLD
#error "MINISTACK_REALWORLD must name the directory of the real-world captures"
#endif

namespace {

namespace fs = std::filesystem;
using ministack::DropReason;
using ministack::LinkLayer;
using ministack::testing::Replay;
using ministack::testing::ReplayedFrame;
using ministack::testing::replay_capture;
using Bytes = std::vector<std::uint8_t>;
using Problems = std::vector<std::string>;

const fs::path kDirectory{MINISTACK_REALWORLD};

// ---------------------------------------------------------------------------------------------------------------
// Expectations: the README's table

struct Expectation {
  const char* file;
  std::uint32_t link_type;  // in the file's header
  std::size_t frames;
  std::size_t must;  // replies a correct responder sends
  std::size_t may;   // replies that are acceptable but not required (ICMP errors are only ever these)
  std::size_t none;  // frames that must get no reply
  // Echo requests for us that arrive in fragments (suricata's 2-fragment 1400-byte echo): counted in MUST, each
  // answered once its last fragment arrives, and checked as such by expect_reassembly().
  std::size_t reassembled_echoes = 0;
};

void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file; }

const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> table = {
      {"tp_arp.pcap", 1, 113, 53, 1, 59},
      {"tp_icmp_echo.pcap", 1, 46, 25, 8, 13},
      {"tp_offsubnet.pcap", 1, 16, 12, 3, 1},
      {"tp_ipv4_malformed.pcap", 1, 38, 1, 1, 36},
      {"tp_icmp_other.pcap", 1, 57, 0, 0, 57},
      {"tp_frag.pcap", 1, 51, 6, 14, 36, 1},
      {"tp_ipv6.pcap", 1, 48, 0, 8, 40},
      {"tp_vlan.pcap", 1, 18, 0, 0, 18},
      {"tp_l2_misc.pcap", 1, 44, 0, 0, 44},
      {"tp_ipv4_other_proto.pcap", 1, 40, 0, 33, 16},
      {"tun_tp_ipv4_raw101.pcap", 101, 216, 35, 49, 146, 1},
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
constexpr std::uint32_t kOurIp = 0xc0a8030c;            // 192.168.3.12
constexpr std::uint32_t kSubnetBroadcast = 0xc0a803ff;  // 192.168.3.255
constexpr std::uint32_t kLimitedBroadcast = 0xffffffff;
constexpr std::size_t kEth = 14;      // Ethernet header
constexpr std::size_t kEthMin = 60;   // Ethernet minimum frame without FCS
constexpr std::uint8_t kTtl = 64;
constexpr std::size_t kMtu = 1500;    // the stack's default: largest IP datagram per frame
constexpr std::size_t kMaxDatagram = 65535;
constexpr std::uint8_t kErrorTos = 0xc0;          // precedence 6, internetwork control (RFC 1812 §4.3.2.5)
constexpr std::size_t kMaxErrorLength = 576;      // RFC 1812 §4.3.2.3
constexpr std::uint16_t kEchoPort = 7;            // RFC 862
constexpr std::uint32_t kMsPerDay = 24u * 60u * 60u * 1000u;  // RFC 791 timestamps: ms since midnight UT

std::uint16_t rd16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((unsigned{b[at]} << 8) | unsigned{b[at + 1]});
}
std::uint32_t rd32(const Bytes& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}
void wr16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
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
// Writes a fresh IPv4 header checksum for the header at b[at, at + ihl).
void set_ip_checksum(Bytes& b, std::size_t at, std::size_t ihl) {
  wr16(b, at + 10, 0);
  wr16(b, at + 10, static_cast<std::uint16_t>(~ones_sum(b, at, at + ihl)));
}

Bytes sub(const Bytes& b, std::size_t from, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + n));
}
bool same(const Bytes& a, std::size_t a_at, const Bytes& b, std::size_t b_at, std::size_t n) {
  return a.size() >= a_at + n && b.size() >= b_at + n &&
         std::equal(a.begin() + static_cast<std::ptrdiff_t>(a_at), a.begin() + static_cast<std::ptrdiff_t>(a_at + n),
                    b.begin() + static_cast<std::ptrdiff_t>(b_at));
}
bool all_zero(const Bytes& b, std::size_t from) {
  return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(std::min(from, b.size())), b.end(),
                     [](std::uint8_t x) { return x == 0; });
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
std::string reason_name(DropReason r) { return std::string(ministack::describe(r).name); }
std::string reason_names(const std::set<DropReason>& reasons) {
  std::string s;
  for (DropReason r : reasons) s += (s.empty() ? "" : ", ") + reason_name(r);
  return s.empty() ? "none" : s;
}

// Sources no host may answer (RFC 1122 §3.2.1.3): this network (0/8), loopback, multicast and class E (224/3),
// limited and subnet broadcast, and our own address.
bool bad_source(std::uint32_t a) {
  const std::uint32_t first = a >> 24;
  return first == 0 || first == 127 || (first & 0xe0) == 0xe0 || a == kLimitedBroadcast || a == kSubnetBroadcast ||
         a == kOurIp;
}
bool is_multicast(std::uint32_t a) { return (a >> 28) == 0xe; }
bool is_broadcast(std::uint32_t a) { return a == kLimitedBroadcast || a == kSubnetBroadcast; }

// An IPv4 header at b[at]: its fields.
std::size_t ihl_at(const Bytes& b, std::size_t at) { return std::size_t{b[at] & 0x0fu} * 4; }
std::size_t fragment_offset_at(const Bytes& b, std::size_t at) { return std::size_t{rd16(b, at + 6) & 0x1fffu} * 8; }
bool more_fragments_at(const Bytes& b, std::size_t at) { return (rd16(b, at + 6) & 0x2000) != 0; }
bool is_fragment_at(const Bytes& b, std::size_t at) { return (rd16(b, at + 6) & 0x3fff) != 0; }

// The UDP checksum of d's UDP datagram (at d[ihl], udp_length bytes), with the pseudo-header (RFC 768).
bool udp_checksum_ok(const Bytes& d, std::size_t ihl, std::size_t udp_length) {
  Bytes pseudo = sub(d, 12, 8);  // source and destination addresses
  pseudo.insert(pseudo.end(), {0, 17, static_cast<std::uint8_t>(udp_length >> 8),
                               static_cast<std::uint8_t>(udp_length & 0xff)});
  pseudo.insert(pseudo.end(), d.begin() + static_cast<std::ptrdiff_t>(ihl),
                d.begin() + static_cast<std::ptrdiff_t>(ihl + udp_length));
  return checksum_ok(pseudo, 0, pseudo.size());
}

// What a frame is, in words, for messages.
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
  if (fragment_offset_at(f, l3) != 0) {
    return "IP fragment at offset " + std::to_string(fragment_offset_at(f, l3)) + " of protocol " +
           std::to_string(protocol);
  }
  const std::string first = more_fragments_at(f, l3) ? " (first fragment)" : "";
  if (protocol != 1) return "IPv4 protocol " + std::to_string(protocol) + first;
  const std::size_t icmp = l3 + ihl_at(f, l3);
  if (f.size() <= icmp) return "ICMP without a header";
  switch (f[icmp]) {
    case 0: return "ICMP echo reply" + first;
    case 3: return "ICMP destination unreachable (an error)" + first;
    case 4: return "ICMP source quench (an error)" + first;
    case 5: return "ICMP redirect (an error)" + first;
    case 8: return "ICMP echo request" + first;
    case 11: return "ICMP time exceeded (an error)" + first;
    case 12: return "ICMP parameter problem (an error)" + first;
    default: return "ICMP type " + std::to_string(f[icmp]) + first;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IP options (RFC 791 §3.1), read independently: malformed ones are a fault of the datagram (RFC 1122 §3.2.1.8
// lets a host drop it); "odd" ones are well-formed but not whole slots from the pointer on (a Record Route or
// Timestamp a sender following RFC 791 never writes, where Linux refuses to answer an echo): an echo request carrying
// those may be answered or dropped as ip_bad_options.

enum class OptionsState { fine, odd, malformed };

struct IpOption {
  std::uint8_t type;
  std::size_t at;      // in the datagram
  std::size_t length;  // the whole option
};

struct OptionsReading {
  OptionsState state = OptionsState::fine;
  std::string why;
  std::vector<IpOption> options;  // those with a length byte, in order
  std::size_t end = 0;            // where the list stopped: an EOL, or the end of the area
  std::optional<IpOption> find(std::uint8_t type) const {
    for (const IpOption& o : options) {
      if (o.type == type) return o;
    }
    return std::nullopt;
  }
};

constexpr std::uint8_t kOptRecordRoute = 7, kOptTimestamp = 68, kOptLsrr = 131, kOptSsrr = 137,
                       kOptRouterAlert = 148;

OptionsReading read_options(const Bytes& d, std::size_t from, std::size_t to) {
  OptionsReading r;
  const auto malformed = [&r](const std::string& why) {
    if (r.state != OptionsState::malformed) r.why = why;
    r.state = OptionsState::malformed;
  };
  const auto odd = [&r](const std::string& why) {
    if (r.state == OptionsState::fine) {
      r.state = OptionsState::odd;
      r.why = why;
    }
  };
  bool seen_rr = false, seen_ts = false, seen_route = false;
  std::size_t i = from;
  while (i < to) {
    const std::uint8_t type = d[i];
    if (type == 0) break;  // End of Option List
    if (type == 1) {       // No Operation
      ++i;
      continue;
    }
    const std::string name = "option " + std::to_string(type);
    if (i + 1 >= to) {
      malformed(name + " has no length byte");
      i = to;
      break;
    }
    const std::size_t length = d[i + 1];
    if (length < 2 || i + length > to) {
      malformed(name + " has length " + std::to_string(length) + ", which does not fit the options area");
      i = to;
      break;
    }
    r.options.push_back({type, i, length});
    const std::size_t pointer = length >= 3 ? d[i + 2] : 0;
    switch (type) {
      case kOptRecordRoute:
      case kOptLsrr:
      case kOptSsrr: {
        bool& seen = type == kOptRecordRoute ? seen_rr : seen_route;
        if (seen) malformed("a second " + name);
        seen = true;
        if (length < 3 || pointer < 4) {
          malformed(name + " with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
        } else if (pointer <= length && pointer + 3 > length) {
          malformed(name + ": the slot its pointer names is cut short");
        } else if (pointer <= length && ((length - 3) % 4 != 0 || (pointer - 4) % 4 != 0)) {
          odd(name + ": length or pointer not whole slots");
        }
        break;
      }
      case kOptTimestamp: {
        if (seen_ts) malformed("a second Timestamp");
        seen_ts = true;
        if (length < 4 || pointer < 5) {
          malformed("Timestamp with length " + std::to_string(length) + ", pointer " + std::to_string(pointer));
          break;
        }
        const unsigned flags = d[i + 3] & 0x0fu, overflow = unsigned{d[i + 3]} >> 4;
        const std::size_t slot = flags == 1 || flags == 3 ? 8 : 4;
        if (pointer <= length && pointer + slot - 1 > length) {
          malformed("Timestamp: the slot its pointer names is cut short");
        } else if (pointer > length && flags != 3 && overflow == 15) {
          malformed("Timestamp full with its overflow count at 15");
        } else if (flags != 0 && flags != 1 && flags != 3) {
          odd("Timestamp with undefined flags " + std::to_string(flags));
        } else if (pointer <= length && ((length - 4) % slot != 0 || (pointer - 5) % slot != 0)) {
          odd("Timestamp: length or pointer not whole slots");
        }
        break;
      }
      case kOptRouterAlert:  // RFC 2113: length 4
        if (length < 4) malformed("Router Alert of length " + std::to_string(length));
        if (length > 4) odd("Router Alert of length " + std::to_string(length));
        break;
      default:
        break;  // known or not, its length is all there is to check
    }
    i += length;
  }
  r.end = i;
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a frame: every reason the stack could legitimately give for dropping it (the faults it really has, several
// when it has several: which one a stack names first is its own business), and what it hands up.

struct FrameReading {
  std::set<DropReason> faults;     // a drop for any of these is right; an answer is wrong
  std::set<DropReason> tolerated;  // reasons a stack may also give for a frame it could as well answer
  bool arp = false;
  bool ipv4 = false;  // an IPv4 header whose lengths hold: the packet is f[l3, l3 + total)
  std::size_t l3 = 0, ihl = 0, total = 0;
  bool link_broadcast = false;
  bool fragment = false;            // MF or an offset
  bool reaches_reassembly = false;  // a fragment with no fault before reassembly
  bool odd_options = false;
  bool may_hold = false;            // reassembly takes it in, and its datagram is still incomplete
  bool reassembled = false;         // it completes a datagram: `delivered` is that datagram
  std::optional<Bytes> delivered;   // the whole datagram this frame hands up (a non-fragment: itself)
};

// The faults of a whole datagram (exactly its total length) above IP. `to_group`: sent to a broadcast or multicast
// address.
std::set<DropReason> upper_faults(const Bytes& d, bool to_group, bool odd_options, std::set<DropReason>& tolerated) {
  const std::size_t ihl = ihl_at(d, 0), payload = d.size() - ihl;
  const std::uint8_t protocol = d[9];
  if (protocol == 1) {
    if (payload < 8) return {DropReason::icmp_truncated};
    std::set<DropReason> faults;
    if (!checksum_ok(d, ihl, d.size())) faults.insert(DropReason::icmp_bad_checksum);
    if (d[ihl] != 8) {
      faults.insert(DropReason::icmp_type_ignored);
    } else {
      // RFC 1122 §3.2.2.6: an echo request to a broadcast or multicast address may be silently discarded.
      if (to_group) faults.insert(DropReason::ip_broadcast_echo_ignored);
      if (odd_options) tolerated.insert(DropReason::ip_bad_options);
    }
    return faults;
  }
  if (protocol == 17) {
    if (payload < 8) return {DropReason::udp_truncated};
    const std::size_t length = rd16(d, ihl + 4);
    if (length < 8 || length > payload) return {DropReason::udp_truncated};
    std::set<DropReason> faults;
    if (rd16(d, ihl + 6) != 0 && !udp_checksum_ok(d, ihl, length)) faults.insert(DropReason::udp_bad_checksum);
    if (rd16(d, ihl + 2) != kEchoPort) {
      faults.insert(DropReason::udp_port_unreachable);
    } else if (to_group) {
      faults.insert(DropReason::ip_broadcast_echo_ignored);  // an echo service answering broadcasts amplifies
    }
    return faults;
  }
  return {DropReason::ip_unknown_protocol};
}

FrameReading read_frame(const Bytes& f, LinkLayer link) {
  FrameReading r;
  std::set<DropReason>& faults = r.faults;
  std::size_t l3 = 0;
  if (link == LinkLayer::ethernet) {
    if (f.size() < kEth) {
      faults.insert(DropReason::eth_truncated);
      return r;
    }
    r.link_broadcast = mac_is_broadcast(f, 0);
    if (!mac_is(f, 0, kOurMac) && !r.link_broadcast) faults.insert(DropReason::eth_not_for_us);
    if (mac_is_group(f, 6)) faults.insert(DropReason::eth_bad_source);
    const std::uint16_t type = rd16(f, 12);
    if (type == 0x86dd) {
      faults.insert(DropReason::eth_unsupported_type);
      faults.insert(DropReason::ipv6_not_spoken);
      return r;
    }
    if (type != 0x0800 && type != 0x0806) {
      faults.insert(DropReason::eth_unsupported_type);
      return r;
    }
    if (type == 0x0806) {
      r.arp = true;
      const std::size_t n = f.size() - kEth;
      if (n < 8) {
        faults.insert(DropReason::arp_truncated);
        return r;
      }
      if (rd16(f, kEth) != 1 || rd16(f, kEth + 2) != 0x0800 || f[kEth + 4] != 6 || f[kEth + 5] != 4) {
        faults.insert(DropReason::arp_unsupported_format);
      }
      if (n < 28) faults.insert(DropReason::arp_truncated);
      if (n < 28 || faults.count(DropReason::arp_unsupported_format)) return r;
      if (mac_is_group(f, kEth + 8)) faults.insert(DropReason::arp_bad_sender);
      if (rd16(f, kEth + 6) != 1) faults.insert(DropReason::arp_not_request);
      if (rd32(f, kEth + 24) != kOurIp) faults.insert(DropReason::arp_not_for_us);
      return r;
    }
    l3 = kEth;
  } else if (!f.empty() && (f[0] >> 4) == 6) {
    faults = {DropReason::ipv6_not_spoken, DropReason::ip_bad_version};
    return r;
  }

  // IPv4, at f[l3]; the packet may be followed by link padding or a trailer.
  r.l3 = l3;
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
  if (stop) return r;
  const std::size_t ihl = ihl_at(f, l3), total = rd16(f, l3 + 2);
  if (ihl < 20) faults.insert(DropReason::ip_bad_ihl);
  if (total < ihl) faults.insert(DropReason::ip_bad_total_length);
  if (ihl > available || total > available) faults.insert(DropReason::ip_truncated);
  if (ihl < 20 || total < ihl || ihl > available || total > available) return r;
  r.ipv4 = true;
  r.ihl = ihl;
  r.total = total;
  if (!checksum_ok(f, l3, l3 + ihl)) faults.insert(DropReason::ip_bad_checksum);
  // RFC 1122 §3.3.6: a host takes broadcasts in. A multicast group it may or may not have joined (224.0.0.1, all
  // hosts, is the one every host belongs to): "not for us" is as right as taking it in.
  const std::uint32_t destination = rd32(f, l3 + 16);
  const bool to_group = is_broadcast(destination) || is_multicast(destination);
  if (destination != kOurIp && !is_broadcast(destination)) faults.insert(DropReason::ip_not_for_us);
  if (r.link_broadcast && !to_group) faults.insert(DropReason::ip_link_broadcast);  // RFC 1122 §3.3.6
  if (bad_source(rd32(f, l3 + 12))) faults.insert(DropReason::ip_bad_source);
  const OptionsReading options = read_options(f, l3 + 20, l3 + ihl);
  if (options.state == OptionsState::malformed) faults.insert(DropReason::ip_bad_options);
  r.odd_options = options.state == OptionsState::odd;
  r.fragment = is_fragment_at(f, l3);

  std::set<DropReason> before_reassembly = faults;
  if (is_multicast(destination)) before_reassembly.erase(DropReason::ip_not_for_us);
  const Bytes packet = sub(f, l3, total);
  if (r.fragment) {
    r.reaches_reassembly = before_reassembly.empty();
  } else {
    r.delivered = packet;
    const std::set<DropReason> upper = upper_faults(packet, to_group, r.odd_options, r.tolerated);
    faults.insert(upper.begin(), upper.end());
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// An independent model of reassembly (RFC 791 §3.2, RFC 815), with the rules the README states: overlaps drop the
// whole datagram (RFC 5722 §4, which allows the same for an exact duplicate), exact duplicates may be ignored, a
// fragment with no data or a non-final one whose data is not a multiple of 8 is dropped alone, nothing may reach
// past 65535 bytes. Which of several faults the stack names is its business; the model then follows the consequence
// of the reason it named (verify()).

using DatagramKey = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;  // src, dst, proto, id

DatagramKey key_of(const Bytes& f, std::size_t l3) {
  return {rd32(f, l3 + 12), rd32(f, l3 + 16), f[l3 + 9], rd16(f, l3 + 4)};
}

class ReassemblyModel {
 public:
  struct Step {
    std::set<DropReason> faults;     // of this fragment, given what is held
    std::optional<Bytes> completes;  // the whole datagram, if taking it in completes one
  };

  Step look(const Bytes& f, const FrameReading& r) const {
    Step step;
    const std::size_t offset = fragment_offset_at(f, r.l3), length = r.total - r.ihl, end = offset + length;
    const bool last = !more_fragments_at(f, r.l3);
    if (length == 0 || (!last && length % 8 != 0)) step.faults.insert(DropReason::reasm_bad_length);
    const auto it = pending_.find(key_of(f, r.l3));
    std::size_t header_length = r.ihl, max_end = end;
    if (it != pending_.end()) {
      if (offset != 0 && !it->second.first_header.empty()) header_length = it->second.first_header.size();
      for (const Piece& p : it->second.pieces) max_end = std::max(max_end, p.offset + p.data.size());
    }
    if (header_length + max_end > kMaxDatagram) step.faults.insert(DropReason::reasm_oversize);
    if (it != pending_.end()) {
      std::optional<std::size_t> known_end;
      for (const Piece& p : it->second.pieces) {
        const std::size_t p_end = p.offset + p.data.size();
        if (p.last) known_end = p_end;
        if (p.offset == offset && p.data.size() == length) {
          step.faults.insert(DropReason::reasm_duplicate);
          step.faults.insert(DropReason::reasm_overlap);
        } else if (p.offset < end && offset < p_end) {
          step.faults.insert(DropReason::reasm_overlap);
        }
      }
      // The last fragment fixes the end: a different end, or data past it, contradicts what is held.
      if (known_end ? (last ? end != *known_end : end > *known_end) : (last && max_end > end)) {
        step.faults.insert(DropReason::reasm_overlap);
      }
    }
    if (step.faults.empty()) {
      Pending with = it != pending_.end() ? it->second : Pending{};
      add(with, f, r);
      step.completes = assemble(with);
    }
    return step;
  }

  // The fragment joins its datagram; a completed datagram leaves the model.
  void take(const Bytes& f, const FrameReading& r) {
    const DatagramKey key = key_of(f, r.l3);
    Pending& p = pending_[key];
    add(p, f, r);
    if (assemble(p)) pending_.erase(key);
  }
  // Its datagram is dropped whole.
  void abandon(const Bytes& f, const FrameReading& r) { pending_.erase(key_of(f, r.l3)); }
  std::size_t in_progress() const { return pending_.size(); }

 private:
  struct Piece {
    std::size_t offset;
    Bytes data;
    bool last;
  };
  struct Pending {
    std::vector<Piece> pieces;
    Bytes first_header;  // of the offset-0 fragment, once it is there
  };

  static void add(Pending& p, const Bytes& f, const FrameReading& r) {
    const std::size_t offset = fragment_offset_at(f, r.l3);
    p.pieces.push_back({offset, sub(f, r.l3 + r.ihl, r.total - r.ihl), !more_fragments_at(f, r.l3)});
    if (offset == 0) p.first_header = sub(f, r.l3, r.ihl);
  }

  // RFC 791 §3.2: the whole datagram once every hole is filled: the first fragment's header, with the total
  // length of the whole, MF and the offset cleared (the reserved bit and DF as they were), a new checksum.
  static std::optional<Bytes> assemble(const Pending& p) {
    if (p.first_header.empty()) return std::nullopt;
    std::vector<const Piece*> pieces;
    for (const Piece& piece : p.pieces) pieces.push_back(&piece);
    std::sort(pieces.begin(), pieces.end(), [](const Piece* a, const Piece* b) { return a->offset < b->offset; });
    if (pieces.empty() || !pieces.back()->last) return std::nullopt;
    Bytes d = p.first_header;
    for (const Piece* piece : pieces) {
      if (piece->offset != d.size() - p.first_header.size()) return std::nullopt;  // a hole
      d.insert(d.end(), piece->data.begin(), piece->data.end());
    }
    wr16(d, 2, static_cast<std::uint16_t>(d.size()));
    wr16(d, 6, static_cast<std::uint16_t>(rd16(d, 6) & 0xc000));
    set_ip_checksum(d, 0, p.first_header.size());
    return d;
  }

  std::map<DatagramKey, Pending> pending_;
};

// Reasons a stack gives only once a datagram is whole and handed up.
bool given_after_delivery(DropReason r) {
  switch (r) {
    case DropReason::icmp_truncated:
    case DropReason::icmp_bad_checksum:
    case DropReason::icmp_type_ignored:
    case DropReason::udp_truncated:
    case DropReason::udp_bad_checksum:
    case DropReason::udp_port_unreachable:
    case DropReason::ip_unknown_protocol:
    case DropReason::ip_broadcast_echo_ignored:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The documented limit on ICMP errors, modelled independently: per destination a bucket of 6 that regains one
// message a second, and a global bucket of 50 that regains 1000 a second (one a millisecond); the global one is
// looked at first, the destination's spends its token, then the global one spends its own (so a refusal costs
// neither). Time in whole milliseconds, as the stack's clock has it.

class ErrorRateModel {
 public:
  bool allow(std::uint32_t destination, std::int64_t now_ms) {
    refill(global_, now_ms, kGlobalBurst);
    if (global_.credit < 1) return false;
    Bucket& d = per_destination_.try_emplace(destination, Bucket{kPerDestinationBurst * kMsPerToken, 0, false})
                    .first->second;
    refill(d, now_ms, kPerDestinationBurst * kMsPerToken);
    if (d.credit < kMsPerToken) return false;
    d.credit -= kMsPerToken;
    global_.credit -= 1;
    return true;
  }
  std::size_t destinations() const { return per_destination_.size(); }

 private:
  struct Bucket {
    std::int64_t credit;  // global: messages; per destination: milliseconds of waiting saved up
    std::int64_t last_ms = 0;
    bool started = false;  // last_ms means something
  };
  static constexpr std::int64_t kGlobalBurst = 50, kPerDestinationBurst = 6, kMsPerToken = 1000;
  static void refill(Bucket& b, std::int64_t now_ms, std::int64_t capacity) {
    if (b.started && now_ms > b.last_ms) b.credit = std::min(capacity, b.credit + (now_ms - b.last_ms));
    b.last_ms = b.started ? std::max(b.last_ms, now_ms) : now_ms;
    b.started = true;
  }
  Bucket global_{kGlobalBurst, 0, false};
  std::map<std::uint32_t, Bucket> per_destination_;
};

// ---------------------------------------------------------------------------------------------------------------
// Checks of what was sent: each returns what is wrong, empty when it is a correct answer.

using Expect = std::function<void(bool, const std::string&)>;
Expect expector(Problems& p) {
  return [&p](bool ok, const std::string& what) {
    if (!ok) p.push_back(what);
  };
}

Problems check_arp_reply(const Bytes& in, const Bytes& out) {
  Problems p;
  const Expect expect = expector(p);
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
  expect(all_zero(out, kEth + 28), "padding after the ARP packet is not zero");
  return p;
}

// A timestamp as RFC 791 §3.1 has it: milliseconds since midnight UT, or any value with the high bit set.
bool valid_timestamp(std::uint32_t t) { return t < kMsPerDay || (t & 0x80000000u) != 0; }

// Record Route in an echo reply (RFC 1122 §3.2.2.6: updated with this host, without truncation): the request's
// option, same length, what was recorded before kept, one or two slots (receipt and reply: Linux, and ministack,
// fill both) recorded as 192.168.3.12 where there was room, the rest as it was.
void compare_record_route(const Bytes& q, const IpOption& qo, const Bytes& a, const IpOption& ao, Problems& p) {
  const Expect expect = expector(p);
  const std::size_t length = qo.length;
  if (ao.length != length) {
    p.push_back("Record Route of length " + std::to_string(length) + " came back with length " +
                std::to_string(ao.length));
    return;
  }
  const std::size_t q_pointer = q[qo.at + 2], a_pointer = a[ao.at + 2];
  if (length < 3 || q_pointer < 4) {
    p.push_back("reply to a request whose Record Route is malformed");
    return;
  }
  const std::size_t kept = std::min(q_pointer - 1, length);  // bytes [3, kept) were recorded before us
  expect(same(a, ao.at + 3, q, qo.at + 3, kept - 3), "Record Route: the addresses recorded before us changed");
  if (q_pointer > length) {
    expect(a_pointer == q_pointer, "Record Route was full, yet its pointer moved from " +
                                       std::to_string(q_pointer) + " to " + std::to_string(a_pointer));
    return;
  }
  const std::size_t advance = a_pointer >= q_pointer ? a_pointer - q_pointer : 0;
  if ((advance != 4 && advance != 8) || a_pointer - 1 > length) {
    p.push_back("Record Route pointer went from " + std::to_string(q_pointer) + " to " + std::to_string(a_pointer) +
                " (length " + std::to_string(length) + "): one or two whole slots should be filled");
    return;
  }
  for (std::size_t k = q_pointer - 1; k < a_pointer - 1; k += 4) {
    expect(rd32(a, ao.at + k) == kOurIp,
           "Record Route slot at " + std::to_string(k) + " holds " + ip_text(rd32(a, ao.at + k)) + ", not us");
  }
  expect(same(a, ao.at + a_pointer - 1, q, qo.at + a_pointer - 1, length - (a_pointer - 1)),
         "Record Route: the slots past the pointer changed");
}

// Timestamp in an echo reply (RFC 791 §3.1, RFC 1122 §3.2.2.6): same length and flags, what was there kept, one or
// two new entries by the flags (0: a timestamp; 1: our address and a timestamp; 3: a timestamp beside a
// prespecified address that is ours), or, if it was full, the overflow count incremented (or not).
void compare_timestamp(const Bytes& q, const IpOption& qo, const Bytes& a, const IpOption& ao, Problems& p) {
  const Expect expect = expector(p);
  const std::size_t length = qo.length;
  if (ao.length != length) {
    p.push_back("Timestamp of length " + std::to_string(length) + " came back with length " +
                std::to_string(ao.length));
    return;
  }
  if (length < 4 || q[qo.at + 2] < 5) {
    p.push_back("reply to a request whose Timestamp is malformed");
    return;
  }
  const unsigned q_flags = q[qo.at + 3] & 0x0fu, a_flags = a[ao.at + 3] & 0x0fu;
  const unsigned q_overflow = unsigned{q[qo.at + 3]} >> 4, a_overflow = unsigned{a[ao.at + 3]} >> 4;
  expect(a_flags == q_flags, "Timestamp flags changed from " + std::to_string(q_flags) + " to " +
                                 std::to_string(a_flags));
  const std::size_t q_pointer = q[qo.at + 2], a_pointer = a[ao.at + 2];
  const std::size_t kept = std::min(q_pointer - 1, length);
  expect(same(a, ao.at + 4, q, qo.at + 4, kept - 4), "Timestamp: the entries made before us changed");
  if (q_pointer > length) {
    expect(a_pointer == q_pointer, "Timestamp was full, yet its pointer moved");
    const bool counted = q_flags != 3 && a_overflow == q_overflow + 1;
    expect(a_overflow == q_overflow || counted, "Timestamp overflow count went from " +
                                                    std::to_string(q_overflow) + " to " + std::to_string(a_overflow));
    return;
  }
  expect(a_overflow == q_overflow, "Timestamp overflow count changed although there was room");
  const std::size_t slot = q_flags == 1 || q_flags == 3 ? 8 : 4;
  const std::size_t advance = a_pointer >= q_pointer ? a_pointer - q_pointer : 0;
  const bool defined = q_flags == 0 || q_flags == 1 || q_flags == 3;
  const std::size_t least = q_flags == 3 || !defined ? 0 : slot, most = defined ? 2 * slot : 0;
  if (a_pointer < q_pointer || advance % slot != 0 || advance < least || advance > most || a_pointer - 1 > length) {
    p.push_back("Timestamp (flags " + std::to_string(q_flags) + ") pointer went from " + std::to_string(q_pointer) +
                " to " + std::to_string(a_pointer) + " (length " + std::to_string(length) + ")");
    return;
  }
  for (std::size_t k = q_pointer - 1; k < a_pointer - 1; k += slot) {
    const std::size_t stamp = slot == 8 ? k + 4 : k;
    if (slot == 8) {
      expect(rd32(a, ao.at + k) == kOurIp, "Timestamp entry at " + std::to_string(k) + " names " +
                                               ip_text(rd32(a, ao.at + k)) + ", not us");
      if (q_flags == 3) expect(rd32(q, qo.at + k) == kOurIp, "Timestamp: stamped where another host was prespecified");
    }
    expect(valid_timestamp(rd32(a, ao.at + stamp)),
           "Timestamp value " + std::to_string(rd32(a, ao.at + stamp)) + " is not ms since midnight UT");
  }
  if (q_flags == 3 && advance == 0 && q_pointer + 7 <= length) {
    expect(rd32(q, qo.at + q_pointer - 1) != kOurIp, "Timestamp: our prespecified entry was left unstamped");
  }
  expect(same(a, ao.at + a_pointer - 1, q, qo.at + a_pointer - 1, length - (a_pointer - 1)),
         "Timestamp: the entries past the pointer changed");
}

void check_echoed_options(const Bytes& request, const Bytes& reply, Problems& p) {
  const std::size_t q_ihl = ihl_at(request, 0), a_ihl = ihl_at(reply, 0);
  const OptionsReading q = read_options(request, 20, q_ihl), a = read_options(reply, 20, a_ihl);
  if (a.state == OptionsState::malformed) p.push_back("reply options are malformed: " + a.why);
  for (const IpOption& o : a.options) {
    if (o.type != kOptRecordRoute && o.type != kOptTimestamp) {
      p.push_back("reply carries option " + std::to_string(o.type) + " (only Record Route and Timestamp are echoed)");
    }
  }
  for (std::size_t i = a.end; i < a_ihl; ++i) {
    if (reply[i] != 0) {
      p.push_back("reply options are not padded with End of Option List");
      break;
    }
  }
  if (a_ihl > 20 && a.options.empty()) p.push_back("reply header has an options area but no option in it");
  for (const std::uint8_t type : {kOptRecordRoute, kOptTimestamp}) {
    const std::string name = type == kOptRecordRoute ? "Record Route" : "Timestamp";
    const std::optional<IpOption> qo = q.find(type), ao = a.find(type);
    if (qo && !ao) p.push_back("the request's " + name + " option is not in the reply");
    if (!qo && ao) p.push_back("reply carries a " + name + " option the request did not");
    if (!qo || !ao) continue;
    if (type == kOptRecordRoute) compare_record_route(request, *qo, reply, *ao, p);
    if (type == kOptTimestamp) compare_timestamp(request, *qo, reply, *ao, p);
  }
}

// Both take whole datagrams (exactly their total length): the request as handed up (reassembled if it came in
// fragments), the reply as sent (rebuilt from its fragments if it was fragmented).
Problems check_echo_reply(const Bytes& request, const Bytes& reply) {
  Problems p;
  const Expect expect = expector(p);
  // The request: an ICMP echo request for us, well-formed at every layer.
  if (request.size() < 20 || request[0] >> 4 != 4) return {"reply to something that is not an IPv4 packet"};
  const std::size_t ihl = ihl_at(request, 0), total = request.size();
  if (ihl < 20 || total < ihl + 8 || rd16(request, 2) != total) return {"reply to a malformed IPv4 packet"};
  expect(checksum_ok(request, 0, ihl), "reply to a packet with a bad IP header checksum");
  expect(rd32(request, 16) == kOurIp, "reply to a packet for " + ip_text(rd32(request, 16)));
  expect(!bad_source(rd32(request, 12)), "reply to a packet from " + ip_text(rd32(request, 12)));
  expect(!is_fragment_at(request, 0), "reply to a fragment");
  expect(request[9] == 1, "reply to IP protocol " + std::to_string(request[9]));
  const std::size_t icmp_length = total - ihl;
  expect(request[ihl] == 8, "reply to ICMP type " + std::to_string(request[ihl]) + ", not an echo request");
  expect(checksum_ok(request, ihl, total), "reply to an ICMP message with a bad checksum");

  // The reply.
  if (reply.size() < 20 || reply[0] >> 4 != 4) return p.empty() ? Problems{"reply is not an IPv4 packet"} : p;
  const std::size_t r_ihl = ihl_at(reply, 0);
  expect(r_ihl >= 20 && r_ihl <= reply.size(), "reply IHL " + std::to_string(r_ihl / 4) + " does not fit");
  if (r_ihl < 20 || r_ihl > reply.size()) return p;
  expect(reply.size() == r_ihl + icmp_length,
         "IP total length " + std::to_string(reply.size()) + ", want the " + std::to_string(r_ihl) +
             "-byte header + the request's " + std::to_string(icmp_length) + "-byte ICMP message");
  expect(!is_fragment_at(reply, 0), "reply is marked as a fragment");
  expect(reply[8] == kTtl, "TTL is " + std::to_string(reply[8]) + ", not 64");
  expect(reply[9] == 1, "IP protocol is not ICMP");
  expect(checksum_ok(reply, 0, r_ihl), "IP header checksum does not verify");
  expect(rd32(reply, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(same(reply, 16, request, 12, 4), "IP destination is not the request's source");
  check_echoed_options(request, reply, p);
  if (reply.size() != r_ihl + icmp_length) return p;
  expect(reply[r_ihl] == 0, "ICMP type is " + std::to_string(reply[r_ihl]) + ", not 0 (echo reply)");
  expect(reply[r_ihl + 1] == 0 || reply[r_ihl + 1] == request[ihl + 1], "ICMP code is neither 0 nor the request's");
  expect(checksum_ok(reply, r_ihl, reply.size()), "ICMP checksum over the IP payload does not verify");
  expect(same(reply, r_ihl + 4, request, ihl + 4, 4), "identifier or sequence number differs from the request's");
  expect(same(reply, r_ihl + 8, request, ihl + 8, icmp_length - 8), "echo data differs from the request's");
  return p;
}

// The echo service (RFC 862) on UDP port 7: the same data back, ports swapped.
Problems check_udp_echo(const Bytes& request, const Bytes& reply) {
  Problems p;
  const Expect expect = expector(p);
  if (request.size() < 28 || request[0] >> 4 != 4) return {"UDP reply to something that is not a UDP datagram"};
  const std::size_t ihl = ihl_at(request, 0);
  if (ihl < 20 || request.size() < ihl + 8 || request[9] != 17) return {"UDP reply to something that is not UDP"};
  const std::size_t length = rd16(request, ihl + 4);
  if (length < 8 || length > request.size() - ihl) return {"UDP reply to a truncated UDP datagram"};
  expect(rd32(request, 16) == kOurIp, "UDP reply to a datagram for " + ip_text(rd32(request, 16)));
  expect(!bad_source(rd32(request, 12)), "UDP reply to a datagram from " + ip_text(rd32(request, 12)));
  expect(rd16(request, ihl + 2) == kEchoPort, "UDP reply to port " + std::to_string(rd16(request, ihl + 2)));
  expect(rd16(request, ihl + 6) == 0 || udp_checksum_ok(request, ihl, length), "UDP reply to a bad checksum");

  if (reply.size() < 28) return p.empty() ? Problems{"UDP reply shorter than its headers"} : p;
  expect(reply[0] == 0x45, "IP version/IHL is not 4/5");
  expect(reply.size() == 20 + length, "IP total length " + std::to_string(reply.size()) + ", want 20 + " +
                                          std::to_string(length));
  expect(!is_fragment_at(reply, 0), "reply is marked as a fragment");
  expect(reply[8] == kTtl, "TTL is not 64");
  expect(reply[9] == 17, "IP protocol is not UDP");
  expect(checksum_ok(reply, 0, 20), "IP header checksum does not verify");
  expect(rd32(reply, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(same(reply, 16, request, 12, 4), "IP destination is not the request's source");
  if (reply.size() != 20 + length || reply[0] != 0x45) return p;
  expect(rd16(reply, 20) == kEchoPort, "UDP source port is not 7");
  expect(same(reply, 22, request, ihl, 2), "UDP destination port is not the request's source port");
  expect(rd16(reply, 24) == length, "UDP length differs from the request's");
  expect(rd16(reply, 26) != 0 && udp_checksum_ok(reply, 20, length), "UDP checksum missing or wrong");
  expect(same(reply, 28, request, ihl + 8, length - 8), "UDP data differs from the request's");
  return p;
}

// ICMP destination unreachable (RFC 792) about the datagram `r` handed up: allowed only about a datagram unicast to
// us, not a link-layer broadcast, not a non-first fragment, not ICMP (never an error about an error, and ICMP is
// spoken here), from a source naming one host (RFC 1122 §3.2.2); code 3 for UDP, 2 for a protocol nobody speaks
// (RFC 1122 §3.2.2.1); quoting the datagram's start, its header and at least 8 bytes of data, the whole error at
// most 576 bytes (RFC 1812 §4.3.2.3).
Problems check_unreachable(const Bytes& in, LinkLayer link, const FrameReading& r, const Bytes& e) {
  if (!r.delivered) return {"an ICMP error about a frame that hands no datagram up"};
  Problems p;
  const Expect expect = expector(p);
  const Bytes& offending = *r.delivered;
  const std::size_t o_ihl = ihl_at(offending, 0), o_total = offending.size();
  const std::uint32_t o_source = rd32(offending, 12), o_destination = rd32(offending, 16);
  const std::uint8_t protocol = offending[9];
  expect(o_destination == kOurIp, "ICMP error about a datagram to " + ip_text(o_destination) +
                                      (is_broadcast(o_destination)   ? " (a broadcast)"
                                       : is_multicast(o_destination) ? " (multicast)"
                                                                     : " (another host)"));
  if (link == LinkLayer::ethernet) {
    expect(mac_is(in, 0, kOurMac), std::string("ICMP error about a frame sent to ") +
                                       (r.link_broadcast ? "the link-layer broadcast" : "another MAC"));
  }
  expect(!bad_source(o_source), "ICMP error to " + ip_text(o_source) + ", which does not name one host");
  expect(!r.fragment || r.reassembled, "ICMP error about a fragment");
  expect(protocol != 1, "ICMP error about an ICMP message (type " +
                            std::to_string(o_total > o_ihl ? offending[o_ihl] : 0) + ")");
  const std::uint8_t want_code = protocol == 17 ? 3 : 2;
  if (protocol == 17) {
    expect(o_total >= o_ihl + 4 && rd16(offending, o_ihl + 2) != kEchoPort, "port unreachable about UDP port 7");
  }

  if (e.size() < 28) return {"ICMP error shorter than its IP and ICMP headers"};
  expect(e[0] == 0x45, "IP version/IHL is not 4/5");
  expect(e[1] == kErrorTos, "TOS is " + std::to_string(e[1]) + ", not 0xc0 (internetwork control)");
  expect(!is_fragment_at(e, 0), "ICMP error is marked as a fragment");
  expect(e[8] == kTtl, "TTL is " + std::to_string(e[8]) + ", not 64");
  expect(e[9] == 1, "IP protocol is not ICMP");
  expect(checksum_ok(e, 0, 20), "IP header checksum does not verify");
  expect(rd32(e, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(rd32(e, 16) == o_source, "IP destination " + ip_text(rd32(e, 16)) + " is not the offending source " +
                                      ip_text(o_source));
  expect(e.size() <= kMaxErrorLength, "ICMP error is " + std::to_string(e.size()) + " bytes, more than 576");
  expect(e[20] == 3, "ICMP type is " + std::to_string(e[20]) + ", not 3 (destination unreachable)");
  expect(e[21] == want_code, "ICMP code " + std::to_string(e[21]) + " about IP protocol " +
                                 std::to_string(protocol) + ", want " + std::to_string(want_code));
  expect(checksum_ok(e, 20, e.size()), "ICMP checksum does not verify");
  expect(rd32(e, 24) == 0, "the unused word is not zero");
  const std::size_t quote = e.size() - 28;
  expect(quote >= std::min(o_total, o_ihl + 8), "quotes " + std::to_string(quote) +
                                                    " bytes: less than the header and 8 bytes of data");
  expect(quote <= o_total, "quotes " + std::to_string(quote) + " bytes of a " + std::to_string(o_total) +
                               "-byte datagram");
  const std::size_t n = std::min(quote, o_total);
  if (!r.reassembled) {
    expect(same(e, 28, offending, 0, n), "the quote is not the start of the offending datagram");
  } else {
    // A reassembled datagram's header is the first fragment's with a new total length and checksum; whether DF is
    // kept there is the reassembler's choice. The rest must be what the fragments carried.
    bool equal = true;
    for (std::size_t i = 0; i < n; ++i) {
      const bool free_field = i == 6 || i == 7 || i == 10 || i == 11;
      if (!free_field && e[28 + i] != offending[i]) equal = false;
    }
    expect(equal, "the quote is not the start of the reassembled datagram");
    if (n >= o_ihl) {
      expect((rd16(e, 28 + 6) & 0x3fff) == 0, "the quoted reassembled header is still marked as a fragment");
      expect(checksum_ok(e, 28, 28 + o_ihl), "the quoted reassembled header's checksum does not verify");
    }
  }
  return p;
}

// The IP datagram a set of sent frames carries: one frame, or the fragments of one datagram (RFC 791 §3.2: offsets
// in 8-byte units, every fragment but the last with MF and a multiple of 8 bytes of data, no gap, no overlap),
// rebuilt. Every frame is checked on the way: link header (to the requester, from us), header checksum, at most
// `mtu` bytes of IP, no trailer, zero padding.
std::optional<Bytes> reply_datagram(const Bytes& in, LinkLayer link, const std::vector<Bytes>& sent, std::size_t mtu,
                                    bool& fragmented, Problems& p) {
  std::vector<Bytes> datagrams;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    const Bytes& out = sent[k];
    const std::string which =
        sent.size() > 1 ? "frame " + std::to_string(k + 1) + " of " + std::to_string(sent.size()) + ": " : "";
    const Expect expect = [&p, &which](bool ok, const std::string& what) {
      if (!ok) p.push_back(which + what);
    };
    std::size_t at = 0;
    if (link == LinkLayer::ethernet) {
      if (out.size() < kEth) {
        p.push_back(which + "shorter than an Ethernet header");
        return std::nullopt;
      }
      expect(same(out, 0, in, 6, 6), "Ethernet destination is not the request's Ethernet source");
      expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
      expect(rd16(out, 12) == 0x0800, "EtherType is not IPv4");
      at = kEth;
    }
    if (out.size() < at + 20 || out[at] >> 4 != 4) {
      p.push_back(which + "not an IPv4 packet");
      return std::nullopt;
    }
    const std::size_t ihl = ihl_at(out, at), total = rd16(out, at + 2);
    if (ihl < 20 || total < ihl || at + total > out.size()) {
      p.push_back(which + "IHL " + std::to_string(ihl / 4) + " and total length " + std::to_string(total) +
                  " do not fit a " + std::to_string(out.size()) + "-byte frame");
      return std::nullopt;
    }
    expect(checksum_ok(out, at, at + ihl), "IP header checksum does not verify");
    expect(total <= mtu, std::to_string(total) + "-byte datagram in one frame, over the " + std::to_string(mtu) +
                             "-byte MTU");
    const std::size_t want = link == LinkLayer::ethernet ? std::max(kEthMin, kEth + total) : total;
    expect(out.size() == want, "frame is " + std::to_string(out.size()) + " bytes, want " + std::to_string(want) +
                                   " (no trailer, padding only to 60 on Ethernet)");
    if (link == LinkLayer::ethernet) expect(all_zero(out, kEth + total), "Ethernet padding is not zero");
    datagrams.push_back(sub(out, at, total));
  }
  fragmented = datagrams.size() > 1;
  if (datagrams.size() == 1) {
    if (is_fragment_at(datagrams.front(), 0)) p.push_back("a lone frame marked as a fragment (MF or an offset)");
    return datagrams.front();
  }

  const Bytes& head = datagrams.front();
  for (const Bytes& d : datagrams) {
    if (!same(d, 12, head, 12, 8) || d[9] != head[9] || rd16(d, 4) != rd16(head, 4)) {
      p.push_back("the frames are not the fragments of one datagram (source, destination, protocol, identification)");
      return std::nullopt;
    }
    if ((rd16(d, 6) & 0x4000) != 0) p.push_back("a fragment with Don't Fragment set");
    if (d[8] != head[8]) p.push_back("fragments with different TTLs");
  }
  std::vector<const Bytes*> order;
  for (const Bytes& d : datagrams) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(), [](const Bytes* a, const Bytes* b) {
    return fragment_offset_at(*a, 0) < fragment_offset_at(*b, 0);
  });
  Bytes whole = sub(*order.front(), 0, ihl_at(*order.front(), 0));
  const std::size_t header_length = whole.size();
  bool sound = true;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Bytes& d = *order[i];
    const std::size_t ihl = ihl_at(d, 0), offset = fragment_offset_at(d, 0), data = d.size() - ihl;
    const bool last = i + 1 == order.size();
    const std::size_t expected = whole.size() - header_length;
    if (offset != expected) {
      p.push_back("fragment at offset " + std::to_string(offset) + ", want " + std::to_string(expected) +
                  " (a gap or an overlap)");
      sound = false;
    }
    if (more_fragments_at(d, 0) == last) {
      p.push_back(last ? "the last fragment has MF set" : "a fragment before the last has MF clear");
    }
    if (!last && data % 8 != 0) {
      p.push_back("a non-final fragment carries " + std::to_string(data) + " bytes, not a multiple of 8");
    }
    whole.insert(whole.end(), d.begin() + static_cast<std::ptrdiff_t>(ihl), d.end());
  }
  if (!sound || whole.size() > kMaxDatagram) {
    if (whole.size() > kMaxDatagram) p.push_back("fragments add up to more than 65535 bytes");
    return std::nullopt;
  }
  wr16(whole, 2, static_cast<std::uint16_t>(whole.size()));
  wr16(whole, 6, static_cast<std::uint16_t>(rd16(whole, 6) & 0xc000));
  set_ip_checksum(whole, 0, header_length);
  return whole;
}

enum class SentKind { nothing, arp_reply, echo_reply, udp_echo, unreachable, unexpected };

const char* sent_name(SentKind k) {
  switch (k) {
    case SentKind::nothing: return "nothing";
    case SentKind::arp_reply: return "ARP reply";
    case SentKind::echo_reply: return "echo reply";
    case SentKind::udp_echo: return "UDP echo";
    case SentKind::unreachable: return "ICMP unreachable";
    case SentKind::unexpected: return "something unexpected";
  }
  return "?";
}

struct SentReading {
  SentKind kind = SentKind::nothing;
  bool fragmented = false;
  std::uint8_t code = 0;  // of an ICMP unreachable
  Problems problems;
};

// What the stack sent while handling `in` (read as `r`), and what is wrong with it.
SentReading check_sent(const Bytes& in, LinkLayer link, const FrameReading& r, const std::vector<Bytes>& sent,
                       std::size_t mtu) {
  SentReading s;
  if (sent.empty()) return s;
  if (r.arp) {
    s.kind = SentKind::arp_reply;
    if (sent.size() != 1) s.problems.push_back(std::to_string(sent.size()) + " frames sent for one ARP request");
    for (const Bytes& out : sent) {
      for (std::string& problem : check_arp_reply(in, out)) s.problems.push_back(std::move(problem));
    }
    return s;
  }
  if (!r.delivered) {
    s.kind = SentKind::unexpected;
    s.problems.push_back(std::to_string(sent.size()) + " frame(s) sent for a " + kind_of(in, link) +
                         ", which hands no datagram up" +
                         (r.may_hold ? " (a fragment of an incomplete datagram)" : ""));
    return s;
  }
  const std::optional<Bytes> reply = reply_datagram(in, link, sent, mtu, s.fragmented, s.problems);
  if (!reply) {
    s.kind = SentKind::unexpected;
    return s;
  }
  const Bytes& d = *reply;
  const std::size_t ihl = ihl_at(d, 0);
  const auto add = [&s](Problems more) {
    for (std::string& problem : more) s.problems.push_back(std::move(problem));
  };
  if (d[9] == 1 && d.size() >= ihl + 2 && d[ihl] == 3) {
    s.kind = SentKind::unreachable;
    s.code = d[ihl + 1];
    add(check_unreachable(in, link, r, d));
    if (s.fragmented) s.problems.push_back("an ICMP error sent in fragments");
  } else if (d[9] == 1 && d.size() > ihl && d[ihl] == 0) {
    s.kind = SentKind::echo_reply;
    if (link == LinkLayer::ethernet && !(mac_is(in, 0, kOurMac) || mac_is_broadcast(in, 0))) {
      s.problems.push_back("reply to a frame sent to another MAC");
    }
    add(check_echo_reply(*r.delivered, d));
  } else if (d[9] == 17) {
    s.kind = SentKind::udp_echo;
    add(check_udp_echo(*r.delivered, d));
  } else {
    s.kind = SentKind::unexpected;
    s.problems.push_back("sent IP protocol " + std::to_string(d[9]) +
                         (d[9] == 1 && d.size() > ihl ? ", ICMP type " + std::to_string(d[ihl]) : "") +
                         ", which answers nothing here");
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// A whole capture, frame by frame: what each frame is, what the stack did with it, and whether that is right.

struct FrameOutcome {
  FrameReading reading;
  SentKind sent = SentKind::nothing;
  bool fragmented = false;  // the reply went out in several frames
  bool error_due = false;   // an ICMP unreachable may be sent about it (RFC 1122 §3.2.2)...
  bool error_allowed = false;  // ... and the rate limit lets it through
};

struct Outcome {
  Problems problems;  // "frame N (...): what is wrong"
  std::vector<FrameOutcome> frames;
  std::size_t answers = 0;  // frames answered: ARP reply, echo reply, UDP echo
  std::size_t arp_replies = 0, echo_replies = 0;
  std::size_t errors = 0;           // frames that got an ICMP unreachable
  std::size_t fragmented = 0;       // frames whose answer went out in fragments
  std::size_t held = 0;             // fragments held silently, their datagram incomplete
  std::size_t completed = 0;        // datagrams reassembled
  std::size_t answerable = 0;       // frames with no fault at all: each must be answered
  std::size_t rate_limited = 0;     // unreachables due but refused by the rate limit
  std::size_t max_in_progress = 0;  // datagrams the model held at once
  std::set<DatagramKey> overlapping;  // datagrams whose fragments overlap somewhere in the file (teardrop, ...)
  std::size_t replies() const { return answers + errors; }
};

// `times_us`: the capture's timestamps, read from the file independently; `mtu`: the stack's.
Outcome verify(const Replay& replay, const std::vector<std::int64_t>& times_us, std::size_t mtu) {
  Outcome o;
  ReassemblyModel model;
  ErrorRateModel rate;
  if (times_us.size() != replay.frames.size()) {
    o.problems.push_back("the file holds " + std::to_string(times_us.size()) + " records for " +
                         std::to_string(replay.frames.size()) + " frames replayed");
  }
  std::map<DatagramKey, std::vector<std::pair<std::size_t, std::size_t>>> geometry;  // offset, length
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const std::int64_t now_ms = i < times_us.size() ? times_us[i] / 1000 : 0;
    FrameOutcome fo;
    FrameReading& r = fo.reading;
    r = read_frame(f.input, replay.link);
    const std::string where = "frame " + std::to_string(f.index) + " (" + kind_of(f.input, replay.link) + "): ";
    const auto problem = [&o, &where](const std::string& what) { o.problems.push_back(where + what); };

    // Fragments: what the model says about this one, given what is held.
    ReassemblyModel::Step step;
    if (r.reaches_reassembly) {
      step = model.look(f.input, r);
      r.faults.insert(step.faults.begin(), step.faults.end());
      if (step.completes) {
        r.reassembled = true;
        r.delivered = step.completes;
        const std::uint32_t destination = rd32(*step.completes, 16);
        const std::set<DropReason> upper =
            upper_faults(*step.completes, is_broadcast(destination) || is_multicast(destination), r.odd_options,
                         r.tolerated);
        r.faults.insert(upper.begin(), upper.end());
      } else if (step.faults.empty()) {
        r.may_hold = true;
      }
    }
    if (r.ipv4 && r.fragment) {
      geometry[key_of(f.input, r.l3)].emplace_back(fragment_offset_at(f.input, r.l3), r.total - r.ihl);
    }
    if (r.faults.empty() && !r.may_hold) ++o.answerable;

    // What was sent, and whether the verdict goes with it.
    const SentReading s = check_sent(f.input, replay.link, r, f.sent, mtu);
    fo.sent = s.kind;
    fo.fragmented = s.fragmented;
    for (const std::string& p : s.problems) problem(p);
    const std::string dropped_as = f.drop ? reason_name(*f.drop) : "nothing";
    switch (s.kind) {
      case SentKind::arp_reply:
      case SentKind::echo_reply:
      case SentKind::udp_echo:
        ++o.answers;
        o.arp_replies += s.kind == SentKind::arp_reply ? 1 : 0;
        o.echo_replies += s.kind == SentKind::echo_reply ? 1 : 0;
        if (f.drop) problem("answered, and yet dropped as " + dropped_as);
        if (!r.faults.empty()) problem("answered although it has the fault(s) " + reason_names(r.faults));
        break;
      case SentKind::unreachable: {
        ++o.errors;
        const DropReason expected =
            s.code == 3 ? DropReason::udp_port_unreachable : DropReason::ip_unknown_protocol;
        if (f.drop != expected) {
          problem("sent an ICMP unreachable (code " + std::to_string(s.code) + ") with the verdict " + dropped_as +
                  ", not " + reason_name(expected));
        }
        if (r.faults != std::set<DropReason>{expected}) {
          problem("sent an ICMP unreachable about a frame whose faults are " + reason_names(r.faults) +
                  ": only a datagram whose one fault is " + reason_name(expected) + " may be reported");
        }
        break;
      }
      case SentKind::unexpected:
        break;  // its problems are already listed
      case SentKind::nothing:
        if (!f.drop) {
          if (r.may_hold) {
            ++o.held;
          } else if (r.reassembled) {
            problem("completes a datagram (by the file's fragments), yet was neither answered nor dropped");
          } else {
            problem("neither answered nor dropped" +
                    (r.faults.empty() ? std::string() : " (it has the fault(s) " + reason_names(r.faults) + ")"));
          }
        } else if (!r.faults.count(*f.drop) && !r.tolerated.count(*f.drop)) {
          if (r.faults.empty()) {
            problem(std::string(r.may_hold ? "a fragment to hold" : "a well-formed request for us") +
                    " was dropped as " + dropped_as);
          } else {
            problem("dropped as " + dropped_as + ", which it is not (it is: " + reason_names(r.faults) + ")");
          }
        }
        break;
    }
    o.fragmented += s.fragmented ? 1 : 0;

    // An unreachable that may be sent must be, within the documented rate limit, and never beyond it.
    const bool one_fault = r.faults == std::set<DropReason>{DropReason::ip_unknown_protocol} ||
                           r.faults == std::set<DropReason>{DropReason::udp_port_unreachable};
    if (r.delivered && one_fault && rd32(*r.delivered, 16) == kOurIp && !r.link_broadcast &&
        !bad_source(rd32(*r.delivered, 12))) {
      fo.error_due = true;
      fo.error_allowed = rate.allow(rd32(*r.delivered, 12), now_ms);
      const bool sent_error = s.kind == SentKind::unreachable;
      if (fo.error_allowed && !sent_error) {
        problem("an ICMP unreachable was due and within the rate limit (per destination 6, then 1/s; in all 50, "
                "then 1000/s), yet none was sent");
      }
      if (!fo.error_allowed && sent_error) problem("an ICMP unreachable sent beyond the rate limit");
      o.rate_limited += fo.error_allowed ? 0 : 1;
    }

    // The model follows the consequence of the reason the stack named.
    if (r.reaches_reassembly) {
      const std::optional<DropReason> v = f.drop;
      if (v == DropReason::reasm_overlap || v == DropReason::reasm_oversize) {
        model.abandon(f.input, r);
      } else if (step.faults.empty() &&
                 (!v || given_after_delivery(*v) || (v == DropReason::ip_bad_options && step.completes))) {
        model.take(f.input, r);
        o.completed += step.completes ? 1 : 0;
      }
    }
    o.max_in_progress = std::max(o.max_in_progress, model.in_progress());
    o.frames.push_back(std::move(fo));
  }
  if (rate.destinations() > 64) {
    o.problems.push_back("the rate model keeps every destination; the stack forgets the least recent beyond 64");
  }
  for (const auto& [key, pieces] : geometry) {
    for (std::size_t a = 0; a < pieces.size(); ++a) {
      for (std::size_t b = a + 1; b < pieces.size(); ++b) {
        const auto [a_offset, a_length] = pieces[a];
        const auto [b_offset, b_length] = pieces[b];
        if (pieces[a] != pieces[b] && a_offset < b_offset + b_length && b_offset < a_offset + a_length) {
          o.overlapping.insert(key);
        }
      }
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a capture file ourselves: its link type and the timestamp of every record.

struct CaptureFile {
  std::optional<std::uint32_t> link_type;
  std::vector<std::int64_t> times_us;
};

CaptureFile read_capture_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  Bytes b;
  for (std::istreambuf_iterator<char> it(file), end; it != end; ++it) b.push_back(static_cast<std::uint8_t>(*it));
  CaptureFile c;
  if (b.size() < 24) return c;
  const std::uint32_t magic = rd32(b, 0);
  const bool little = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  const bool nanoseconds = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  if (!little && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return c;
  const auto u32 = [&b, little](std::size_t at) {
    return little ? (std::uint32_t{b[at + 3]} << 24) | (std::uint32_t{b[at + 2]} << 16) |
                        (std::uint32_t{b[at + 1]} << 8) | std::uint32_t{b[at]}
                  : rd32(b, at);
  };
  c.link_type = u32(20);
  for (std::size_t at = 24; at + 16 <= b.size(); at += 16 + std::size_t{u32(at + 8)}) {
    const std::int64_t fraction = std::int64_t{u32(at + 4)};
    c.times_us.push_back(std::int64_t{u32(at)} * 1'000'000 + (nanoseconds ? fraction / 1000 : fraction));
  }
  return c;
}

std::string drop_histogram(const Replay& replay) {
  std::map<std::string, std::size_t> counts;
  for (const ReplayedFrame& f : replay.frames) {
    if (f.drop) ++counts[reason_name(*f.drop)];
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

using FileCheck = std::function<void(const Replay&, const Outcome&, const Expectation&)>;

void expect_no_replies(const Replay& replay, const char* why) {
  for (const ReplayedFrame& f : replay.frames) {
    EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << " (" << kind_of(f.input, replay.link) << ") got "
                                << f.sent.size() << " frame(s) sent: " << why;
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

// Fragments are reassembled: none is dropped for being one; the echo request that arrives in fragments is answered
// by the frame that completes it (its first fragment held silently until then); overlapping datagrams (teardrop and
// zeek's overlaps) are never answered, nor reported.
void expect_reassembly(const Replay& replay, const Outcome& o, const Expectation& e) {
  std::size_t echoes = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const FrameOutcome& fo = o.frames[i];
    const FrameReading& r = fo.reading;
    if (r.reassembled && r.delivered && (*r.delivered)[9] == 1 && (*r.delivered)[ihl_at(*r.delivered, 0)] == 8 &&
        rd32(*r.delivered, 16) == kOurIp) {
      ++echoes;
      EXPECT_EQ(fo.sent, SentKind::echo_reply)
          << "frame " << f.index << " completes an echo request for us: it must be answered (sent "
          << sent_name(fo.sent) << ", dropped as " << (f.drop ? reason_name(*f.drop) : "nothing") << ")";
      EXPECT_FALSE(f.drop) << "frame " << f.index;
    }
    if (r.ipv4 && r.fragment && o.overlapping.count(key_of(f.input, r.l3))) {
      EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << ", a fragment of an overlapping datagram, got "
                                  << sent_name(fo.sent);
    }
  }
  EXPECT_EQ(echoes, e.reassembled_echoes) << "echo requests for us completed by reassembly";
  EXPECT_GT(o.held, 0u) << "fragments held until their datagram is complete";
  EXPECT_GT(o.completed, e.reassembled_echoes) << "datagrams reassembled (the echo, and others)";
  EXPECT_GE(o.overlapping.size(), 3u) << "datagrams with overlapping fragments (teardrop, zeek)";
  EXPECT_GT(count_drops(replay, DropReason::reasm_overlap), 0u);
}

const std::map<std::string, FileCheck>& file_checks() {
  static const std::map<std::string, FileCheck> checks = {
      {"tp_vlan.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) {
         // No VLAN is configured: every tagged frame stops at the EtherType, unless the Ethernet header itself is
         // already wrong (frame 6 comes from 11:11:11:11:11:11, a group address: eth_bad_source, checked by
         // read_frame like every other drop).
         expect_no_replies(replay, "no VLAN is configured");
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
       [](const Replay& replay, const Outcome&, const Expectation&) {
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
       [](const Replay& replay, const Outcome&, const Expectation&) {
         expect_no_replies(replay, "non-IP and runt frames are never answered");
         // Nothing here carries IPv4 or ARP: every frame stops in the Ethernet layer.
         const std::set<DropReason> ethernet = {DropReason::eth_truncated, DropReason::eth_not_for_us,
                                                DropReason::eth_bad_source, DropReason::eth_unsupported_type};
         for (const ReplayedFrame& f : replay.frames) {
           EXPECT_TRUE(f.drop && ethernet.count(*f.drop))
               << "frame " << f.index << " dropped as " << (f.drop ? reason_name(*f.drop) : "nothing");
         }
       }},
      {"tp_icmp_other.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) {
         expect_no_replies(replay, "no reply to ICMP messages other than echo requests, no error about an error");
         // The well-formed ones reach ICMP and are ignored there by type.
         std::size_t well_formed = 0;
         for (const ReplayedFrame& f : replay.frames) {
           if (read_frame(f.input, replay.link).faults != std::set<DropReason>{DropReason::icmp_type_ignored}) {
             continue;
           }
           ++well_formed;
           EXPECT_EQ(f.drop, DropReason::icmp_type_ignored) << "frame " << f.index;
         }
         EXPECT_GT(well_formed, 0u);
       }},
      {"tp_ipv4_other_proto.pcap",
       [](const Replay& replay, const Outcome& o, const Expectation& e) {
         // Nothing is answered here; an ICMP unreachable (the stack sends no TCP RST) is a validated MAY, about
         // datagrams unicast to us only: never about the UDP broadcasts, the IGMP/VRRP/OSPF/... multicasts, a
         // link-layer broadcast or datagrams for other hosts, which are the README's 16 "none".
         std::size_t none = 0;
         for (std::size_t i = 0; i < replay.frames.size(); ++i) {
           const ReplayedFrame& f = replay.frames[i];
           const FrameReading& r = o.frames[i].reading;
           if (!f.sent.empty()) {
             EXPECT_EQ(o.frames[i].sent, SentKind::unreachable) << "frame " << f.index << ": only unreachables";
           }
           const bool unicast_to_us = r.ipv4 && rd32(f.input, r.l3 + 16) == kOurIp && mac_is(f.input, 0, kOurMac) &&
                                      !mac_is_group(f.input, 6) && !bad_source(rd32(f.input, r.l3 + 12));
           if (unicast_to_us) continue;
           ++none;
           EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << " (" << kind_of(f.input, replay.link)
                                       << ", not unicast to us from a host) got " << sent_name(o.frames[i].sent);
         }
         EXPECT_EQ(none, e.none) << "frames that must get nothing";
         EXPECT_EQ(o.answers, 0u);
         EXPECT_GT(count_drops(replay, DropReason::ip_unknown_protocol), 0u);
         EXPECT_GT(count_drops(replay, DropReason::udp_port_unreachable), 0u);
       }},
      {"tp_frag.pcap", expect_reassembly},
      {"tun_tp_ipv4_raw101.pcap", expect_reassembly},
      {"tun_tp_mixed_raw12.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) { expect_ipv6_dropped_by_name(replay, 1); }},
      {"tun_tp_ipv4_228.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) { expect_ipv6_dropped_by_name(replay, 1); }},
      {"tp_ipv4_malformed.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) {
         // The zeek pair: the bad-checksum echo request is dropped for it, its good twin (the control) answered.
         EXPECT_GT(count_drops(replay, DropReason::icmp_bad_checksum), 0u);
         EXPECT_GT(count_drops(replay, DropReason::ip_bad_checksum), 0u);
       }},
      {"derived_eth_padding.pcap",
       [](const Replay& replay, const Outcome&, const Expectation&) {
         // Every frame is a short echo request padded or followed by a trailer; each one must show both.
         for (const ReplayedFrame& f : replay.frames) {
           ASSERT_GE(f.input.size(), kEth + 4);
           EXPECT_GT(f.input.size(), kEth + rd16(f.input, kEth + 2)) << "frame " << f.index << " has no padding";
         }
       }},
      {"derived_ip_trailer_tun.pcap",
       [](const Replay& replay, const Outcome& o, const Expectation&) {
         for (std::size_t i = 0; i < replay.frames.size(); ++i) {
           const ReplayedFrame& f = replay.frames[i];
           ASSERT_GE(f.input.size(), 4u);
           EXPECT_GT(f.input.size(), rd16(f.input, 2)) << "frame " << f.index << " has no trailer";
           EXPECT_EQ(o.frames[i].sent, SentKind::echo_reply) << "frame " << f.index;
         }
       }},
  };
  return checks;
}

// ---------------------------------------------------------------------------------------------------------------
// The tests

void report_problems(const char* file, const Problems& problems) {
  constexpr std::size_t kMaxReported = 40;
  for (std::size_t i = 0; i < problems.size() && i < kMaxReported; ++i) ADD_FAILURE() << file << " " << problems[i];
  EXPECT_EQ(problems.size(), 0u) << problems.size() << " problems in " << file
                                 << (problems.size() > kMaxReported
                                         ? " (the first " + std::to_string(kMaxReported) + " shown)"
                                         : std::string());
}

std::string verbose_line(const Expectation& e, const ReplayedFrame& f, const FrameOutcome& fo, LinkLayer link) {
  std::ostringstream line;
  line << "  " << e.file << " #" << f.index << " " << f.input.size() << "B " << kind_of(f.input, link) << " -> ";
  if (!f.sent.empty()) {
    line << sent_name(fo.sent) << " (" << f.sent.size() << " frame" << (f.sent.size() > 1 ? "s" : "") << ", "
         << f.sent.front().size() << "B first)";
  }
  if (f.drop) line << (f.sent.empty() ? "" : ", ") << "drop " << reason_name(*f.drop);
  if (f.sent.empty() && !f.drop) line << "held";
  if (fo.error_due && !fo.error_allowed) line << " [unreachable rate-limited]";
  return line.str();
}

class RealWorldCapture : public ::testing::TestWithParam<Expectation> {};

TEST_P(RealWorldCapture, RepliesAreCorrectAndWithinMustAndMay) {
  const Expectation& e = GetParam();
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  const fs::path path = kDirectory / e.file;
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();

  // The file is what the README says it is.
  const CaptureFile capture = read_capture_file(path);
  EXPECT_EQ(capture.link_type, e.link_type) << "link type in the file's header";
  EXPECT_EQ(capture.times_us.size(), e.frames) << "records in the file";
  // (MUST + MAY + none need not add up to the frames: MAY also counts acceptable extras, such as an ICMP error
  // about a frame that gets no answer.)
  ASSERT_LE(e.must + e.none, e.frames) << "the README's table";

  Replay replay;
  try {
    replay = replay_capture(path.string());
  } catch (const std::exception& ex) {
    FAIL() << "replaying " << path.string() << " threw: " << ex.what();
  }
  EXPECT_EQ(replay.link, e.link_type == 1 ? LinkLayer::ethernet : LinkLayer::ip);
  ASSERT_EQ(replay.frames.size(), e.frames) << "frames given to the stack";

  // Every frame gets a correct reply, is held as a fragment of an incomplete datagram, or is dropped for a fault
  // it really has; an ICMP error goes with the drop it reports.
  const Outcome o = verify(replay, capture.times_us, kMtu);
  report_problems(e.file, o.problems);

  // Counters agree with what was seen: per drop reason, the verdicts; the three counted apart from any verdict
  // (rate-limited errors, timed-out and evicted datagrams) by the models. The files span well under the 30 s
  // reassembly timeout and hold far fewer than 64 datagrams at once, so nothing times out or is evicted.
  const ministack::Counters& c = replay.counters;
  std::size_t frames_sent = 0;
  for (const ReplayedFrame& f : replay.frames) frames_sent += f.sent.size();
  EXPECT_EQ(c.get(ministack::Counter::ifInFrames), e.frames);
  EXPECT_EQ(c.get(ministack::Counter::ifOutFrames), frames_sent);
  EXPECT_EQ(c.get(ministack::Counter::arpOutReplies), o.arp_replies);
  EXPECT_EQ(c.get(ministack::Counter::icmpOutEchoReps), o.echo_replies);
  EXPECT_EQ(c.get(ministack::Counter::icmpOutDestUnreachs), o.errors);
  EXPECT_EQ(c.get(ministack::Counter::ipReasmOKs), o.completed);
  EXPECT_EQ(c.get(ministack::Counter::ipFragOKs), o.fragmented);
  const std::int64_t span_us = capture.times_us.empty() ? 0 : capture.times_us.back() - capture.times_us.front();
  EXPECT_LT(span_us, 30'000'000) << "the file spans the reassembly timeout";
  EXPECT_LT(o.max_in_progress, 64u);
  for (std::size_t i = 0; i < ministack::kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    const std::uint64_t counted = c.get(reason);
    if (reason == DropReason::icmp_error_rate_limited) {
      EXPECT_EQ(counted, o.rate_limited) << "unreachables due but over the rate limit";
    } else {
      EXPECT_EQ(counted, count_drops(replay, reason)) << reason_name(reason) << ": counter vs. verdicts";
    }
  }

  const std::size_t replies = o.replies();
  std::cout << "[ replies  ] " << e.file << ": " << replies << " replies (" << o.answers << " answers, " << o.errors
            << " ICMP errors, " << o.fragmented << " fragmented); MUST " << e.must << ", MAY " << e.may
            << " -> accepted " << e.must << ".." << e.must + e.may << " with >= " << e.must << " answers; "
            << o.answerable << " frames well-formed requests by an independent reading\n"
            << "[ reasm    ] " << e.file << ": " << o.held << " fragments held, " << o.completed
            << " datagrams reassembled, " << o.overlapping.size() << " overlapping; " << o.rate_limited
            << " ICMP errors rate-limited\n"
            << "[ drops    ] " << e.file << ": " << drop_histogram(replay) << "\n";
  RecordProperty("replies", static_cast<int>(replies));
  RecordProperty("answers", static_cast<int>(o.answers));
  RecordProperty("icmp_errors", static_cast<int>(o.errors));
  RecordProperty("fragmented_replies", static_cast<int>(o.fragmented));
  RecordProperty("must", static_cast<int>(e.must));
  RecordProperty("may", static_cast<int>(e.may));

  // An ICMP error is never required: MUST is met by answers alone; errors only ever spend MAY.
  EXPECT_GE(o.answers, e.must) << "answers (ARP, echo) against MUST " << e.must;
  EXPECT_GE(replies, e.must) << "MUST " << e.must;
  EXPECT_LE(replies, e.must + e.may) << "MUST " << e.must << " + MAY " << e.may;

  // MINISTACK_REALWORLD_VERBOSE=1: one line per frame, to see what became of each.
  if (const char* verbose = std::getenv("MINISTACK_REALWORLD_VERBOSE"); verbose && *verbose && *verbose != '0') {
    for (std::size_t i = 0; i < replay.frames.size(); ++i) {
      std::cout << verbose_line(e, replay.frames[i], o.frames[i], replay.link) << "\n";
    }
  }

  const auto check = file_checks().find(e.file);
  if (check != file_checks().end()) check->second(replay, o, e);
}

std::string case_name(const ::testing::TestParamInfo<Expectation>& param_info) {
  std::string name = fs::path(param_info.param.file).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, RealWorldCapture, ::testing::ValuesIn(expectations()), case_name);

// The same captures through a stack whose MTU is 576: the 1428-byte echo reply to suricata's fragmented request
// (and any other reply over 576 bytes) goes out in fragments, which must rebuild into a correct reply.
constexpr std::size_t kSmallMtu = 576;

Replay replay_with_mtu(const fs::path& path, std::size_t mtu) {
  ministack::StackConfig config;
  config.mtu = mtu;
  return replay_capture(path.string(), config);
}

TEST(RealWorldCaptures, RepliesFragmentedToASmallerMtuAreCorrect) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  std::size_t fragmented = 0;
  for (const char* file : {"tp_frag.pcap", "tun_tp_ipv4_raw101.pcap", "tp_icmp_echo.pcap"}) {
    const fs::path path = kDirectory / file;
    if (!fs::is_regular_file(path)) continue;
    const Replay replay = replay_with_mtu(path, kSmallMtu);
    const Outcome o = verify(replay, read_capture_file(path).times_us, kSmallMtu);
    report_problems(file, o.problems);
    fragmented += o.fragmented;
    EXPECT_EQ(replay.counters.get(ministack::Counter::ipFragOKs), o.fragmented) << file;
    std::cout << "[ mtu 576  ] " << file << ": " << o.replies() << " replies, " << o.fragmented << " fragmented\n";
  }
  EXPECT_GE(fragmented, 2u) << "the reassembled 1400-byte echo, in tp_frag and raw101, answered in fragments";
}

// Real echo requests from tp_icmp_echo given Record Route and Timestamp options (as ping -R and -T would send them,
// and a few odd or malformed ones), fed to a stack directly: well-formed ones are answered with the options updated,
// malformed ones dropped as ip_bad_options with nothing sent, odd ones either. The same verify() judges them.
enum class Want { answer, drop, either };

struct OptionVariant {
  const char* name;
  Bytes options;  // a multiple of 4 bytes
  Want want;
};

std::vector<OptionVariant> option_variants(std::uint32_t requester, std::uint32_t stamp) {
  const auto addr = [](std::uint32_t a) {
    return Bytes{static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                 static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
  };
  const auto cat = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
  };
  const Bytes zero4(4, 0), us = addr(kOurIp), them = addr(requester), other = addr(0xc0a8030b), t = addr(stamp);
  return {
      {"Record Route, empty", cat({{7, 39, 4}, Bytes(36, 0), {0}}), Want::answer},
      {"ping -R", cat({{1, 7, 39, 8}, them, Bytes(32, 0)}), Want::answer},
      {"Record Route, room for one", cat({{7, 11, 8}, them, zero4, {0}}), Want::answer},
      {"Record Route, full", cat({{7, 7, 8}, them, {0}}), Want::answer},
      {"Timestamp, only", cat({{68, 40, 9, 0x00}, t, Bytes(32, 0)}), Want::answer},
      {"Timestamp, and address", cat({{68, 36, 13, 0x01}, them, t, Bytes(24, 0)}), Want::answer},
      {"Timestamp, prespecified us twice", cat({{68, 20, 5, 0x03}, us, zero4, us, zero4}), Want::answer},
      {"Timestamp, prespecified us, another, us",
       cat({{68, 28, 5, 0x03}, us, zero4, other, zero4, us, zero4}), Want::answer},
      {"Timestamp, prespecified another first", cat({{68, 20, 5, 0x03}, other, zero4, us, zero4}),
       Want::answer},
      {"Timestamp, full, overflow 2", cat({{68, 8, 9, 0x20}, t}), Want::answer},
      {"Record Route and Timestamp", cat({{7, 11, 4}, Bytes(8, 0), {68, 12, 5, 0x00}, Bytes(8, 0), {0}}),
       Want::answer},
      {"NOPs only", {1, 1, 1, 1}, Want::answer},
      {"Record Route, pointer 3", cat({{7, 7, 3}, zero4, {0}}), Want::drop},
      {"Record Route, length past the area", cat({{7, 12, 4}, zero4, {0}}), Want::drop},
      {"Timestamp, full, overflow 15", cat({{68, 8, 9, 0xf0}, t}), Want::drop},
      {"two Record Routes", cat({{7, 7, 4}, zero4, {7, 7, 4}, zero4, {0, 0}}), Want::drop},
      {"Record Route, length 10", cat({{7, 10, 4}, Bytes(7, 0), {0, 0}}), Want::either},
  };
}

// `request` (Ethernet, IHL 5) with `options` inserted after its header; total length and checksum fixed.
Bytes with_options(const Bytes& request, const Bytes& options) {
  const std::size_t total = rd16(request, kEth + 2);
  Bytes out = sub(request, 0, kEth + 20);
  out.insert(out.end(), options.begin(), options.end());
  out.insert(out.end(), request.begin() + static_cast<std::ptrdiff_t>(kEth + 20),
             request.begin() + static_cast<std::ptrdiff_t>(kEth + total));
  const std::size_t ihl = 20 + options.size();
  out[kEth] = static_cast<std::uint8_t>(0x40 | (ihl / 4));
  wr16(out, kEth + 2, static_cast<std::uint16_t>(total + options.size()));
  set_ip_checksum(out, kEth, ihl);
  return out;
}

// Frames through a fresh stack at the given instants, collected as a replay.
Replay run_stack(LinkLayer link, const std::vector<Bytes>& frames, const std::vector<std::int64_t>& times_us,
                 std::size_t mtu = kMtu) {
  struct Collect final : ministack::FrameSink {
    std::vector<Bytes> frames;
    void send(ministack::Bytes frame) override { frames.emplace_back(frame.begin(), frame.end()); }
  };
  ministack::StackConfig config;
  config.link = link;
  config.mtu = mtu;
  ministack::Stack stack(config);
  Replay out;
  out.link = link;
  Bytes buffer(kEth + kMaxDatagram + 64);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::copy(frames[i].begin(), frames[i].end(), buffer.begin());
    const std::chrono::microseconds wall{times_us[i]};
    const ministack::Instant now{std::chrono::duration_cast<ministack::Duration>(wall), wall};
    Collect sink;
    const ministack::Verdict verdict = stack.receive(buffer, frames[i].size(), now, sink);
    ReplayedFrame f;
    f.index = i + 1;
    f.input = frames[i];
    f.drop = verdict.drop;
    f.sent = std::move(sink.frames);
    if (!f.sent.empty()) f.reply = f.sent.front();
    out.frames.push_back(std::move(f));
  }
  out.counters = stack.counters();
  return out;
}

// Every single-bit corruption of any frame sent, a byte more or less on any of them, and a fragment missing, must
// each be caught by check_sent. Returns the frames checked.
std::size_t expect_corruptions_caught(const char* what, const Replay& replay, const Outcome& o, std::size_t mtu,
                                      std::set<SentKind>& kinds, std::size_t& fragmented) {
  std::size_t checked = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const FrameReading& r = o.frames[i].reading;
    if (f.sent.empty()) continue;
    const auto caught = [&](const std::vector<Bytes>& sent) {
      return !check_sent(f.input, replay.link, r, sent, mtu).problems.empty();
    };
    if (caught(f.sent)) {
      ADD_FAILURE() << what << " frame " << f.index << ": the real reply does not pass";
      continue;
    }
    ++checked;
    kinds.insert(o.frames[i].sent);
    fragmented += f.sent.size() > 1 ? 1 : 0;
    std::size_t missed = 0;
    for (std::size_t k = 0; k < f.sent.size(); ++k) {
      std::vector<Bytes> bad = f.sent;
      for (std::size_t at = 0; at < f.sent[k].size(); ++at) {
        for (unsigned bit = 0; bit < 8; ++bit) {
          bad[k][at] = static_cast<std::uint8_t>(f.sent[k][at] ^ (1u << bit));
          if (!caught(bad) && ++missed <= 3) {
            ADD_FAILURE() << what << " frame " << f.index << ": flipping bit " << bit << " of byte " << at
                          << " of sent frame " << k + 1 << " went unnoticed";
          }
        }
        bad[k][at] = f.sent[k][at];
      }
      bad[k].push_back(0);
      EXPECT_TRUE(caught(bad)) << what << " frame " << f.index << ": a byte more on sent frame " << k + 1;
      bad[k].resize(f.sent[k].size() - 1);
      EXPECT_TRUE(caught(bad)) << what << " frame " << f.index << ": a byte less on sent frame " << k + 1;
      if (f.sent.size() > 1) {
        std::vector<Bytes> fewer = f.sent;
        fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(k));
        EXPECT_TRUE(caught(fewer)) << what << " frame " << f.index << ": fragment " << k + 1 << " missing";
      }
      bad[k] = f.sent[k];
    }
  }
  return checked;
}

TEST(RealWorldCaptures, EchoRequestsCarryingOptionsAreAnsweredWithThemUpdated) {
  const fs::path path = kDirectory / "tp_icmp_echo.pcap";
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "capture not found: looked for " << path.string();
  const CaptureFile capture = read_capture_file(path);
  const Replay original = replay_capture(path.string());
  ASSERT_EQ(original.frames.size(), capture.times_us.size());

  std::vector<Bytes> frames;
  std::vector<std::int64_t> times;
  std::vector<Want> wants;
  std::vector<std::string> names;
  std::size_t requests = 0;
  for (std::size_t i = 0; i < original.frames.size() && requests < 6; ++i) {
    const Bytes& in = original.frames[i].input;
    const FrameReading r = read_frame(in, LinkLayer::ethernet);
    if (!r.faults.empty() || !r.delivered || r.ihl != 20 || (*r.delivered)[9] != 1) continue;
    ++requests;
    // An earlier hop's time: a few milliseconds before ours.
    const auto stamp = static_cast<std::uint32_t>((capture.times_us[i] / 1000 + kMsPerDay - 5) % kMsPerDay);
    for (const OptionVariant& v : option_variants(rd32(in, kEth + 12), stamp)) {
      frames.push_back(with_options(in, v.options));
      times.push_back(capture.times_us[i]);
      wants.push_back(v.want);
      names.push_back(v.name);
    }
  }
  ASSERT_GT(requests, 0u);
  const Replay replay = run_stack(LinkLayer::ethernet, frames, times);
  const Outcome o = verify(replay, times, kMtu);
  report_problems("tp_icmp_echo.pcap with options", o.problems);
  std::size_t with_options_back = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const std::string& name = names[i];
    switch (wants[i]) {
      case Want::answer:
        EXPECT_TRUE(o.frames[i].reading.faults.empty())
            << name << ": read as " << reason_names(o.frames[i].reading.faults);
        EXPECT_EQ(o.frames[i].sent, SentKind::echo_reply) << name;
        break;
      case Want::drop:
        EXPECT_TRUE(o.frames[i].reading.faults.count(DropReason::ip_bad_options)) << name;
        EXPECT_EQ(f.drop, DropReason::ip_bad_options) << name;
        EXPECT_TRUE(f.sent.empty()) << name;
        break;
      case Want::either:
        EXPECT_TRUE(o.frames[i].reading.faults.empty() &&
                    o.frames[i].reading.tolerated.count(DropReason::ip_bad_options))
            << name;
        break;
    }
    if (!f.sent.empty() && ihl_at(f.sent.front(), kEth) > 20) ++with_options_back;
  }
  EXPECT_GE(with_options_back, requests * 10) << "replies carrying Record Route or Timestamp";

  std::set<SentKind> kinds;
  std::size_t fragmented = 0;
  EXPECT_GT(expect_corruptions_caught("tp_icmp_echo.pcap with options", replay, o, kMtu, kinds, fragmented), 0u);
}

// Real requests from the captures re-addressed (in memory) to what the files do not hold: echo requests to the
// subnet and limited broadcasts and to 224.0.0.1, which must get nothing (RFC 1122 §3.2.2.6, and no amplifier), and
// a real UDP datagram turned towards the echo service on port 7, unicast (answered), broadcast (not), and grown to
// 3000 bytes and sent in fragments (reassembled, answered in fragments). Over TAP, and over TUN without the link
// header.
Bytes readdressed(const Bytes& frame, std::uint32_t destination, bool link_broadcast) {
  Bytes out = frame;
  const std::size_t ihl = ihl_at(out, kEth);
  wr16(out, kEth + 16, static_cast<std::uint16_t>(destination >> 16));
  wr16(out, kEth + 18, static_cast<std::uint16_t>(destination & 0xffff));
  set_ip_checksum(out, kEth, ihl);
  if (link_broadcast) std::fill(out.begin(), out.begin() + 6, std::uint8_t{0xff});
  return out;
}

// A UDP datagram (Ethernet, IHL 5, no fragment) sent to `port` instead, its data repeated to `data_length` bytes
// (0: as it is), its UDP checksum recomputed.
Bytes to_udp_port(const Bytes& frame, std::uint16_t port, std::size_t data_length = 0) {
  const std::size_t ihl = ihl_at(frame, kEth), udp = kEth + ihl;
  const std::size_t old_length = rd16(frame, udp + 4);
  Bytes data = sub(frame, udp + 8, old_length - 8);
  if (data_length != 0) {
    Bytes grown;
    while (grown.size() < data_length) grown.insert(grown.end(), data.begin(), data.end());
    grown.resize(data_length);
    data = grown;
  }
  Bytes out = sub(frame, 0, udp + 8);
  out.insert(out.end(), data.begin(), data.end());
  const std::size_t length = 8 + data.size();
  wr16(out, udp + 2, port);
  wr16(out, udp + 4, static_cast<std::uint16_t>(length));
  wr16(out, udp + 6, 0);
  Bytes datagram = sub(out, kEth, ihl + length);
  Bytes pseudo = sub(datagram, 12, 8);
  pseudo.insert(pseudo.end(), {0, 17, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)});
  pseudo.insert(pseudo.end(), datagram.begin() + static_cast<std::ptrdiff_t>(ihl), datagram.end());
  const auto checksum = static_cast<std::uint16_t>(~ones_sum(pseudo, 0, pseudo.size()));
  wr16(out, udp + 6, checksum == 0 ? 0xffff : checksum);
  wr16(out, kEth + 2, static_cast<std::uint16_t>(ihl + length));
  set_ip_checksum(out, kEth, ihl);
  return out;
}

// `frame` (Ethernet, one datagram) cut into fragments of at most `chunk` data bytes (a multiple of 8).
std::vector<Bytes> fragments_of(const Bytes& frame, std::size_t chunk) {
  const std::size_t ihl = ihl_at(frame, kEth), total = rd16(frame, kEth + 2), data = total - ihl;
  std::vector<Bytes> out;
  for (std::size_t offset = 0; offset < data; offset += chunk) {
    const std::size_t n = std::min(chunk, data - offset);
    Bytes f = sub(frame, 0, kEth + ihl);
    f.insert(f.end(), frame.begin() + static_cast<std::ptrdiff_t>(kEth + ihl + offset),
             frame.begin() + static_cast<std::ptrdiff_t>(kEth + ihl + offset + n));
    wr16(f, kEth + 2, static_cast<std::uint16_t>(ihl + n));
    wr16(f, kEth + 6, static_cast<std::uint16_t>((offset + n < data ? 0x2000 : 0) | (offset / 8)));
    set_ip_checksum(f, kEth, ihl);
    out.push_back(f);
  }
  return out;
}

TEST(RealWorldCaptures, DerivedBroadcastEchoesAndThePortSevenEchoService) {
  const fs::path echo_path = kDirectory / "tp_icmp_echo.pcap", udp_path = kDirectory / "tp_ipv4_other_proto.pcap";
  if (!fs::is_regular_file(echo_path) || !fs::is_regular_file(udp_path)) {
    GTEST_SKIP() << "captures not found: looked for " << echo_path.string() << " and " << udp_path.string();
  }
  // Well-formed requests for us from the files: ICMP echo requests, and UDP datagrams (to ports nobody serves).
  std::vector<Bytes> echoes, udps;
  for (const auto& [path, list] : {std::pair{echo_path, &echoes}, std::pair{udp_path, &udps}}) {
    for (const ReplayedFrame& f : replay_capture(path.string()).frames) {
      const FrameReading r = read_frame(f.input, LinkLayer::ethernet);
      if (!r.delivered || r.ihl != 20 || r.fragment || rd32(f.input, kEth + 16) != kOurIp) continue;
      const bool echo = r.faults.empty() && (*r.delivered)[9] == 1;
      const bool udp = r.faults == std::set<DropReason>{DropReason::udp_port_unreachable};
      if ((list == &echoes && echo) || (list == &udps && udp)) list->push_back(sub(f.input, 0, kEth + r.total));
    }
  }
  ASSERT_GE(echoes.size(), 3u);
  ASSERT_GE(udps.size(), 2u);

  struct Case {
    Bytes frame;
    SentKind want;
  };
  std::vector<Case> cases;
  for (std::size_t i = 0; i < 3; ++i) {
    cases.push_back({readdressed(echoes[i], kSubnetBroadcast, false), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], kSubnetBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], kLimitedBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(echoes[i], 0xe0000001, true), SentKind::nothing});  // 224.0.0.1, all hosts
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const Bytes seven = to_udp_port(udps[i], kEchoPort);
    cases.push_back({seven, SentKind::udp_echo});
    cases.push_back({readdressed(seven, kSubnetBroadcast, true), SentKind::nothing});
    cases.push_back({readdressed(seven, kLimitedBroadcast, true), SentKind::nothing});
    // 3000 bytes of data in 1480-byte fragments (each identified by its own datagram's ID): held, then answered
    // by the last one, in fragments of its own.
    Bytes big = to_udp_port(udps[i], kEchoPort, 3000);
    wr16(big, kEth + 4, static_cast<std::uint16_t>(0x7e00 + i));
    set_ip_checksum(big, kEth, 20);
    const std::vector<Bytes> pieces = fragments_of(big, 1480);
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      cases.push_back({pieces[k], k + 1 == pieces.size() ? SentKind::udp_echo : SentKind::nothing});
    }
  }

  std::size_t fragmented = 0, broadcast_ignored = 0;
  for (const LinkLayer link : {LinkLayer::ethernet, LinkLayer::ip}) {
    const std::string what = link == LinkLayer::ethernet ? "derived (TAP)" : "derived (TUN)";
    std::vector<Bytes> frames;
    std::vector<std::int64_t> times;
    for (const Case& c : cases) {
      frames.push_back(link == LinkLayer::ethernet ? c.frame : sub(c.frame, kEth, c.frame.size() - kEth));
      times.push_back(std::int64_t{1'700'000'000} * 1'000'000 + static_cast<std::int64_t>(times.size()) * 1000);
    }
    const Replay replay = run_stack(link, frames, times);
    const Outcome o = verify(replay, times, kMtu);
    report_problems(what.c_str(), o.problems);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const std::size_t l3 = link == LinkLayer::ethernet ? kEth : 0;
      EXPECT_EQ(o.frames[i].sent, cases[i].want)
          << what << " case " << i + 1 << ": " << kind_of(frames[i], link) << " to "
          << ip_text(rd32(frames[i], l3 + 16));
    }
    fragmented += o.fragmented;
    broadcast_ignored += count_drops(replay, DropReason::ip_broadcast_echo_ignored);
    if (link == LinkLayer::ethernet) {  // (over TUN the same replies, without their link header)
      std::set<SentKind> kinds;
      std::size_t corrupted_fragmented = 0;
      EXPECT_GT(expect_corruptions_caught(what.c_str(), replay, o, kMtu, kinds, corrupted_fragmented), 0u);
      EXPECT_TRUE(kinds.count(SentKind::udp_echo)) << "UDP echoes corrupted";
      EXPECT_GT(corrupted_fragmented, 0u) << "fragmented UDP echoes corrupted";
    }
  }
  EXPECT_EQ(fragmented, 4u) << "the 3000-byte UDP echoes, answered in fragments over TAP and TUN";
  EXPECT_GT(broadcast_ignored, 0u) << "echo requests to broadcast addresses ignored by name";
}

// The reply checks are not vacuous: on real replies from the captures (ARP and echo replies, ICMP unreachables,
// the reply to a reassembled request, and fragmented replies at MTU 576), every single-bit corruption, a byte more
// and a byte less, and a missing fragment, are each caught.
TEST(RealWorldCaptures, ReplyChecksCatchEveryCorruptionOfARealReply) {
  if (!fs::is_directory(kDirectory)) {
    GTEST_SKIP() << "real-world captures not found: looked for the directory " << kDirectory.string();
  }
  struct Case {
    const char* file;
    std::size_t mtu;
  };
  std::size_t replies = 0, fragmented = 0;
  std::set<SentKind> kinds;
  const Case cases[] = {{"tp_arp.pcap", kMtu},          {"tp_icmp_echo.pcap", kMtu},
                        {"derived_eth_padding.pcap", kMtu}, {"tun_tp_ipv4_228.pcap", kMtu},
                        {"derived_ip_trailer_tun.pcap", kMtu}, {"tp_frag.pcap", kMtu},
                        {"tp_ipv4_other_proto.pcap", kMtu}, {"tp_frag.pcap", kSmallMtu}};
  for (const Case& c : cases) {
    const fs::path path = kDirectory / c.file;
    if (!fs::is_regular_file(path)) continue;
    const Replay replay = replay_with_mtu(path, c.mtu);
    const Outcome o = verify(replay, read_capture_file(path).times_us, c.mtu);
    const std::string what = std::string(c.file) + " (MTU " + std::to_string(c.mtu) + ")";
    replies += expect_corruptions_caught(what.c_str(), replay, o, c.mtu, kinds, fragmented);
  }
  if (replies == 0) GTEST_SKIP() << "none of the captures with replies found in " << kDirectory.string();
  EXPECT_TRUE(kinds.count(SentKind::arp_reply) && kinds.count(SentKind::echo_reply) &&
              kinds.count(SentKind::unreachable))
      << "ARP replies, echo replies and unreachables all corrupted";
  EXPECT_GT(fragmented, 0u) << "fragmented replies corrupted";
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
