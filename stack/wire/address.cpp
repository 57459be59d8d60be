#include "stack/wire/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace ministack {

namespace {

// Parses an unsigned number that fills all of `text`, in `base`, no larger than `max`.
std::optional<unsigned> parse_number(std::string_view text, int base, unsigned max) {
  unsigned value = 0;
  if (text.empty() || text.size() > 3) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  MacAddress mac;
  for (std::size_t i = 0; i < mac.bytes.size(); ++i) {
    if (text.size() < 2) return std::nullopt;
    auto byte = parse_number(text.substr(0, 2), 16, 0xff);
    if (!byte) return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(*byte);
    text.remove_prefix(2);
    if (i + 1 < mac.bytes.size()) {
      if (text.empty() || (text[0] != ':' && text[0] != '-')) return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return std::nullopt;
  return mac;
}

std::string MacAddress::to_string() const { return fmt::format("{}", *this); }

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    const auto dot = text.find('.');
    const bool last = part == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    const auto number = parse_number(text.substr(0, dot), 10, 255);
    if (!number) return std::nullopt;
    value = (value << 8) | *number;
    text.remove_prefix(last ? text.size() : dot + 1);
  }
  return Ipv4Address{value};
}

std::string Ipv4Address::to_string() const { return fmt::format("{}", *this); }

std::optional<Ipv4Interface> Ipv4Interface::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = Ipv4Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  if (slash == std::string_view::npos) return Ipv4Interface{*address, 32};
  const auto prefix = parse_number(text.substr(slash + 1), 10, 32);
  if (!prefix) return std::nullopt;
  return Ipv4Interface{*address, static_cast<std::uint8_t>(*prefix)};
}

std::string Ipv4Interface::to_string() const { return fmt::format("{}/{}", address.to_string(), prefix_length); }

// inet_pton and inet_ntop are libc's, pure functions with no I/O: they parse and write RFC 4291 §2.2 text, and
// glibc's inet_ntop writes RFC 5952's form.
std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  Ipv6Address a;
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::string Ipv6Address::to_string() const {
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, bytes.data(), text, sizeof text)) return "?";
  return text;
}

Ipv6Address Ipv6Address::link_local_from_mac(const MacAddress& mac) {
  const auto& m = mac.bytes;
  return Ipv6Address{
      {0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]}};
}

Ipv6Address Ipv6Address::solicited_node() const {
  return Ipv6Address{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, bytes[13], bytes[14], bytes[15]}};
}

MacAddress Ipv6Address::multicast_mac() const {
  return MacAddress{{0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]}};
}

std::optional<Ipv6Interface> Ipv6Interface::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = Ipv6Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  if (slash == std::string_view::npos) return Ipv6Interface{*address, 128};
  const auto prefix = parse_number(text.substr(slash + 1), 10, 128);
  if (!prefix) return std::nullopt;
  return Ipv6Interface{*address, static_cast<std::uint8_t>(*prefix)};
}

bool Ipv6Interface::contains(const Ipv6Address& a) const {
  std::size_t bits = prefix_length;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= std::min<std::size_t>(bits, 8)) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((a.bytes[i] ^ address.bytes[i]) & mask) return false;
  }
  return true;
}

std::string Ipv6Interface::to_string() const { return fmt::format("{}/{}", address.to_string(), prefix_length); }

}  // namespace ministack
