// What a device's frames are: the one property of the link that every layer above the device takes as given.
#pragma once

#include <cstddef>

#include "stack/wire/ethernet.hpp"

namespace ministack {

enum class LinkLayer {
  ethernet,  // TAP: Ethernet II frames (RFC 894)
  ip,        // TUN: bare IP packets (IFF_NO_PI)
};

// Bytes of link header in front of every IP packet: 14 on Ethernet, none on raw IP.
constexpr std::size_t link_header_length(LinkLayer link) {
  return link == LinkLayer::ethernet ? kEthernetHeaderLength : 0;
}

}  // namespace ministack
