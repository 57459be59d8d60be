// Every reason ministack drops a frame: a name for counters and logs, what it means, and the rule behind it.
#pragma once

#include <cstddef>
#include <string_view>

namespace ministack {

// X(name, MIB counter it counts toward ("" for none), meaning, rule). Counters::get() adds the drops up into that
// counter (counters.hpp).
#define MINISTACK_DROP_REASONS(X)                                                                                      \
  X(eth_truncated, "ifInErrors", "frame shorter than the 14-byte Ethernet header", "IEEE 802.3 §3.1")                  \
  X(frame_too_long, "ifInErrors",                                                                                      \
    "frame longer than any the device can deliver (a 65535-byte IP packet plus link header): not read whole",          \
    "RFC 791 §3.1")                                                                                                    \
  X(eth_not_for_us, "ifInDiscards", "destination MAC is neither ours nor broadcast", "RFC 894")                        \
  X(eth_multicast_not_joined, "ifInDiscards",                                                                          \
    "destination MAC is a multicast group we have not joined (IPv6 routers, MLD, IPv4 multicast)", "RFC 2464 §7")      \
  X(eth_bad_source, "ifInErrors", "source MAC is a group (multicast or broadcast) address", "IEEE 802 §8.2")           \
  X(eth_unsupported_type, "ifInUnknownProtos", "EtherType is not IPv4 (0x0800), ARP (0x0806) or IPv6 (0x86dd)",        \
    "RFC 894")                                                                                                         \
  X(eth_vlan_not_supported, "ifInUnknownProtos",                                                                       \
    "802.1Q VLAN-tagged frame (EtherType 0x8100, 0x88a8 or 0x9100): ministack joins no VLAN", "IEEE 802.1Q §9.5")      \
  X(arp_truncated, "", "ARP packet shorter than its address lengths require", "RFC 826")                               \
  X(arp_unsupported_format, "", "ARP hardware/protocol type or address lengths are not Ethernet/IPv4", "RFC 826")      \
  X(arp_bad_sender, "", "ARP sender hardware address is a group address", "RFC 1122 §2.3.2.1")                         \
  X(arp_not_for_us, "", "ARP request for another host's address", "RFC 826")                                           \
  X(arp_not_request, "", "ARP reply or other opcode: merged into the cache, never answered", "RFC 826")                \
  X(ip_truncated, "ipInTruncatedPkts", "shorter than its IPv4 header or its total length", "RFC 1122 §3.2.1.1")        \
  X(ip_bad_version, "ipInHdrErrors", "IP version field is not 4", "RFC 1122 §3.2.1.1")                                 \
  X(ip_bad_ihl, "ipInHdrErrors", "IHL below 5 (a header shorter than 20 bytes)", "RFC 791 §3.1")                       \
  X(ip_bad_total_length, "ipInHdrErrors", "total length shorter than the header length", "RFC 1122 §3.2.1.1")          \
  X(ip_bad_checksum, "ipInHdrErrors", "IPv4 header checksum does not verify", "RFC 1122 §3.2.1.2")                     \
  X(ip_not_for_us, "ipInAddrErrors", "destination address is not ours", "RFC 1122 §3.3.4.2")                           \
  X(ip_bad_source, "ipInAddrErrors", "source is 0/8, 127/8, multicast, broadcast or our own address",                  \
    "RFC 1122 §3.2.1.3")                                                                                               \
  X(ip_link_broadcast, "ipInAddrErrors", "unicast IP destination received as a link-layer broadcast or multicast",     \
    "RFC 1122 §3.3.6")                                                                                                 \
  X(ip_bad_options, "ipInHdrErrors", "malformed IP options (bad length or pointer)", "RFC 1122 §3.2.1.8")              \
  X(ip_broadcast_echo_ignored, "", "echo request to a broadcast or multicast address", "RFC 1122 §3.2.2.6")            \
  X(reasm_overlap, "", "fragment overlaps one already held: the whole datagram is dropped", "RFC 5722 §4")             \
  X(reasm_conflict, "", "fragment contradicts the end set by the last fragment: the whole datagram is dropped",        \
    "RFC 791 §3.2")                                                                                                    \
  X(reasm_duplicate, "", "fragment repeats one already held exactly", "RFC 815 §3")                                    \
  X(reasm_oversize, "", "fragment would make a datagram longer than 65535 bytes", "RFC 791 §3.1")                      \
  X(reasm_bad_length, "", "fragment with no data, or non-final with data not a multiple of 8", "RFC 791 §3.2")         \
  X(reasm_timeout, "", "datagram not completed within the reassembly timeout", "RFC 1122 §3.3.2")                      \
  X(reasm_evicted, "", "datagram evicted to stay within the reassembly memory caps", "RFC 1122 §3.3.2")                \
  X(ip_unknown_protocol, "ipInUnknownProtos",                                                                          \
    "IP protocol ministack does not speak (protocol unreachable sent if allowed)", "RFC 1122 §3.2.2.1")                \
  X(ipv6_not_spoken, "ifInUnknownProtos",                                                                              \
    "IPv6 packet, and IPv6 is turned off (--no-ipv6) or the MTU is below its minimum of 1280", "RFC 8200 §5")          \
  X(ipv6_truncated, "Ip6InTruncatedPkts", "shorter than the 40-byte IPv6 header or its payload length", "RFC 8200 §3") \
  X(ipv6_bad_version, "Ip6InHdrErrors", "IPv6 version field is not 6", "RFC 8200 §3")                                  \
  X(ipv6_bad_length, "Ip6InHdrErrors", "payload length 0 with a hop-by-hop header: a jumbogram, not taken",            \
    "RFC 2675 §3")                                                                                                     \
  X(ipv6_not_for_us, "Ip6InAddrErrors", "destination is not one of our IPv6 addresses or groups", "RFC 4291 §2.8")     \
  X(ipv6_bad_source, "Ip6InAddrErrors",                                                                                \
    "source is multicast, loopback, IPv4-mapped or ours, or unspecified outside neighbor discovery", "RFC 4291 §2.5")  \
  X(ipv6_bad_extension, "Ip6InHdrErrors",                                                                              \
    "extension header or option past the end, or more than 7 bytes of padding or 8 options (as Linux)", "RFC 8200 §4") \
  X(ipv6_header_chain_incomplete, "Ip6InHdrErrors",                                                                    \
    "first fragment without the whole header chain (parameter problem code 3)", "RFC 7112 §5")                         \
  X(ipv6_unrecognized_option, "Ip6InHdrErrors",                                                                        \
    "option whose type says discard when unrecognized (parameter problem sent if it says so)", "RFC 8200 §4.2")        \
  X(ipv6_routing_header, "Ip6InHdrErrors", "routing header with segments left: we route nothing (parameter problem)",  \
    "RFC 8200 §4.4")                                                                                                   \
  X(ipv6_bad_fragment, "Ip6InHdrErrors",                                                                               \
    "fragment longer than 65535 bytes in all, or not the last with a length not a multiple of 8 (parameter problem)",  \
    "RFC 8200 §4.5")                                                                                                   \
  X(ipv6_unknown_next_header, "Ip6InUnknownProtos",                                                                    \
    "next header ministack does not speak, or hop-by-hop not first (parameter problem sent if allowed)",               \
    "RFC 8200 §4")                                                                                                     \
  X(ipv6_no_next_header, "", "next header 59: nothing follows the headers", "RFC 8200 §4.7")                           \
  X(icmp_truncated, "icmpInErrors", "ICMP message shorter than its 8-byte header", "RFC 792")                          \
  X(icmp_bad_checksum, "icmpInErrors", "ICMP checksum does not verify", "RFC 792")                                     \
  X(icmp_type_ignored, "", "ICMP type other than echo request: nothing to answer", "RFC 1122 §3.2.2")                  \
  X(icmp_error_rate_limited, "", "ICMP error not sent: over the rate limit", "RFC 1812 §4.3.2.8")                      \
  X(icmp6_truncated, "Icmp6InErrors", "ICMPv6 message shorter than its 8-byte header", "RFC 4443 §2.1")                \
  X(icmp6_bad_checksum, "Icmp6InErrors", "ICMPv6 checksum (with the pseudo-header) does not verify", "RFC 4443 §2.3")  \
  X(icmp6_type_ignored, "", "ICMPv6 error or informational message with nothing to answer", "RFC 4443 §2.4")           \
  X(nd_invalid, "Icmp6InErrors",                                                                                       \
    "neighbor discovery message failing validation (hop limit not 255, code, length, target, options)",                \
    "RFC 4861 §7.1")                                                                                                   \
  X(nd_not_for_us, "", "neighbor solicitation for another node's address", "RFC 4861 §7.2.3")                          \
  X(nd_no_link_layer, "", "neighbor discovery on TUN, a link without link-layer addresses", "RFC 4861 §1")             \
  X(nd_router_ignored, "",                                                                                             \
    "router solicitation, advertisement or redirect: ministack is a host with static addresses", "RFC 4861 §6.1.1")    \
  X(nd_duplicate_address, "", "another node claims one of our IPv6 addresses (duplicate address detection)",           \
    "RFC 4862 §5.4")                                                                                                   \
  X(mld_ignored, "", "MLD query or report: ministack joins no group it must report", "RFC 3810 §6")                    \
  X(udp_truncated, "udpInErrors", "UDP datagram shorter than its header or its length field", "RFC 768")               \
  X(udp_bad_checksum, "udpInErrors", "UDP checksum does not verify, or is zero over IPv6",                             \
    "RFC 1122 §4.1.3.4, RFC 8200 §8.1")                                                                                \
  X(udp_port_unreachable, "udpNoPorts", "UDP to a port nobody listens on (port unreachable sent if allowed)",          \
    "RFC 1122 §4.1.3.1")                                                                                               \
  X(tcp_truncated, "tcpInErrs", "TCP segment shorter than its 20-byte header", "RFC 9293 §3.1")                        \
  X(tcp_bad_data_offset, "tcpInErrs", "TCP data offset below 5 words or past the end of the segment", "RFC 9293 §3.1") \
  X(tcp_bad_checksum, "tcpInErrs", "TCP checksum does not verify", "RFC 9293 §3.1")                                    \
  X(tcp_bad_options, "tcpInErrs", "TCP option with a bad length (below 2, past the header, wrong for its kind)",       \
    "RFC 9293 §3.2")                                                                                                   \
  X(tcp_to_broadcast, "", "TCP segment to a broadcast or multicast address: never answered", "RFC 1122 §4.2.3.10")     \
  X(tcp_reset_ignored, "", "TCP RST for no connection: never answered", "RFC 9293 §3.10.7.1")                          \
  X(tcp_port_closed, "", "TCP segment for a port nobody listens on (RST sent)", "RFC 9293 §3.10.7.1")                  \
  X(tcp_listen_no_syn, "", "TCP segment to a listening port without SYN, ACK or RST, or with SYN and FIN",             \
    "RFC 9293 §3.10.7.2")                                                                                              \
  X(tcp_syn_queue_full, "", "SYN dropped: the half-open connections are at their cap", "RFC 4987 §3.3")                \
  X(tcp_too_many_connections, "",                                                                                      \
    "TCP connection refused at the cap on connections or buffers (SYN dropped, SYN cookie's ACK reset)",               \
    "RFC 9293 §3.10.7.2")                                                                                              \
  X(tcp_out_of_window, "", "TCP segment outside the receive window (ACK sent, rate-limited)", "RFC 9293 §3.10.7.4")    \
  X(tcp_reset_challenged, "", "TCP RST in the window but not at RCV.NXT (challenge ACK sent)", "RFC 5961 §3.2")        \
  X(tcp_syn_challenged, "", "TCP SYN on a synchronized connection (challenge ACK sent)", "RFC 5961 §4.2")              \
  X(tcp_no_ack, "", "TCP segment without ACK on a connection", "RFC 9293 §3.10.7.4")                                   \
  X(tcp_bad_ack, "", "TCP ACK for something we did not send, in SYN-RECEIVED or to a listening port (RST sent)",       \
    "RFC 9293 §3.10.7.2, §3.10.7.4")                                                                                   \
  X(tcp_ack_unsent, "", "TCP ACK for data not yet sent (ACK sent)", "RFC 5961 §5.2")                                   \
  X(tcp_ack_too_old, "", "TCP ACK older than the largest send window (ACK sent)", "RFC 5961 §5.2")                     \
  X(tcp_out_of_order, "", "TCP data past a hole, with the out-of-order runs at their cap (duplicate ACK sent)",        \
    "RFC 9293 §3.10.7.4")                                                                                              \
  X(arp_queue_full, "ipOutDiscards", "packet waiting for ARP resolution dropped: queue full", "RFC 1122 §2.3.2.2")     \
  X(arp_unresolved, "ipOutDiscards", "packet dropped: ARP resolution timed out", "RFC 1122 §2.3.2.2")

enum class DropReason {
#define MINISTACK_X(name, aggregate, meaning, rule) name,
  MINISTACK_DROP_REASONS(MINISTACK_X)
#undef MINISTACK_X
};

inline constexpr std::size_t kDropReasonCount = 0
#define MINISTACK_X(name, aggregate, meaning, rule) +1
    MINISTACK_DROP_REASONS(MINISTACK_X)
#undef MINISTACK_X
    ;

struct DropReasonInfo {
  std::string_view name;
  std::string_view aggregate;  // the MIB counter it counts toward, or empty
  std::string_view meaning;
  std::string_view rule;
};

inline constexpr DropReasonInfo kDropReasonTable[] = {
#define MINISTACK_X(name, aggregate, meaning, rule) {#name, aggregate, meaning, rule},
    MINISTACK_DROP_REASONS(MINISTACK_X)
#undef MINISTACK_X
};

constexpr const DropReasonInfo& describe(DropReason reason) {
  return kDropReasonTable[static_cast<std::size_t>(reason)];
}

}  // namespace ministack
