// Link (MAC), IPv4 and IPv6 addresses: value types with parsing and printing for the command line and logs.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "stack/wire/bytes.hpp"

namespace ministack {

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  // "02:00:00:00:00:01" (also accepts '-' separators); nullopt if malformed.
  static std::optional<MacAddress> parse(std::string_view text);

  // The I/G bit: set on multicast and broadcast addresses (IEEE 802 §8.2).
  constexpr bool is_group() const { return (bytes[0] & 0x01) != 0; }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  std::string to_string() const;
  // A 4-byte and a 2-byte compare: the defaulted operator called memcmp on every frame.
  friend constexpr bool operator==(const MacAddress& a, const MacAddress& b) {
    if (std::is_constant_evaluated()) return a.bytes == b.bytes;
    return ((load_be32(a.bytes.data()) ^ load_be32(b.bytes.data())) |
            (load_be16(a.bytes.data() + 4) ^ load_be16(b.bytes.data() + 4))) == 0;
  }
};

// Read or write a MAC at p; the caller has checked that 6 bytes are there.
inline MacAddress load_mac(const std::uint8_t* p) {
  MacAddress mac;
  std::copy_n(p, mac.bytes.size(), mac.bytes.begin());
  return mac;
}
inline void store_mac(std::uint8_t* p, const MacAddress& mac) { std::copy(mac.bytes.begin(), mac.bytes.end(), p); }

struct Ipv4Address {
  std::uint32_t value = 0;  // host byte order

  static std::optional<Ipv4Address> parse(std::string_view text);  // dotted quad, exactly four parts
  std::string to_string() const;

  friend constexpr bool operator==(Ipv4Address, Ipv4Address) = default;
};

// An address with its prefix length, as given on the command line: "192.168.3.12/24".
struct Ipv4Interface {
  Ipv4Address address;
  std::uint8_t prefix_length = 32;

  static std::optional<Ipv4Interface> parse(std::string_view text);  // "/N" optional (default /32)
  std::uint32_t netmask() const { return prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length); }
  Ipv4Address subnet_broadcast() const { return {address.value | ~netmask()}; }
  std::string to_string() const;
};

// An IPv6 address (RFC 4291), 16 bytes in network order.
struct Ipv6Address {
  std::array<std::uint8_t, 16> bytes{};

  // Text as RFC 4291 §2.2 writes it ("fd00:3::12", "::ffff:1.2.3.4"); nullopt if malformed.
  static std::optional<Ipv6Address> parse(std::string_view text);
  // RFC 5952 form: lower case, the longest run of zero groups as "::".
  std::string to_string() const;

  // The link-local address of an interface with this MAC: fe80::/64 and the modified EUI-64 interface identifier
  // (RFC 4291 §2.5.1, Appendix A: ff:fe in the middle, the universal/local bit inverted).
  static Ipv6Address link_local_from_mac(const MacAddress& mac);
  // The solicited-node multicast address of this one (RFC 4291 §2.7.1): ff02::1:ff00:0/104 and its low 24 bits.
  Ipv6Address solicited_node() const;
  // The Ethernet group address an IPv6 multicast address maps to (RFC 2464 §7): 33:33 and its low 32 bits.
  MacAddress multicast_mac() const;

  constexpr bool is_unspecified() const { return *this == Ipv6Address{}; }  // ::
  constexpr bool is_loopback() const {                                      // ::1
    Ipv6Address one;
    one.bytes[15] = 1;
    return *this == one;
  }
  constexpr bool is_multicast() const { return bytes[0] == 0xff; }                                // ff00::/8
  constexpr bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }  // fe80::/10
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2): an IPv4 address written as IPv6, never a source on the wire (RFC 6890).
  constexpr bool is_v4_mapped() const {
    for (std::size_t i = 0; i < 10; ++i)
      if (bytes[i] != 0) return false;
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }

  friend constexpr bool operator==(const Ipv6Address&, const Ipv6Address&) = default;
};

// Well-known IPv6 multicast addresses (RFC 4291 §2.7.1).
inline constexpr Ipv6Address kIpv6AllNodes{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};    // ff02::1
inline constexpr Ipv6Address kIpv6AllRouters{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};  // ff02::2

// An IPv6 address with its prefix length: "fd00:3::12/64".
struct Ipv6Interface {
  Ipv6Address address;
  std::uint8_t prefix_length = 128;

  static std::optional<Ipv6Interface> parse(std::string_view text);  // "/N" optional (default /128)
  // Whether `a` is in this interface's prefix.
  bool contains(const Ipv6Address& a) const;
  std::string to_string() const;
};

}  // namespace ministack

// Addresses format as people write them: fmt::format("{} is-at {}", ip, mac).
template <>
struct fmt::formatter<ministack::Ipv4Address> : fmt::formatter<std::string_view> {
  auto format(const ministack::Ipv4Address& a, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}.{}.{}.{}", a.value >> 24, (a.value >> 16) & 0xff, (a.value >> 8) & 0xff,
                          a.value & 0xff);
  }
};

template <>
struct fmt::formatter<ministack::MacAddress> : fmt::formatter<std::string_view> {
  auto format(const ministack::MacAddress& m, format_context& ctx) const {
    const auto& b = m.bytes;
    return fmt::format_to(ctx.out(), "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
  }
};

template <>
struct fmt::formatter<ministack::Ipv6Address> : fmt::formatter<std::string_view> {
  auto format(const ministack::Ipv6Address& a, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}", a.to_string());
  }
};
