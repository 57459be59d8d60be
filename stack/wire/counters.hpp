// Per-layer counters, named after the SNMP MIB objects they are (IF-MIB RFC 2863, IP-MIB RFC 4293, the ICMP group of
// RFC 2011, UDP-MIB RFC 4113, TCP-MIB RFC 4022), plus ARP's, which no MIB counts and which are marked as ministack's
// own; and one counter per drop reason. RFC 4293 counts IPv6 in the same objects as IPv4, in a row per version
// (ipSystemStatsTable, icmpMsgStatsTable); the IPv6 rows carry the names Linux gives them (/proc/net/snmp6, nstat),
// Ip6* and Icmp6*. UDP and TCP count both versions together, as their MIBs do.
//
// Some MIB counters are aggregates of drops (ipInHdrErrors, icmpInErrors, ...): each drop reason names the one it
// counts toward (drop_reason.hpp), and Counters::get() adds them up, so the two can never disagree.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stack/wire/drop_reason.hpp"

namespace ministack {

// The groups of the counters table, in order.
enum class CounterGroup { link, arp, ipv4, fragments, icmp, ipv6, icmpv6, udp, tcp };
inline constexpr std::size_t kCounterGroupCount = 9;

// X(name, group, source, meaning): source is the MIB that defines the name, "Linux" for a counter named as Linux's
// nstat names it, or "ministack" for our own.
#define MINISTACK_COUNTERS(X)                                                                                      \
  X(ifInUcastPkts, link, "IF-MIB", "frames to our MAC (TAP) or packets (TUN) passed up to ARP or IP")              \
  X(ifInBroadcastPkts, link, "IF-MIB", "broadcast frames passed up to ARP or IP")                                  \
  X(ifInMulticastPkts, link, "IF-MIB", "frames to a multicast group we joined (IPv6 all-nodes, solicited-node)")   \
  X(ifInDiscards, link, "IF-MIB", "frames for another host's MAC, discarded")                                      \
  X(ifInErrors, link, "IF-MIB", "frames too short for Ethernet or too long to read, or from a group MAC address")  \
  X(ifInUnknownProtos, link, "IF-MIB", "frames of a protocol not spoken (an EtherType, or IPv6 turned off)")       \
  X(ifOutUcastPkts, link, "IF-MIB", "frames or packets sent to one host")                                          \
  X(ifOutBroadcastPkts, link, "IF-MIB", "frames sent to the Ethernet broadcast address (ARP requests)")            \
  X(ifOutMulticastPkts, link, "IF-MIB", "frames sent to a multicast group (neighbor solicitations, DAD)")          \
  X(arpInRequests, arp, "ministack", "ARP requests for our address")                                               \
  X(arpOutReplies, arp, "ministack", "ARP replies sent")                                                           \
  X(arpOutRequests, arp, "ministack", "ARP requests sent (resolution and gratuitous)")                             \
  X(ipInReceives, ipv4, "IP-MIB", "IPv4 datagrams received, including those in error")                             \
  X(ipInHdrErrors, ipv4, "IP-MIB", "datagrams with a bad header: version, IHL, length, checksum, options")         \
  X(ipInTruncatedPkts, ipv4, "IP-MIB", "datagrams shorter than their header or total length")                      \
  X(ipInAddrErrors, ipv4, "IP-MIB", "datagrams not for our address, or from an address no host may have")          \
  X(ipInUnknownProtos, ipv4, "IP-MIB", "datagrams for us of a protocol not spoken")                                \
  X(ipInDelivers, ipv4, "IP-MIB", "IPv4 datagrams handed to ICMP, UDP or TCP")                                     \
  X(ipOutRequests, ipv4, "IP-MIB", "IPv4 datagrams sent")                                                          \
  X(ipOutDiscards, ipv4, "IP-MIB", "datagrams we originated and dropped while ARP resolved their next hop")        \
  X(ipReasmReqds, fragments, "IP-MIB", "fragments received that needed reassembly")                                \
  X(ipReasmOKs, fragments, "IP-MIB", "datagrams reassembled")                                                      \
  X(ipReasmFails, fragments, "IP-MIB", "datagrams whose reassembly failed (overlap, oversize, timeout, eviction)") \
  X(ipFragOKs, fragments, "IP-MIB", "datagrams fragmented to fit the MTU")                                         \
  X(ipFragCreates, fragments, "IP-MIB", "fragments sent")                                                          \
  X(icmpInMsgs, icmp, "IP-MIB", "ICMP messages received, including those in error")                                \
  X(icmpInErrors, icmp, "IP-MIB", "ICMP messages too short or with a bad checksum")                                \
  X(icmpInEchos, icmp, "IP-MIB", "ICMP echo requests received")                                                    \
  X(icmpOutMsgs, icmp, "IP-MIB", "ICMP messages sent")                                                             \
  X(icmpOutEchoReps, icmp, "IP-MIB", "ICMP echo replies sent")                                                     \
  X(icmpOutDestUnreachs, icmp, "IP-MIB", "ICMP destination unreachable messages sent")                             \
  X(Ip6InReceives, ipv6, "IP-MIB", "IPv6 packets received, including those in error")                              \
  X(Ip6InHdrErrors, ipv6, "IP-MIB", "IPv6 packets with a bad header or extension header")                          \
  X(Ip6InTruncatedPkts, ipv6, "IP-MIB", "IPv6 packets shorter than their header or payload length")                \
  X(Ip6InAddrErrors, ipv6, "IP-MIB", "IPv6 packets not for our addresses, or from an address no host may have")    \
  X(Ip6InUnknownProtos, ipv6, "IP-MIB", "IPv6 packets for us with a next header not spoken")                       \
  X(Ip6InDelivers, ipv6, "IP-MIB", "IPv6 packets handed to ICMPv6, UDP or TCP")                                    \
  X(Ip6OutRequests, ipv6, "IP-MIB", "IPv6 packets sent")                                                           \
  X(Ip6ReasmReqds, ipv6, "IP-MIB", "IPv6 fragments received that needed reassembly")                               \
  X(Ip6ReasmOKs, ipv6, "IP-MIB", "IPv6 packets reassembled")                                                       \
  X(Ip6ReasmFails, ipv6, "IP-MIB", "IPv6 packets whose reassembly failed")                                         \
  X(Ip6FragOKs, ipv6, "IP-MIB", "IPv6 packets fragmented to fit the MTU")                                          \
  X(Ip6FragCreates, ipv6, "IP-MIB", "IPv6 fragments sent")                                                         \
  X(Icmp6InMsgs, icmpv6, "IP-MIB", "ICMPv6 messages received, including those in error")                           \
  X(Icmp6InErrors, icmpv6, "IP-MIB", "ICMPv6 messages too short, with a bad checksum, or invalid ND")              \
  X(Icmp6InEchos, icmpv6, "IP-MIB", "ICMPv6 echo requests received")                                               \
  X(Icmp6InNeighborSolicits, icmpv6, "IP-MIB", "neighbor solicitations received")                                  \
  X(Icmp6InNeighborAdvertisements, icmpv6, "IP-MIB", "neighbor advertisements received")                           \
  X(Icmp6OutMsgs, icmpv6, "IP-MIB", "ICMPv6 messages sent")                                                        \
  X(Icmp6OutEchoReplies, icmpv6, "IP-MIB", "ICMPv6 echo replies sent")                                             \
  X(Icmp6OutDestUnreachs, icmpv6, "IP-MIB", "ICMPv6 destination unreachable messages sent")                        \
  X(Icmp6OutParmProblems, icmpv6, "IP-MIB", "ICMPv6 parameter problem messages sent")                              \
  X(Icmp6OutNeighborSolicits, icmpv6, "IP-MIB", "neighbor solicitations sent (resolution and DAD)")                \
  X(Icmp6OutNeighborAdvertisements, icmpv6, "IP-MIB", "neighbor advertisements sent")                              \
  X(udpInDatagrams, udp, "UDP-MIB", "UDP datagrams delivered to a port")                                           \
  X(udpNoPorts, udp, "UDP-MIB", "UDP datagrams for a port nobody listens on")                                      \
  X(udpInErrors, udp, "UDP-MIB", "UDP datagrams too short or with a bad checksum")                                 \
  X(udpOutDatagrams, udp, "UDP-MIB", "UDP datagrams sent")                                                         \
  X(tcpActiveOpens, tcp, "TCP-MIB", "connections we opened (CLOSED to SYN-SENT): ministack never does")            \
  X(tcpPassiveOpens, tcp, "TCP-MIB", "connections opened by a peer's SYN (LISTEN to SYN-RECEIVED)")                \
  X(tcpAttemptFails, tcp, "TCP-MIB", "SYN-RECEIVED connections reset or timed out")                                \
  X(tcpEstabResets, tcp, "TCP-MIB", "ESTABLISHED or CLOSE-WAIT connections reset or timed out")                    \
  X(tcpCurrEstab, tcp, "TCP-MIB", "connections ESTABLISHED or in CLOSE-WAIT now (a gauge)")                        \
  X(tcpInSegs, tcp, "TCP-MIB", "TCP segments received, including those in error")                                  \
  X(tcpInErrs, tcp, "TCP-MIB", "TCP segments too short or with a bad data offset, checksum or options")            \
  X(tcpOutSegs, tcp, "TCP-MIB", "TCP segments sent, less those that only retransmit")                              \
  X(tcpRetransSegs, tcp, "TCP-MIB", "TCP segments retransmitted")                                                  \
  X(tcpOutRsts, tcp, "TCP-MIB", "TCP segments sent with the RST flag")                                             \
  X(TcpExtSyncookiesSent, tcp, "Linux", "SYN cookies sent: SYNs answered without state (RFC 4987 §3.6)")           \
  X(TcpExtSyncookiesRecv, tcp, "Linux", "SYN cookies that came back valid and made a connection")                  \
  X(TcpExtSyncookiesFailed, tcp, "Linux", "ACKs to a listening port that were no valid SYN cookie")

enum class Counter {
#define MINISTACK_X(name, group, source, meaning) name,
  MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
};

inline constexpr std::size_t kCounterCount = 0
#define MINISTACK_X(name, group, source, meaning) +1
    MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
    ;

struct CounterInfo {
  std::string_view name;
  CounterGroup group;
  // "IF-MIB", "IP-MIB", "UDP-MIB", "TCP-MIB", "Linux" (nstat's TcpExt names: no MIB defines them), or "ministack"
  std::string_view source;
  std::string_view meaning;
};

// One table, built once at compile time (a table local to describe() would be rebuilt on every constant-evaluated
// call, which clang's step limit does not allow for the lookups below).
inline constexpr CounterInfo kCounterTable[] = {
#define MINISTACK_X(name, group, source, meaning) {#name, CounterGroup::group, source, meaning},
    MINISTACK_COUNTERS(MINISTACK_X)
#undef MINISTACK_X
};

constexpr const CounterInfo& describe(Counter c) { return kCounterTable[static_cast<std::size_t>(c)]; }

constexpr std::string_view counter_name(Counter c) { return describe(c).name; }
constexpr std::string_view counter_meaning(Counter c) { return describe(c).meaning; }
constexpr CounterGroup counter_group(Counter c) { return describe(c).group; }

constexpr std::string_view counter_group_name(CounterGroup g) {
  constexpr std::string_view names[] = {"link / interface", "ARP", "IPv4", "reassembly / fragmentation", "ICMP", "IPv6",
                                        "ICMPv6",           "UDP", "TCP"};
  return names[static_cast<std::size_t>(g)];
}

// The counter a drop reason counts toward (its `aggregate` in drop_reason.hpp), if any.
constexpr std::optional<Counter> aggregate_of(DropReason reason) {
  const std::string_view name = describe(reason).aggregate;
  if (name.empty()) return std::nullopt;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (counter_name(static_cast<Counter>(i)) == name) return static_cast<Counter>(i);
  }
  return std::nullopt;
}

namespace detail {
// aggregate_of() for every drop reason, resolved once at compile time.
inline constexpr auto kAggregates = [] {
  std::array<std::optional<Counter>, kDropReasonCount> table{};
  for (std::size_t i = 0; i < kDropReasonCount; ++i) table[i] = aggregate_of(static_cast<DropReason>(i));
  return table;
}();

constexpr bool every_aggregate_names_a_counter() {
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    if (!describe(reason).aggregate.empty() && !aggregate_of(reason)) return false;
  }
  return true;
}
}  // namespace detail
static_assert(detail::every_aggregate_names_a_counter(), "a drop reason names a counter that does not exist");

// True for a counter that is the sum of drops (never counted directly).
constexpr bool is_aggregate(Counter c) {
  for (const auto& aggregate : detail::kAggregates) {
    if (aggregate == c) return true;
  }
  return false;
}

class Counters {
 public:
  void count(Counter c) {
    assert(!is_aggregate(c));  // those are the drops' sum
    ++values_[static_cast<std::size_t>(c)];
  }
  // One less, for a gauge (tcpCurrEstab) whose object is gone.
  void uncount(Counter c) {
    assert(values_[static_cast<std::size_t>(c)] > 0);
    --values_[static_cast<std::size_t>(c)];
  }
  void count(DropReason r) { ++drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t get(Counter c) const;
  std::uint64_t get(DropReason r) const { return drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const {
    std::uint64_t n = 0;
    for (auto v : drops_) n += v;
    return n;
  }
  // Adds every counter and drop of `other` (the stacks of several queues, merged for a report).
  Counters& operator+=(const Counters& other) {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
    for (std::size_t i = 0; i < drops_.size(); ++i) drops_[i] += other.drops_[i];
    return *this;
  }
  // Every frame read from the device is counted by exactly one of the ifIn* counters: their sum.
  std::uint64_t frames_received() const;
  // Every frame written to the device: ifOutUcastPkts + ifOutBroadcastPkts.
  std::uint64_t frames_sent() const {
    return get(Counter::ifOutUcastPkts) + get(Counter::ifOutBroadcastPkts) + get(Counter::ifOutMulticastPkts);
  }

 private:
  std::array<std::uint64_t, kCounterCount> values_{};
  std::array<std::uint64_t, kDropReasonCount> drops_{};
};

inline std::uint64_t Counters::get(Counter c) const {
  std::uint64_t n = values_[static_cast<std::size_t>(c)];
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (detail::kAggregates[i] == c) n += drops_[i];
  }
  return n;
}

inline std::uint64_t Counters::frames_received() const {
  return get(Counter::ifInUcastPkts) + get(Counter::ifInBroadcastPkts) + get(Counter::ifInMulticastPkts) +
         get(Counter::ifInDiscards) + get(Counter::ifInErrors) + get(Counter::ifInUnknownProtos);
}

}  // namespace ministack
