// The host's routes, read through rtnetlink (RTM_GETROUTE, no privilege needed): is the subnet ministack is about
// to give the host side already reached through another interface?
#pragma once

#include <string>
#include <vector>

#include "stack/wire/address.hpp"

namespace ministack {

// A route of the main table, through another interface than ours, that overlaps a subnet we are about to use.
struct RouteClash {
  std::string subnet;  // ours, as given: "192.168.3.0/24"
  std::string route;   // the route found: "192.168.3.0/24" (or a wider or narrower one)
  std::string device;  // the interface it goes through: "eth0"
};

// The unicast routes of the main table that overlap `v4`'s subnet or one of `v6` prefixes and go through an interface
// other than `ifname` (default routes left out: every subnet overlaps them). Empty when the kernel cannot be asked:
// this is advice, never a reason to stop.
std::vector<RouteClash> routes_elsewhere(const std::string& ifname, const Ipv4Interface& v4,
                                         const std::vector<Ipv6Interface>& v6);

}  // namespace ministack
