// Host-side set-up of a TUN/TAP device through rtnetlink (libmnl): link up, and the host's addresses on it, so that
// `ping` and `ping -6` work the moment ministack starts (a link left down fails silently).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include "stack/wire/address.hpp"

namespace ministack {

class HostConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What configure_host_side() found and did.
struct HostSideReport {
  bool changed = false;   // false: the host side was already as asked (or as far as it could be), nothing was sent
  bool has_ipv6 = false;  // the host side has the IPv6 address asked for
  // Why the host side has no IPv6 address though one was asked for (the kernel has IPv6 off, for the device or for
  // all; or we may not add it), with what to do about it; empty otherwise. IPv4 works all the same.
  std::string ipv6_warning;
};

// Brings `ifname` up and gives it `host` (address/prefix) and, unless nullopt, `host6`, as `ip link set up`, `ip addr
// replace` and `ip -6 addr replace ... nodad` would. Only what is missing is changed (what host_side_configured()
// finds is left alone), and an address already present is replaced, so it works on a device that exists and is
// configured, and a persistent device set up once by root needs no privilege. The IPv6 address is added with
// IFA_F_NODAD: Duplicate Address Detection (RFC 4862 §5.4) would leave it tentative for about a second, and a host
// alone on the link with ministack has no one to collide with. IPv6 never stops the start: if the kernel has it off
// (no /proc/sys/net/ipv6, disable_ipv6=1 for the device, or rtnetlink refuses with EACCES or EAFNOSUPPORT), or we may
// not add the address (EPERM) when nothing else needed changing, the report says so and why. Throws HostConfigError
// with what to do when the link or the IPv4 address cannot be set.
HostSideReport configure_host_side(const std::string& ifname, const Ipv4Interface& host,
                                   const std::optional<Ipv6Interface>& host6);

// True when `ifname` is already up and has `host` and, unless nullopt, `host6` (address and prefix length; an IPv6
// address whose DAD failed does not count) as the kernel reports them through rtnetlink (RTM_GETLINK, RTM_GETADDR),
// which needs no privilege: then there is nothing to configure, and a user who owns a persistent device set up once
// by root needs no CAP_NET_ADMIN. Throws HostConfigError if the kernel cannot be asked.
bool host_side_configured(const std::string& ifname, const Ipv4Interface& host,
                          const std::optional<Ipv6Interface>& host6);

// Sets `ifname`'s MTU to `mtu` bytes, as `ip link set dev IFNAME mtu MTU` (RTM_NEWLINK with IFLA_MTU). Throws
// HostConfigError with what to do when the kernel refuses (no CAP_NET_ADMIN, an MTU out of the device's range).
void set_link_mtu(const std::string& ifname, std::size_t mtu);

// Why the kernel will take no IPv6 address on `ifname`, as /proc/sys/net/ipv6 tells without privilege (no such
// directory: the kernel has no IPv6; no conf/IFNAME in it: not on this device, e.g. an MTU below 1280; disable_ipv6=1
// for it), with how to turn IPv6 on; empty when IPv6 is on for it, or when /proc cannot tell.
std::string ipv6_unavailable(const std::string& ifname);

}  // namespace ministack
