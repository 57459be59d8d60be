// Every header the stack parses, as a table of fields the way its RFC draws it: rows of 32 bits, each field a name,
// a bit offset, a bit width and how its value is shown. The HTML drawing (`ministack explain --html`) is driven by
// these tables alone, so that a new protocol adds a table, not drawing code. No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stack/wire/bytes.hpp"

namespace ministack::fields {

// How a field's value is written: as the RFC and tcpdump write it.
enum class Show {
  decimal,    // 64
  hex,        // 0x1c46: checksums, and what RFCs give in hex
  bit,        // one flag bit, 0 or 1
  mac,        // 02:00:00:00:00:01
  ipv4,       // 192.168.3.12
  ipv6,       // fd00:3::12
  ethertype,  // 0x0800 (IPv4)
  protocol,   // 1 (ICMP): an IPv4 Protocol or IPv6 Next Header
  icmp_type,  // 8 (echo request)
  icmpv6_type,
  arp_operation,  // 1 (request)
  ipv4_flags,     // DF, MF by name
};

// One field: `name` as the RFC's diagram spells it, `accessor` the view's member function that reads it (or
// "" where the view has none), its place in bits from the header's first bit (bit 0 is the most significant bit of
// byte 0, as the RFCs number them), and how to show it.
struct Field {
  std::string_view name;
  std::string_view accessor;
  unsigned bit_offset;
  unsigned bit_width;
  Show show;
};

// One header: its protocol's name, where its diagram is defined, its fixed length in bits (options and data
// excluded), its fields in order, which cover [0, bits) without gaps or overlaps, and, where a protocol draws
// several layouts (ICMP's echo and errors), which one this is.
struct HeaderTable {
  std::string_view name;
  std::string_view rfc;
  unsigned bits;
  std::span<const Field> fields;
  std::string_view variant = {};
};

const HeaderTable& ethernet_table();        // Ethernet II (RFC 894): 112 bits
const HeaderTable& arp_table();             // ARP for Ethernet/IPv4 (RFC 826): 224 bits
const HeaderTable& ipv4_table();            // IPv4 without options (RFC 791 §3.1): 160 bits
const HeaderTable& ipv6_table();            // IPv6 (RFC 8200 §3): 320 bits
const HeaderTable& ipv6_extension_table();  // the first 16 bits every extension header shares (RFC 8200 §4)
const HeaderTable& ipv6_fragment_table();   // Fragment header (RFC 8200 §4.5): 64 bits
const HeaderTable& icmp_table();            // ICMP echo (RFC 792): 64 bits
const HeaderTable& icmpv6_table();          // ICMPv6 (RFC 4443 §2.1) with the echo words (§4.1): 64 bits
// ICMP destination unreachable and time exceeded (RFC 792): 64 bits, then the packet that caused them.
const HeaderTable& icmp_error_table();
// An ICMPv6 error of `type` (RFC 4443 §3): its second word is Unused (1, 3), the MTU (2) or the Pointer (4); 64 bits.
const HeaderTable& icmpv6_error_table(std::uint8_t type);
const HeaderTable& icmpv6_ns_table();  // neighbor solicitation (RFC 4861 §4.3): 192 bits
const HeaderTable& icmpv6_na_table();  // neighbor advertisement (RFC 4861 §4.4): 192 bits
const HeaderTable& udp_table();        // UDP (RFC 768): 64 bits
const HeaderTable& tcp_table();        // TCP without options (RFC 9293 §3.1): 160 bits

// The field called `name` in `table`, or nullptr.
const Field* find_field(const HeaderTable& table, std::string_view name);

// The unsigned value of bits [bit_offset, bit_offset + bit_width) of `header`, most significant first; nullopt when
// the bits lie past the end of `header` or are wider than 64.
std::optional<std::uint64_t> read_bits(Bytes header, unsigned bit_offset, unsigned bit_width);

// The field's value in `header`, written as its Show says; "(missing)" when `header` ends before it.
std::string show_value(const Field& field, Bytes header);

}  // namespace ministack::fields
