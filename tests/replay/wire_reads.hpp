// Independent byte reads: nothing below uses the stack's parsers or helpers. For the real-world tests
// (realworld_test.cpp): our addresses and the limits the checks hold the stack to, big-endian fields,
// ones'-complement checksums, address classes, and what a frame is, in words.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "packets.hpp"
#include "stack/stack.hpp"
#include "stack/wire/drop_reason.hpp"

namespace ministack::realworld {

using Bytes = packets::Frame;

inline constexpr MacAddress kOurMac = packets::kOurMac;         // 02:00:00:00:00:01
inline constexpr std::uint32_t kOurIp = packets::kOurIp.value;  // 192.168.3.12
inline constexpr std::uint32_t kSubnetBroadcast = 0xc0a803ff;   // 192.168.3.255
inline constexpr std::uint32_t kLimitedBroadcast = 0xffffffff;
inline constexpr std::size_t kEth = 14;     // Ethernet header
inline constexpr std::size_t kEthMin = 60;  // Ethernet minimum frame without FCS
inline constexpr std::uint8_t kTtl = 64;
inline constexpr std::size_t kMtu = 1500;  // the stack's default: largest IP datagram per frame
inline constexpr std::size_t kMaxDatagram = 65535;
inline constexpr std::uint8_t kErrorTos = 0xc0;      // precedence 6, internetwork control (RFC 1812 §4.3.2.5)
inline constexpr std::size_t kMaxErrorLength = 576;  // RFC 1812 §4.3.2.3
inline constexpr std::uint16_t kEchoPort = 7;        // RFC 862
inline constexpr std::uint32_t kMsPerDay = 24u * 60u * 60u * 1000u;  // RFC 791 timestamps: ms since midnight UT

// Big-endian fields, slices and checksums: the tests' one set of byte helpers (packets.hpp).
using packets::get16;
using packets::get32;
using packets::put16;
using packets::slice;

// Whether b[from, to) carries a valid ones'-complement checksum (RFC 1071): it sums to 0xffff.
inline bool checksum_ok(const Bytes& b, std::size_t from, std::size_t to) {
  return packets::reference_checksum(packets::ByteView{b}.subspan(from, to - from)) == 0;
}
// Writes a fresh IPv4 header checksum for the header at b[at, at + ihl).
inline void set_ip_checksum(Bytes& b, std::size_t at, std::size_t ihl) { packets::set_checksum(b, at + 10, at, ihl); }

inline bool same(const Bytes& a, std::size_t a_at, const Bytes& b, std::size_t b_at, std::size_t n) {
  return a.size() >= a_at + n && b.size() >= b_at + n &&
         std::equal(a.begin() + static_cast<std::ptrdiff_t>(a_at), a.begin() + static_cast<std::ptrdiff_t>(a_at + n),
                    b.begin() + static_cast<std::ptrdiff_t>(b_at));
}
inline bool all_zero(const Bytes& b, std::size_t from) {
  return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(std::min(from, b.size())), b.end(),
                     [](std::uint8_t x) { return x == 0; });
}
inline bool mac_is(const Bytes& b, std::size_t at, const MacAddress& mac) {
  return b.size() >= at + 6 && packets::get_mac(b, at) == mac;
}
inline bool mac_is_broadcast(const Bytes& b, std::size_t at) {
  return b.size() >= at + 6 &&
         std::all_of(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 6),
                     [](std::uint8_t x) { return x == 0xff; });
}
inline bool mac_is_group(const Bytes& b, std::size_t at) { return (b[at] & 0x01) != 0; }

inline std::string ip_text(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." + std::to_string((a >> 8) & 0xff) +
         "." + std::to_string(a & 0xff);
}
inline std::string reason_name(DropReason r) { return std::string(ministack::describe(r).name); }
inline std::string reason_names(const std::set<DropReason>& reasons) {
  std::string s;
  for (DropReason r : reasons) {
    if (!s.empty()) s.append(", ");
    s.append(ministack::describe(r).name);  // append, not +: GCC 12's -Wstringop-overflow misfires on operator+
  }
  return s.empty() ? "none" : s;
}

// Sources no host may answer (RFC 1122 §3.2.1.3): this network (0/8), loopback, multicast and class E (224/3),
// limited and subnet broadcast, and our own address.
inline bool bad_source(std::uint32_t a) {
  const std::uint32_t first = a >> 24;
  return first == 0 || first == 127 || (first & 0xe0) == 0xe0 || a == kLimitedBroadcast || a == kSubnetBroadcast ||
         a == kOurIp;
}
inline bool is_multicast(std::uint32_t a) { return (a >> 28) == 0xe; }
inline bool is_broadcast(std::uint32_t a) { return a == kLimitedBroadcast || a == kSubnetBroadcast; }

// An IPv4 header at b[at]: its fields.
inline std::size_t ihl_at(const Bytes& b, std::size_t at) { return std::size_t{b[at] & 0x0fu} * 4; }
inline std::size_t fragment_offset_at(const Bytes& b, std::size_t at) {
  return std::size_t{get16(b, at + 6) & 0x1fffu} * 8;
}
inline bool more_fragments_at(const Bytes& b, std::size_t at) { return (get16(b, at + 6) & 0x2000) != 0; }
inline bool is_fragment_at(const Bytes& b, std::size_t at) { return (get16(b, at + 6) & 0x3fff) != 0; }

// Whether the transport checksum of d's payload (at d[ihl], `length` bytes) verifies with the pseudo-header of
// `protocol` (RFC 768 for UDP, RFC 9293 §3.1 for TCP).
inline bool transport_checksum_ok(const Bytes& d, std::size_t ihl, std::size_t length, std::uint8_t protocol) {
  Bytes pseudo = slice(d, 12, 8);  // source and destination addresses
  pseudo.insert(pseudo.end(),
                {0, protocol, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xff)});
  pseudo.insert(pseudo.end(), d.begin() + static_cast<std::ptrdiff_t>(ihl),
                d.begin() + static_cast<std::ptrdiff_t>(ihl + length));
  return checksum_ok(pseudo, 0, pseudo.size());
}
inline bool udp_checksum_ok(const Bytes& d, std::size_t ihl, std::size_t udp_length) {
  return transport_checksum_ok(d, ihl, udp_length, 17);
}
// The TCP segment is the whole rest of the datagram d.
inline bool tcp_checksum_ok(const Bytes& d, std::size_t ihl) {
  return transport_checksum_ok(d, ihl, d.size() - ihl, 6);
}

// TCP (RFC 9293 §3.1): the control bits in byte 13, the data offset in the high half of byte 12.
inline constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;
inline constexpr std::size_t kTcpHeader = 20;
inline constexpr std::uint16_t kTcpEchoPort = 7, kTcpDiscardPort = 9;  // listened on by default (RFC 862, RFC 863)
inline constexpr std::uint8_t kEcnBits = 0x03;                         // of the TOS byte (RFC 3168 §5)
inline std::size_t tcp_data_offset_at(const Bytes& b, std::size_t at) {
  return static_cast<std::size_t>(b[at + 12] >> 4) * 4;
}
inline std::string tcp_flags_text(std::uint8_t flags) {
  static constexpr const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string s;
  for (unsigned bit = 0; bit < 8; ++bit) {
    if ((flags >> bit) & 1u) s.append(s.empty() ? "" : "+").append(kNames[bit]);
  }
  return s.empty() ? "no flags" : s;
}

// What an IPv6 packet at f[l3] is, in words (fault_model_ipv6.cpp).
std::string kind_of_ipv6(const Bytes& f, std::size_t l3);

// What a frame is, in words, for messages.
inline std::string kind_of(const Bytes& f, LinkLayer link) {
  std::size_t l3 = 0;
  if (link == LinkLayer::ethernet) {
    if (f.size() < kEth) return "runt frame";
    const std::uint16_t type = get16(f, 12);
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100) return "VLAN-tagged frame";
    if (type == 0x86dd) return kind_of_ipv6(f, kEth);
    if (type == 0x0806) return f.size() >= kEth + 8 ? "ARP op " + std::to_string(get16(f, kEth + 6)) : "short ARP";
    if (type != 0x0800) return "non-IP frame (ethertype " + std::to_string(type) + ")";
    l3 = kEth;
  }
  if (f.size() <= l3) return "empty packet";
  if ((f[l3] >> 4) == 6) return kind_of_ipv6(f, l3);
  if ((f[l3] >> 4) != 4 || f.size() < l3 + 20) return "malformed IPv4";
  const std::uint8_t protocol = f[l3 + 9];
  if (fragment_offset_at(f, l3) != 0) {
    return "IP fragment at offset " + std::to_string(fragment_offset_at(f, l3)) + " of protocol " +
           std::to_string(protocol);
  }
  const std::string first = more_fragments_at(f, l3) ? " (first fragment)" : "";
  const std::size_t transport = l3 + ihl_at(f, l3);
  if (protocol == 6 && f.size() >= transport + kTcpHeader) {
    return "TCP " + tcp_flags_text(f[transport + 13]) + " to port " + std::to_string(get16(f, transport + 2)) + first;
  }
  if (protocol != 1) return "IPv4 protocol " + std::to_string(protocol) + first;
  if (f.size() <= transport) return "ICMP without a header";
  switch (f[transport]) {
    case 0: return "ICMP echo reply" + first;
    case 3: return "ICMP destination unreachable (an error)" + first;
    case 4: return "ICMP source quench (an error)" + first;
    case 5: return "ICMP redirect (an error)" + first;
    case 8: return "ICMP echo request" + first;
    case 11: return "ICMP time exceeded (an error)" + first;
    case 12: return "ICMP parameter problem (an error)" + first;
    default: return "ICMP type " + std::to_string(f[transport]) + first;
  }
}

}  // namespace ministack::realworld
