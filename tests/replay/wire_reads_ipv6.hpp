// Independent IPv6 byte reads for the real-world tests (nothing here uses the stack's parsers): our addresses and
// groups, address classes (RFC 4291), the ICMPv6 checksum with its pseudo-header (RFC 8200 §8.1), and what an IPv6
// address is, in words.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "wire_reads.hpp"

namespace ministack::realworld {

using Ip6 = std::array<std::uint8_t, 16>;

// fe80::ff:fe00:1 (EUI-64 of 02:00:00:00:00:01, RFC 4291 §2.5.6) and fd00:3::12; all-nodes and the two
// solicited-node groups (RFC 4291 §2.7.1); their 33:33:... MACs (RFC 2464 §7).
inline constexpr Ip6 kOurLinkLocal = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 1};
inline constexpr Ip6 kOurGlobal = {0xfd, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
inline constexpr Ip6 kAllNodes = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr Ip6 kSolicitedLinkLocal = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
inline constexpr Ip6 kSolicitedGlobal = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x12};
inline constexpr std::size_t kIp6Header = 40;
inline constexpr std::size_t kIp6MinMtu = 1280;   // RFC 8200 §5: an ICMPv6 error never exceeds it (RFC 4443 §2.4(c))
inline constexpr std::uint8_t kNdHopLimit = 255;  // RFC 4861 §7.1
inline constexpr std::uint8_t kNaRouter = 0x80, kNaSolicited = 0x40, kNaOverride = 0x20;

inline Ip6 ip6_at(const Bytes& b, std::size_t at) {
  Ip6 a{};
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), 16, a.begin());
  return a;
}
inline bool is_ours6(const Ip6& a) { return a == kOurLinkLocal || a == kOurGlobal; }
inline bool is_joined6(const Ip6& a) { return a == kAllNodes || a == kSolicitedLinkLocal || a == kSolicitedGlobal; }
inline bool is_multicast6(const Ip6& a) { return a[0] == 0xff; }
inline bool is_link_local6(const Ip6& a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
inline bool is_unspecified6(const Ip6& a) { return a == Ip6{}; }
inline bool is_loopback6(const Ip6& a) { return a == Ip6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; }
inline bool is_v4_mapped6(const Ip6& a) {
  return std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t x) { return x == 0; }) && a[10] == 0xff &&
         a[11] == 0xff;
}
// RFC 4291 §2.7.1: ff02::1:ffXX:XXXX, the low 24 bits of the address.
inline Ip6 solicited_node6(const Ip6& a) {
  Ip6 g = kSolicitedLinkLocal;
  std::copy(a.begin() + 13, a.end(), g.begin() + 13);
  return g;
}
// Our MAC, broadcast, or a group we joined (33:33 and the group's low 32 bits, RFC 2464 §7).
inline bool mac_joined(const Bytes& f, std::size_t at) {
  if (mac_is(f, at, kOurMac) || mac_is_broadcast(f, at)) return true;
  for (const Ip6& g : {kAllNodes, kSolicitedLinkLocal, kSolicitedGlobal}) {
    const MacAddress m{{0x33, 0x33, g[12], g[13], g[14], g[15]}};
    if (mac_is(f, at, m)) return true;
  }
  return false;
}
inline bool mac_is_all_nodes(const Bytes& f, std::size_t at) {
  return mac_is(f, at, MacAddress{{0x33, 0x33, 0, 0, 0, 1}});
}

// The upper-layer checksum of d[at, d.size()) with the IPv6 pseudo-header of the packet at d[0] (RFC 8200 §8.1).
inline bool checksum6_ok(const Bytes& d, std::size_t at, std::uint8_t next_header) {
  const std::size_t length = d.size() - at;
  Bytes pseudo = slice(d, 8, 32);
  pseudo.insert(pseudo.end(),
                {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
                 static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), 0, 0, 0, next_header});
  pseudo.insert(pseudo.end(), d.begin() + static_cast<std::ptrdiff_t>(at), d.end());
  return checksum_ok(pseudo, 0, pseudo.size());
}

// RFC 5952 §4: lower-case hexadecimal, leading zeros dropped, the longest run of two or more zero words as "::".
inline std::string ip6_text(const Ip6& a) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run_at = 8, run = 0;
  for (std::size_t w = 0, n = 0; w < 8; ++w) {
    n = (a[2 * w] | a[2 * w + 1]) == 0 ? n + 1 : 0;
    if (n > run && n >= 2) {
      run = n;
      run_at = w + 1 - n;
    }
  }
  std::string s;
  for (std::size_t w = 0; w < 8; ++w) {
    if (w == run_at) {
      s.append("::");
      w += run - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s.push_back(':');
    const unsigned word = (unsigned{a[2 * w]} << 8) | a[2 * w + 1];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (word >> shift) & 0xf;
      if (nibble || started || shift == 0) {
        s.push_back(kHex[nibble]);
        started = true;
      }
    }
  }
  return s;
}

}  // namespace ministack::realworld
