// Per-layer counters, named after the SNMP MIB objects they correspond to (RFC 1213, RFC 4293) where one exists,
// plus one counter per drop reason.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "stack/wire/drop_reason.hpp"

namespace ministack {

#define MINISTACK_COUNTERS(X)                                                                          \
  X(ifInFrames, "frames (TAP) or packets (TUN) read from the device")                                  \
  X(ifOutFrames, "frames or packets written to the device")                                            \
  X(arpInRequests, "ARP requests for our address")                                                     \
  X(arpOutReplies, "ARP replies sent")                                                                 \
  X(ipInReceives, "IPv4 datagrams received, including those in error")                                 \
  X(ipInDelivers, "IPv4 datagrams handed to ICMP or UDP")                                              \
  X(ipOutRequests, "IPv4 datagrams sent")                                                              \
  X(ipReasmReqds, "fragments received that needed reassembly")                                         \
  X(ipReasmOKs, "datagrams reassembled")                                                               \
  X(ipReasmFails, "datagrams whose reassembly failed (overlap, oversize, timeout, eviction)")          \
  X(ipFragOKs, "datagrams fragmented to fit the MTU")                                                  \
  X(ipFragCreates, "fragments sent")                                                                   \
  X(arpOutRequests, "ARP requests sent (resolution and gratuitous)")                                   \
  X(icmpInMsgs, "ICMP messages received, including those in error")                                    \
  X(icmpInEchos, "ICMP echo requests received")                                                        \
  X(icmpOutMsgs, "ICMP messages sent")                                                                 \
  X(icmpOutEchoReps, "ICMP echo replies sent")                                                         \
  X(icmpOutDestUnreachs, "ICMP destination unreachable messages sent")                                 \
  X(udpInDatagrams, "UDP datagrams delivered to a port")                                               \
  X(udpNoPorts, "UDP datagrams for a port nobody listens on")                                          \
  X(udpInErrors, "UDP datagrams dropped for errors")                                                   \
  X(udpOutDatagrams, "UDP datagrams sent")

enum class Counter {
#define MINISTACK_X(name, meaning) name,
  MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
};

inline constexpr std::size_t kCounterCount = 0
#define MINISTACK_X(name, meaning) +1
    MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
    ;

constexpr std::string_view counter_name(Counter c) {
  constexpr std::string_view names[] = {
#define MINISTACK_X(name, meaning) #name,
      MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
  };
  return names[static_cast<std::size_t>(c)];
}

// What a counter counts, from the same X-macro as its name.
constexpr std::string_view counter_meaning(Counter c) {
  constexpr std::string_view meanings[] = {
#define MINISTACK_X(name, meaning) meaning,
      MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
  };
  return meanings[static_cast<std::size_t>(c)];
}

// The layer a counter belongs to, for grouping in tables. Derived from the MIB-style name's prefix (if*, arp*,
// ipReasm*/ipFrag*, ip*, icmp*, udp*), so a counter added to the list above lands in its group by itself.
enum class CounterGroup { link, arp, ipv4, fragments, icmp, udp };

inline constexpr std::size_t kCounterGroupCount = 6;

constexpr std::string_view counter_group_name(CounterGroup g) {
  constexpr std::string_view names[] = {"link / interface", "ARP", "IPv4", "reassembly / fragmentation", "ICMP",
                                        "UDP"};
  return names[static_cast<std::size_t>(g)];
}

constexpr CounterGroup counter_group(Counter c) {
  const std::string_view name = counter_name(c);
  if (name.starts_with("ipReasm") || name.starts_with("ipFrag")) return CounterGroup::fragments;
  if (name.starts_with("icmp")) return CounterGroup::icmp;
  if (name.starts_with("ip")) return CounterGroup::ipv4;
  if (name.starts_with("arp")) return CounterGroup::arp;
  if (name.starts_with("udp")) return CounterGroup::udp;
  return CounterGroup::link;
}

class Counters {
 public:
  void count(Counter c) { ++values_[static_cast<std::size_t>(c)]; }
  void count(DropReason r) { ++drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t get(Counter c) const { return values_[static_cast<std::size_t>(c)]; }
  std::uint64_t get(DropReason r) const { return drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const {
    std::uint64_t n = 0;
    for (auto v : drops_) n += v;
    return n;
  }

 private:
  std::array<std::uint64_t, kCounterCount> values_{};
  std::array<std::uint64_t, kDropReasonCount> drops_{};
};

}  // namespace ministack
