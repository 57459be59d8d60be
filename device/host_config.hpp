// Host-side set-up of a TUN/TAP device through rtnetlink (libmnl): link up, and the host's address on it, so that
// `ping` works the moment ministack starts (a link left down fails silently).
#pragma once

#include <stdexcept>
#include <string>

#include "stack/wire/address.hpp"

namespace ministack {

class HostConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Brings `ifname` up and gives it `host` (address/prefix). Idempotent: an address already present is replaced, so
// it works on a device that exists and is configured. Throws HostConfigError with what to do on failure.
void configure_host_side(const std::string& ifname, const Ipv4Interface& host);

// True when `ifname` is already up and has `host` (address and prefix length) as the kernel reports them through
// rtnetlink (RTM_GETLINK, RTM_GETADDR), which needs no privilege: then there is nothing to configure, and a user
// who owns a persistent device set up once by root needs no CAP_NET_ADMIN. Throws HostConfigError if the kernel
// cannot be asked.
bool host_side_configured(const std::string& ifname, const Ipv4Interface& host);

}  // namespace ministack
