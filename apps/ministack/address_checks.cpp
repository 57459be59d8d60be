#include "address_checks.hpp"

#include <array>

#include <fmt/format.h>

namespace ministack {

namespace {

bool in_block(Ipv4Address a, std::uint32_t block, unsigned length) {
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - length);
  return (a.value & mask) == block;
}

}  // namespace

bool in_subnet(const Ipv4Interface& iface, Ipv4Address a) {
  return (a.value & iface.netmask()) == (iface.address.value & iface.netmask());
}

std::string check_host_pair4(const Ipv4Interface& iface) {
  const std::string text = iface.to_string();
  const Ipv4Address a = iface.address;
  if (iface.prefix_length == 0) {
    return fmt::format("'{}' has prefix /0, which puts every address on the link: give a prefix from /1 to /30, "
                       "such as 192.168.3.12/24",
                       text);
  }
  if (iface.prefix_length > 30) {
    return fmt::format("'{}' leaves no room for the host side: a /31 or /32 holds no second address beside the "
                       "subnet's broadcast address (RFC 3021 point-to-point links are not supported); give /30 or "
                       "shorter, such as 192.168.3.12/24",
                       text);
  }
  if (in_block(a, 0, 8)) {
    return fmt::format("'{}' is in 0.0.0.0/8, which means 'this host' and is no interface's address (RFC 1122 "
                       "§3.2.1.3): give one such as 192.168.3.12/24",
                       text);
  }
  if (in_block(a, 0x7f000000, 8)) {
    return fmt::format("'{}' is a loopback address (127.0.0.0/8), which never leaves a host: give one such as "
                       "192.168.3.12/24",
                       text);
  }
  if (in_block(a, 0xe0000000, 4)) {
    return fmt::format("'{}' is a multicast address (224.0.0.0/4), which no interface may have as its own: give a "
                       "unicast address such as 192.168.3.12/24",
                       text);
  }
  if (in_block(a, 0xf0000000, 4)) {
    return fmt::format("'{}' is in 240.0.0.0/4, reserved and never an interface's address (RFC 1112 §4): give one "
                       "such as 192.168.3.12/24",
                       text);
  }
  if ((a.value & ~iface.netmask()) == 0) {
    return fmt::format("'{}' is the network address of its subnet (all host bits zero): give a host address in it, "
                       "such as {}",
                       text, Ipv4Interface{Ipv4Address{a.value | 12}, iface.prefix_length}.to_string());
  }
  if (a == iface.subnet_broadcast()) {
    return fmt::format("'{}' is the broadcast address of its subnet (all host bits one): give a host address in it, "
                       "such as {}",
                       text,
                       Ipv4Interface{Ipv4Address{(a.value & iface.netmask()) | 12}, iface.prefix_length}.to_string());
  }
  return "";
}

Ipv4Interface derive_host_ip(const Ipv4Interface& ours) {
  const std::uint32_t network = ours.address.value & ours.netmask();
  for (const std::uint32_t host : {11U, 1U, 2U}) {
    const Ipv4Address candidate{network | host};
    if (candidate != ours.address && in_subnet(ours, candidate) && candidate != ours.subnet_broadcast() &&
        (candidate.value & ~ours.netmask()) != 0) {
      return {candidate, ours.prefix_length};
    }
  }
  return {Ipv4Address{network | 1U}, ours.prefix_length};  // unreachable for a prefix of /30 or shorter
}

std::optional<Ipv6Interface> derive_host_ip6(const Ipv6Interface& ours) {
  if (ours.prefix_length > 120) return std::nullopt;  // the last byte would not be all interface identifier
  Ipv6Interface prefix = ours;
  for (std::size_t bit = ours.prefix_length; bit < 128; ++bit) {
    prefix.address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  }
  for (const std::uint8_t host : std::array<std::uint8_t, 3>{0x11, 0x01, 0x02}) {
    Ipv6Interface candidate = prefix;
    candidate.address.bytes[15] = host;
    if (candidate.address != ours.address && ours.contains(candidate.address)) return candidate;
  }
  return std::nullopt;
}

}  // namespace ministack
