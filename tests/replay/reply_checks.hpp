// Checks of what was sent: each returns what is wrong, empty when it is a correct answer. Every frame sent
// is read with wire_reads.hpp's byte reads, never the stack's parsers: ARP replies, echo replies (with the options
// they echo: echoed_options.cpp), UDP echoes, ICMP unreachables, TCP RSTs, and fragmented replies rebuilt from their
// fragments; for IPv6, echo replies, neighbor advertisements and ICMPv6 errors (reply_checks_ipv6.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fault_model.hpp"
#include "wire_reads.hpp"

namespace ministack::realworld {

using Problems = std::vector<std::string>;

using Expect = std::function<void(bool, const std::string&)>;
inline Expect expector(Problems& p) {
  return [&p](bool ok, const std::string& what) {
    if (!ok) p.push_back(what);
  };
}

// The Record Route and Timestamp options of an echo reply against the request's, both whole datagrams
// (echoed_options.cpp).
void check_echoed_options(const Bytes& request, const Bytes& reply, Problems& p);

enum class SentKind {
  nothing,
  arp_reply,
  echo_reply,
  udp_echo,
  unreachable,
  tcp_rst,
  neighbor_advertisement,
  parameter_problem,
  unexpected
};

const char* sent_name(SentKind k);

struct SentReading {
  SentKind kind = SentKind::nothing;
  bool fragmented = false;
  std::uint8_t code = 0;  // of an ICMP unreachable or an ICMPv6 error
  Problems problems;
};

// What the stack sent while handling `in` (read as `r`), and what is wrong with it.
SentReading check_sent(const Bytes& in, LinkLayer link, const FrameReading& r, const std::vector<Bytes>& sent,
                       std::size_t mtu);

// The same for an IPv6 packet (reply_checks_ipv6.cpp): echo replies, neighbor advertisements, ICMPv6 errors.
SentReading check_sent6(const Bytes& in, LinkLayer link, const FrameReading& r, const std::vector<Bytes>& sent,
                        std::size_t mtu);

}  // namespace ministack::realworld
