// How a stack is set up: its link, its address, and the limits of each layer's tables.
#pragma once

#include <cstddef>

#include "stack/ipv4/fragment_store.hpp"
#include "stack/link/neighbor_cache.hpp"
#include "stack/tcp/limits.hpp"
#include "stack/transport/rate_limiter.hpp"
#include "stack/wire/address.hpp"
#include "stack/wire/link_layer.hpp"

namespace ministack {

struct StackConfig {
  LinkLayer link = LinkLayer::ethernet;
  Ipv4Interface interface { Ipv4Address{0xc0a8030c}, 24 };  // 192.168.3.12/24
  MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};     // locally administered
  // IPv6 (RFC 8200): spoken unless turned off. Our addresses are `interface6` (a global or ULA address) and the
  // link-local one derived from `mac` (link_local6()).
  bool ipv6 = true;
  Ipv6Interface interface6{{{0xfd, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}}, 64};  // fd00:3::12/64
  std::size_t mtu = 1500;  // largest IP datagram sent unfragmented, in bytes
  // Answer echo requests sent to a broadcast or multicast address. Off by default, as Linux's
  // icmp_echo_ignore_broadcasts=1, so the stack cannot be used as a smurf amplifier (RFC 1122 §3.2.2.6 allows both).
  bool answer_broadcast_echo = false;
  ReassemblyLimits reassembly;
  IcmpRateLimits icmp_rate;
  NeighborLimits neighbors;
  tcp::Config tcp;

  // Our link-local address (RFC 4291 §2.5.1): fe80::ff:fe00:1 for the default MAC. Also used on TUN, which has no MAC
  // of its own to derive one from.
  Ipv6Address link_local6() const { return Ipv6Address::link_local_from_mac(mac); }
};

}  // namespace ministack
