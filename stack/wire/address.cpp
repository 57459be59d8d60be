#include "stack/wire/address.hpp"

#include <charconv>

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

}  // namespace ministack
