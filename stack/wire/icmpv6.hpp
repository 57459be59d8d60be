// ICMPv6 (RFC 4443) and the neighbor discovery messages a host answers (RFC 4861 §4.3, §4.4).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Identifier (echo) / Pointer (parameter problem) / R|S|O (NA) |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Data, the invoking packet (errors), or Target Address (NS, NA) and options
//  +-+-+-+-+-
//
// The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1) as well as the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kIcmpv6HeaderLength = 8;
inline constexpr std::size_t kNdMessageLength = 24;           // NS and NA before their options (RFC 4861 §4.3, §4.4)
inline constexpr std::size_t kNdLinkAddressOptionLength = 8;  // type, length 1, a 6-byte MAC (RFC 4861 §4.6.1)
inline constexpr std::uint8_t kNdHopLimit = 255;              // RFC 4861 §7.1: proof that it came from the link

namespace icmpv6_type {
inline constexpr std::uint8_t destination_unreachable = 1;
inline constexpr std::uint8_t packet_too_big = 2;
inline constexpr std::uint8_t time_exceeded = 3;
inline constexpr std::uint8_t parameter_problem = 4;
inline constexpr std::uint8_t echo_request = 128;
inline constexpr std::uint8_t echo_reply = 129;
inline constexpr std::uint8_t mld_query = 130;  // RFC 2710, RFC 3810
inline constexpr std::uint8_t mld_report = 131;
inline constexpr std::uint8_t mld_done = 132;
inline constexpr std::uint8_t router_solicitation = 133;
inline constexpr std::uint8_t router_advertisement = 134;
inline constexpr std::uint8_t neighbor_solicitation = 135;
inline constexpr std::uint8_t neighbor_advertisement = 136;
inline constexpr std::uint8_t redirect = 137;
inline constexpr std::uint8_t mld2_report = 143;
}  // namespace icmpv6_type

// Codes of the errors a host sends (RFC 4443 §3.1, §3.4).
namespace icmpv6_code {
inline constexpr std::uint8_t port_unreachable = 4;
inline constexpr std::uint8_t erroneous_header_field = 0;
inline constexpr std::uint8_t unrecognized_next_header = 1;
inline constexpr std::uint8_t unrecognized_option = 2;
inline constexpr std::uint8_t header_chain_incomplete = 3;  // RFC 7112 §5
}  // namespace icmpv6_code

namespace nd_option {
inline constexpr std::uint8_t source_link_address = 1;
inline constexpr std::uint8_t target_link_address = 2;
}  // namespace nd_option

// NA flags (RFC 4861 §4.4), in the first byte after the checksum.
namespace na_flag {
inline constexpr std::uint8_t router = 0x80;
inline constexpr std::uint8_t solicited = 0x40;
inline constexpr std::uint8_t override_ = 0x20;
}  // namespace na_flag

class Icmpv6View {
 public:
  // Checks the length (8 bytes at least) and the checksum over the pseudo-header of `source` and `destination` and
  // the whole message (RFC 4443 §2.3).
  static Parsed<Icmpv6View> parse(Bytes message, const Ipv6Address& source, const Ipv6Address& destination);

  std::uint8_t type() const { return message_[0]; }
  std::uint8_t code() const { return message_[1]; }
  std::uint16_t checksum() const { return load_be16(message_.data() + 2); }
  std::uint16_t identifier() const { return load_be16(message_.data() + 4); }  // echo
  std::uint16_t sequence() const { return load_be16(message_.data() + 6); }    // echo
  // RFC 4443 §2.1: types 0-127 are errors, 128-255 informational.
  bool is_error() const { return type() < 128; }
  Bytes bytes() const { return message_; }
  std::size_t size() const { return message_.size(); }

 private:
  explicit Icmpv6View(Bytes message) : message_(message) {}
  Bytes message_;
};

// A neighbor solicitation or advertisement that passed RFC 4861 §7.1's checks (the caller checks the hop limit).
struct NdMessage {
  Ipv6Address target;
  std::uint8_t flags = 0;                  // NA: na_flag bits
  std::optional<MacAddress> link_address;  // the source (NS) or target (NA) link-layer address option
};

// RFC 4861 §7.1.1 and §7.1.2 for a checksum-verified NS or NA (`message`, type already known): code 0, at least 24
// bytes, a target that is not multicast, every option's length above 0 and within the message. Returns the
// message, or nd_invalid.
Parsed<NdMessage> parse_nd(const Icmpv6View& message);

// Writes an NA for `target` at `out` (32 bytes: the message and a target link-layer address option for `mac`),
// checksummed for `source` -> `destination`; returns its length.
std::size_t write_neighbor_advertisement(MutableBytes out, const Ipv6Address& target, const MacAddress& mac,
                                         std::uint8_t flags, const Ipv6Address& source, const Ipv6Address& destination);
// Writes an NS for `target` at `out` (24 bytes, and 8 more with a source link-layer address option when `mac` is
// given: never for duplicate address detection, RFC 4862 §5.4.2); returns its length.
std::size_t write_neighbor_solicitation(MutableBytes out, const Ipv6Address& target, std::optional<MacAddress> mac,
                                        const Ipv6Address& source, const Ipv6Address& destination);

// Sets the checksum of the ICMPv6 message `message` for its pseudo-header.
void finish_icmpv6(MutableBytes message, const Ipv6Address& source, const Ipv6Address& destination);

}  // namespace ministack
