// Expectations: the README's table (of the real-world captures, for realworld_test.cpp), one row a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

namespace ministack::realworld {

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

inline void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file; }

inline const std::vector<Expectation>& expectations() {
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

}  // namespace ministack::realworld
