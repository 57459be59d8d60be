#include "objections.hpp"

namespace ministack {

std::optional<Objection> objection_of(DropReason reason) {
  using R = DropReason;
  switch (reason) {
    case R::eth_not_for_us:
    case R::eth_multicast_not_joined: return Objection{"Ethernet II", "Destination Address"};
    case R::eth_bad_source: return Objection{"Ethernet II", "Source Address"};
    case R::eth_unsupported_type:
    case R::eth_vlan_not_supported: return Objection{"Ethernet II", "EtherType"};
    case R::arp_unsupported_format: return Objection{"ARP", "Hardware Type"};
    case R::arp_bad_sender: return Objection{"ARP", "Sender Hardware Address"};
    case R::arp_not_for_us: return Objection{"ARP", "Target Protocol Address"};
    case R::arp_not_request: return Objection{"ARP", "Operation"};
    case R::ip_bad_version: return Objection{"IPv4", "Version"};
    case R::ip_bad_ihl: return Objection{"IPv4", "IHL"};
    case R::ip_truncated:
    case R::ip_bad_total_length: return Objection{"IPv4", "Total Length"};
    case R::ip_bad_checksum: return Objection{"IPv4", "Header Checksum"};
    case R::ip_not_for_us:
    case R::ip_link_broadcast:
    case R::ip_broadcast_echo_ignored: return Objection{"IPv4", "Destination Address"};
    case R::ip_bad_source: return Objection{"IPv4", "Source Address"};
    case R::ip_bad_options: return Objection{"IPv4 options", ""};
    case R::ip_unknown_protocol: return Objection{"IPv4", "Protocol"};
    case R::ipv6_bad_version: return Objection{"IPv6", "Version"};
    case R::ipv6_truncated:
    case R::ipv6_bad_length: return Objection{"IPv6", "Payload Length"};
    case R::ipv6_not_for_us: return Objection{"IPv6", "Destination Address"};
    case R::ipv6_bad_source: return Objection{"IPv6", "Source Address"};
    case R::ipv6_unknown_next_header: return Objection{"IPv6", "Next Header"};
    case R::icmp_bad_checksum: return Objection{"ICMP", "Checksum"};
    case R::icmp_type_ignored: return Objection{"ICMP", "Type"};
    case R::icmp6_bad_checksum: return Objection{"ICMPv6", "Checksum"};
    case R::icmp6_type_ignored: return Objection{"ICMPv6", "Type"};
    case R::udp_truncated: return Objection{"UDP", "Length"};
    case R::udp_bad_checksum: return Objection{"UDP", "Checksum"};
    case R::udp_port_unreachable: return Objection{"UDP", "Destination Port"};
    case R::tcp_bad_data_offset: return Objection{"TCP", "Data Offset"};
    case R::tcp_bad_checksum: return Objection{"TCP", "Checksum"};
    case R::tcp_bad_options: return Objection{"TCP options", ""};
    case R::tcp_port_closed: return Objection{"TCP", "Destination Port"};
    case R::tcp_to_broadcast: return Objection{"IPv4", "Destination Address"};
    default: return std::nullopt;
  }
}

}  // namespace ministack
