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

}  // namespace ministack
