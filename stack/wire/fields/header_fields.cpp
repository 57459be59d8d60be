#include "stack/wire/fields/header_fields.hpp"

#include <array>

#include <fmt/format.h>

#include "stack/wire/address.hpp"

namespace ministack::fields {

namespace {

using S = Show;

constexpr Field kEthernet[] = {
    {"Destination Address", "destination", 0, 48, S::mac},
    {"Source Address", "source", 48, 48, S::mac},
    {"EtherType", "ethertype", 96, 16, S::ethertype},
};

// RFC 826 names the fields ar$hrd, ar$pro, ...; its prose names are used, as Wireshark does.
constexpr Field kArp[] = {
    {"Hardware Type", "", 0, 16, S::decimal},
    {"Protocol Type", "", 16, 16, S::ethertype},
    {"Hardware Length", "", 32, 8, S::decimal},
    {"Protocol Length", "", 40, 8, S::decimal},
    {"Operation", "operation", 48, 16, S::arp_operation},
    {"Sender Hardware Address", "sender_mac", 64, 48, S::mac},
    {"Sender Protocol Address", "sender_ip", 112, 32, S::ipv4},
    {"Target Hardware Address", "target_mac", 144, 48, S::mac},
    {"Target Protocol Address", "target_ip", 192, 32, S::ipv4},
};

constexpr Field kIpv4[] = {
    {"Version", "", 0, 4, S::decimal},
    {"IHL", "header_length", 4, 4, S::decimal},
    {"Type of Service", "tos", 8, 8, S::hex},
    {"Total Length", "total_length", 16, 16, S::decimal},
    {"Identification", "identification", 32, 16, S::hex},
    {"Flags", "flags_fragment_offset", 48, 3, S::ipv4_flags},
    {"Fragment Offset", "fragment_offset", 51, 13, S::decimal},
    {"Time to Live", "ttl", 64, 8, S::decimal},
    {"Protocol", "protocol", 72, 8, S::protocol},
    {"Header Checksum", "header_checksum", 80, 16, S::hex},
    {"Source Address", "source", 96, 32, S::ipv4},
    {"Destination Address", "destination", 128, 32, S::ipv4},
};

constexpr Field kIpv6[] = {
    {"Version", "", 0, 4, S::decimal},
    {"Traffic Class", "traffic_class", 4, 8, S::hex},
    {"Flow Label", "flow_label", 12, 20, S::hex},
    {"Payload Length", "payload_length", 32, 16, S::decimal},
    {"Next Header", "next_header", 48, 8, S::protocol},
    {"Hop Limit", "hop_limit", 56, 8, S::decimal},
    {"Source Address", "source", 64, 128, S::ipv6},
    {"Destination Address", "destination", 192, 128, S::ipv6},
};

constexpr Field kIpv6Extension[] = {
    {"Next Header", "", 0, 8, S::protocol},
    {"Hdr Ext Len", "", 8, 8, S::decimal},
};

constexpr Field kIpv6Fragment[] = {
    {"Next Header", "next_header", 0, 8, S::protocol},
    {"Reserved", "", 8, 8, S::decimal},
    {"Fragment Offset", "offset", 16, 13, S::decimal},
    {"Res", "", 29, 2, S::decimal},
    {"M", "more_fragments", 31, 1, S::bit},
    {"Identification", "identification", 32, 32, S::hex},
};

constexpr Field kIcmp[] = {
    {"Type", "type", 0, 8, S::icmp_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"Identifier", "identifier", 32, 16, S::decimal},
    {"Sequence Number", "sequence", 48, 16, S::decimal},
};

constexpr Field kIcmpv6[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"Identifier", "identifier", 32, 16, S::decimal},
    {"Sequence Number", "sequence", 48, 16, S::decimal},
};

constexpr Field kIcmpError[] = {
    {"Type", "type", 0, 8, S::icmp_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"Unused", "", 32, 32, S::hex},
};

// RFC 4443 §3.1-3.4: the second word is unused, the MTU or the pointer.
constexpr Field kIcmpv6Unused[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"Unused", "", 32, 32, S::hex},
};
constexpr Field kIcmpv6Mtu[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"MTU", "", 32, 32, S::decimal},
};
constexpr Field kIcmpv6Pointer[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"Pointer", "", 32, 32, S::decimal},
};

constexpr Field kNeighborSolicitation[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},   {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex}, {"Reserved", "", 32, 32, S::hex},
    {"Target Address", "", 64, 128, S::ipv6},
};
constexpr Field kNeighborAdvertisement[] = {
    {"Type", "type", 0, 8, S::icmpv6_type},
    {"Code", "code", 8, 8, S::decimal},
    {"Checksum", "checksum", 16, 16, S::hex},
    {"R", "", 32, 1, S::bit},
    {"S", "", 33, 1, S::bit},
    {"O", "", 34, 1, S::bit},
    {"Reserved", "", 35, 29, S::hex},
    {"Target Address", "", 64, 128, S::ipv6},
};

constexpr Field kUdp[] = {
    {"Source Port", "source_port", 0, 16, S::decimal},
    {"Destination Port", "destination_port", 16, 16, S::decimal},
    {"Length", "length", 32, 16, S::decimal},
    {"Checksum", "checksum", 48, 16, S::hex},
};

// RFC 9293 §3.1 draws the control bits one box each; flags() is their byte.
constexpr Field kTcp[] = {
    {"Source Port", "source_port", 0, 16, S::decimal},
    {"Destination Port", "destination_port", 16, 16, S::decimal},
    {"Sequence Number", "sequence_number", 32, 32, S::decimal},
    {"Acknowledgment Number", "acknowledgment_number", 64, 32, S::decimal},
    {"Data Offset", "header_length", 96, 4, S::decimal},
    {"Rsrvd", "", 100, 4, S::decimal},
    {"CWR", "flags", 104, 1, S::bit},
    {"ECE", "flags", 105, 1, S::bit},
    {"URG", "flags", 106, 1, S::bit},
    {"ACK", "flags", 107, 1, S::bit},
    {"PSH", "flags", 108, 1, S::bit},
    {"RST", "flags", 109, 1, S::bit},
    {"SYN", "flags", 110, 1, S::bit},
    {"FIN", "flags", 111, 1, S::bit},
    {"Window", "window", 112, 16, S::decimal},
    {"Checksum", "checksum", 128, 16, S::hex},
    {"Urgent Pointer", "urgent_pointer", 144, 16, S::decimal},
};

constexpr HeaderTable kEthernetTable{"Ethernet II", "RFC 894", 112, kEthernet};
constexpr HeaderTable kArpTable{"ARP", "RFC 826", 224, kArp};
constexpr HeaderTable kIpv4Table{"IPv4", "RFC 791 §3.1", 160, kIpv4};
constexpr HeaderTable kIpv6Table{"IPv6", "RFC 8200 §3", 320, kIpv6};
constexpr HeaderTable kIpv6ExtensionTable{"IPv6 extension header", "RFC 8200 §4", 16, kIpv6Extension};
constexpr HeaderTable kIpv6FragmentTable{"IPv6 Fragment header", "RFC 8200 §4.5", 64, kIpv6Fragment};
constexpr HeaderTable kIcmpTable{"ICMP", "RFC 792", 64, kIcmp};
constexpr HeaderTable kIcmpErrorTable{"ICMP", "RFC 792", 64, kIcmpError, "error"};
constexpr HeaderTable kIcmpv6Table{"ICMPv6", "RFC 4443 §2.1, §4", 64, kIcmpv6};
constexpr HeaderTable kIcmpv6UnusedTable{"ICMPv6", "RFC 4443 §3.1, §3.3", 64, kIcmpv6Unused, "error"};
constexpr HeaderTable kIcmpv6MtuTable{"ICMPv6", "RFC 4443 §3.2", 64, kIcmpv6Mtu, "packet too big"};
constexpr HeaderTable kIcmpv6PointerTable{"ICMPv6", "RFC 4443 §3.4", 64, kIcmpv6Pointer, "parameter problem"};
constexpr HeaderTable kNsTable{"ICMPv6", "RFC 4861 §4.3", 192, kNeighborSolicitation, "neighbor solicitation"};
constexpr HeaderTable kNaTable{"ICMPv6", "RFC 4861 §4.4", 192, kNeighborAdvertisement, "neighbor advertisement"};
constexpr HeaderTable kUdpTable{"UDP", "RFC 768", 64, kUdp};
constexpr HeaderTable kTcpTable{"TCP", "RFC 9293 §3.1", 160, kTcp};

std::string_view ethertype_name(std::uint64_t v) {
  switch (v) {
    case 0x0800: return "IPv4";
    case 0x0806: return "ARP";
    case 0x86dd: return "IPv6";
    case 0x8100: return "802.1Q VLAN";
    default: return "";
  }
}

// IANA protocol numbers, IPv4 Protocol and IPv6 Next Header alike.
std::string_view protocol_name(std::uint64_t v) {
  switch (v) {
    case 0: return "Hop-by-Hop Options";
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 43: return "Routing";
    case 44: return "Fragment";
    case 58: return "ICMPv6";
    case 59: return "No Next Header";
    case 60: return "Destination Options";
    default: return "";
  }
}

std::string_view icmp_type_name(std::uint64_t v) {
  switch (v) {
    case 0: return "echo reply";
    case 3: return "destination unreachable";
    case 8: return "echo request";
    case 11: return "time exceeded";
    case 13: return "timestamp";
    case 14: return "timestamp reply";
    default: return "";
  }
}

std::string_view icmpv6_type_name(std::uint64_t v) {
  switch (v) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 143: return "MLDv2 report";
    default: return "";
  }
}

std::string named(std::string value, std::string_view name) {
  return name.empty() ? value : fmt::format("{} ({})", value, name);
}

// Bytes [first, first + count) of `header`, which the caller has checked are there.
template <std::size_t N>
std::array<std::uint8_t, N> copy_bytes(Bytes header, std::size_t first) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = header[first + i];
  return out;
}

}  // namespace

const HeaderTable& ethernet_table() { return kEthernetTable; }
const HeaderTable& arp_table() { return kArpTable; }
const HeaderTable& ipv4_table() { return kIpv4Table; }
const HeaderTable& ipv6_table() { return kIpv6Table; }
const HeaderTable& ipv6_extension_table() { return kIpv6ExtensionTable; }
const HeaderTable& ipv6_fragment_table() { return kIpv6FragmentTable; }
const HeaderTable& icmp_table() { return kIcmpTable; }
const HeaderTable& icmp_error_table() { return kIcmpErrorTable; }
const HeaderTable& icmpv6_table() { return kIcmpv6Table; }
const HeaderTable& icmpv6_error_table(std::uint8_t type) {
  return type == 2 ? kIcmpv6MtuTable : type == 4 ? kIcmpv6PointerTable : kIcmpv6UnusedTable;
}
const HeaderTable& icmpv6_ns_table() { return kNsTable; }
const HeaderTable& icmpv6_na_table() { return kNaTable; }
const HeaderTable& udp_table() { return kUdpTable; }
const HeaderTable& tcp_table() { return kTcpTable; }

const Field* find_field(const HeaderTable& table, std::string_view name) {
  for (const Field& field : table.fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::optional<std::uint64_t> read_bits(Bytes header, unsigned bit_offset, unsigned bit_width) {
  if (bit_width == 0 || bit_width > 64) return std::nullopt;
  const std::size_t end_bit = std::size_t{bit_offset} + bit_width;
  if ((end_bit + 7) / 8 > header.size()) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t bit = bit_offset; bit < end_bit; ++bit) {
    const unsigned shift = 7 - static_cast<unsigned>(bit % 8);
    value = (value << 1) | ((header[bit / 8] >> shift) & 1u);
  }
  return value;
}

std::string show_value(const Field& field, Bytes header) {
  const std::size_t first = field.bit_offset / 8;
  const std::size_t length = (std::size_t{field.bit_width} + 7) / 8;
  if (first + length > header.size()) return "(missing)";
  // Addresses are byte-aligned and wider than read_bits() needs to go.
  switch (field.show) {
    case S::mac: return MacAddress{copy_bytes<6>(header, first)}.to_string();
    case S::ipv6: return Ipv6Address{copy_bytes<16>(header, first)}.to_string();
    default: break;
  }
  const std::optional<std::uint64_t> v = read_bits(header, field.bit_offset, field.bit_width);
  if (!v) return "(missing)";
  const std::size_t digits = (field.bit_width + 3) / 4;
  switch (field.show) {
    case S::decimal:
    case S::bit: return fmt::format("{}", *v);
    case S::hex: return fmt::format("0x{:0{}x}", *v, digits);
    case S::ipv4: return Ipv4Address{static_cast<std::uint32_t>(*v)}.to_string();
    case S::ethertype: return named(fmt::format("0x{:04x}", *v), ethertype_name(*v));
    case S::protocol: return named(fmt::format("{}", *v), protocol_name(*v));
    case S::icmp_type: return named(fmt::format("{}", *v), icmp_type_name(*v));
    case S::icmpv6_type: return named(fmt::format("{}", *v), icmpv6_type_name(*v));
    case S::arp_operation: return named(fmt::format("{}", *v), *v == 1 ? "request" : *v == 2 ? "reply" : "");
    case S::ipv4_flags: {
      // Bit 0 reserved, bit 1 DF, bit 2 MF (RFC 791 §3.1).
      std::string names;
      if ((*v & 0x4u) != 0) names += "reserved ";
      if ((*v & 0x2u) != 0) names += "DF ";
      if ((*v & 0x1u) != 0) names += "MF ";
      if (!names.empty()) names.pop_back();
      return named(fmt::format("{:03b}", *v), names.empty() ? "none" : names);
    }
    case S::mac:
    case S::ipv6: break;
  }
  return fmt::format("{}", *v);
}

}  // namespace ministack::fields
