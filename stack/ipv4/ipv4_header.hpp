// Writing IPv4 headers (RFC 791 §3.1): the only code that stores into an IPv4 header. Reading is Ipv4View's
// (stack/wire/ipv4.hpp); the field offsets and flag masks are named there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ipv4.hpp"

namespace ministack {

struct Ipv4Fields {
  std::uint8_t tos = 0;
  std::uint16_t total_length = kIpv4MinHeaderLength;  // bytes, header included
  std::uint16_t identification = 0;
  bool dont_fragment = false;
  std::uint8_t ttl = kDefaultTtl;
  std::uint8_t protocol = 0;
  Ipv4Address source;
  Ipv4Address destination;
};

// Writes a header at the start of `out`: 20 bytes, then `options` (a multiple of 4 bytes, at most 40; IHL set to
// match), checksum included. Returns the header length in bytes. Asserts that `out` holds it.
std::size_t write_ipv4_header(MutableBytes out, const Ipv4Fields& fields, Bytes options = {});

// A header already in a buffer, edited field by field by name (fragmentation, reassembly completion). The caller
// has checked that the buffer holds the whole header (an Ipv4View of it parsed, or it was just written).
class Ipv4Header {
 public:
  explicit Ipv4Header(std::uint8_t* header) : p_(header) {}

  std::size_t header_length() const { return std::size_t{p_[ipv4_field::version_ihl] & 0x0fu} * 4; }
  std::uint16_t flags_fragment_offset() const { return load_be16(p_ + ipv4_field::flags_fragment_offset); }
  void set_total_length(std::uint16_t bytes) { store_be16(p_ + ipv4_field::total_length, bytes); }
  // `flags` is a combination of ipv4_flags; `offset` is in bytes, a multiple of 8 (RFC 791 §3.1).
  void set_flags_fragment_offset(std::uint16_t flags, std::size_t offset) {
    store_be16(p_ + ipv4_field::flags_fragment_offset, static_cast<std::uint16_t>(flags | (offset / 8)));
  }
  // Computes the header checksum over header_length() bytes and stores it (RFC 791 §3.1, RFC 1071).
  void update_checksum();

 private:
  std::uint8_t* p_;
};

}  // namespace ministack
