// What the "fixed" and "fragments" fuzz targets do to a frame before the stack sees it, so that random bytes get
// past the checks of the lower layers and reach the upper ones: IPv4 lengths and checksums made right, and a datagram
// cut into fragments. Every read and write is bounds-checked; nothing here trusts the input.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/wire/bytes.hpp"

namespace ministack::fuzz {

using Packet = std::vector<std::uint8_t>;

// Makes the IPv4 packet `ip` well-formed where it can (RFC 791 §3.1): an IHL under 5 becomes 5, the total length is
// the packet's size (at most 65535), the header checksum is right; and, unless it is a fragment, an ICMP checksum
// (RFC 792), a UDP length and checksum (RFC 768; a zero checksum, "none", stays zero) or a TCP checksum (RFC 9293
// §3.1, when there is room for a header). Shorter than 20 bytes, or an IHL past the end: left as it is.
void fix_ipv4(Packet& ip);

// The same for the IPv4 or IPv6 packet inside an Ethernet frame (type 0x0800 or 0x86dd); other frames are left as
// they are.
void fix_ethernet(Packet& frame);
// IPv6 (RFC 8200): the payload length made the packet's, and past any hop-by-hop, routing and destination options
// headers, the ICMPv6, UDP or TCP checksum over the IPv6 pseudo-header (§8.1) made right.
void fix_ipv6(Packet& ip);

// Cuts a datagram into fragments as `plan` (4 bytes, missing ones read as 0) says, each an IPv4 packet with its own
// header, for the "fragments" target:
//   plan[0]  fragment payload: 8 * (1 + plan[0] % 185) bytes (8 to 1480)
//   plan[1]  bits 0-1: the order: in order, reversed, shuffled (by plan[2]), odd ones first;
//            bit 2: fragment number plan[2], if there is one, starts 8 * (1 + plan[2] % 4) bytes early, overlapping
//            its neighbour; bit 3: fragment plan[2] % n sent twice; bit 4: that fragment left out; bit 5: the payload
//            stretched with zeros by plan[3] * 256 bytes (past 65535 bytes: "ping of death"); bit 6: fragments 20 ms
//            apart
//   plan[2]  which fragment, and the shuffle's seed;  plan[3]  the stretch
// The datagram is first made whole and well-formed (MF and offset cleared, then fix_ipv4). At most 1024 fragments.
struct Cut {
  std::vector<Packet> fragments;
  bool spaced = false;  // plan bit 6: one time step between fragments
};
Cut cut_into_fragments(Bytes plan, Bytes datagram);

}  // namespace ministack::fuzz
