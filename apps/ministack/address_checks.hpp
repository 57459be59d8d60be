// The addresses of the two ends of a TUN/TAP link, checked before anything is configured: ministack's own (--ip,
// --ip6) and the host side's (--host-ip, --host-ip6), which is derived from ministack's when not given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "stack/wire/address.hpp"

namespace ministack {

// What makes `iface` unfit as an interface's own IPv4 address with a second host beside it in its subnet, and what
// to give instead; "" when it will do. Refused: a prefix of /0, /31 or /32 (no room for the host side beside the
// subnet's broadcast address, which the stack treats as broadcast), 0.0.0.0/8, 127.0.0.0/8, multicast (224/4),
// reserved (240/4), and the subnet's network and broadcast addresses.
std::string check_host_pair4(const Ipv4Interface& iface);

// The host side's address when --host-ip is not given: --ip's subnet with host number 11, else 1, else 2 (the first
// of those that is not --ip itself), with --ip's prefix length. --ip must have passed check_host_pair4().
Ipv4Interface derive_host_ip(const Ipv4Interface& ours);

// The host side's IPv6 address when --host-ip6 is not given: --ip6's prefix with interface identifier ::11, else ::1,
// else ::2 (the first that is not --ip6 itself and lies in the prefix), with --ip6's prefix length; nullopt when
// none does (a /127 or /128).
std::optional<Ipv6Interface> derive_host_ip6(const Ipv6Interface& ours);

// Whether `a` lies in the subnet of `iface` (its address under its prefix length).
bool in_subnet(const Ipv4Interface& iface, Ipv4Address a);

}  // namespace ministack
