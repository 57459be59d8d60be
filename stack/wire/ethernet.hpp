// Ethernet II framing (RFC 894).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination MAC (6 bytes)                  |
//  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+      Source MAC (6 bytes)     +
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           EtherType           |  Payload ... (then padding)
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kEthernetHeaderLength = 14;
// Shortest frame on the wire without the FCS: shorter ones are padded (IEEE 802.3 §4.2.3.3).
inline constexpr std::size_t kEthernetMinFrameLength = 60;

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t ipv6 = 0x86dd;
// IEEE 802.1Q VLAN tags: C-tag, S-tag (802.1ad) and the older pre-standard Q-in-Q value.
inline constexpr std::uint16_t vlan = 0x8100;
inline constexpr std::uint16_t vlan_s = 0x88a8;
inline constexpr std::uint16_t vlan_qinq = 0x9100;
}  // namespace ethertype

class EthernetView {
 public:
  // The one checked entry point: after it succeeds every accessor is in bounds.
  static Parsed<EthernetView> parse(Bytes frame);

  MacAddress destination() const { return load_mac(frame_.data()); }
  MacAddress source() const { return load_mac(frame_.data() + 6); }
  std::uint16_t ethertype() const { return load_be16(frame_.data() + 12); }
  // Everything after the header, padding included: the network layer trims it to its own length.
  Bytes payload() const { return frame_.subspan(kEthernetHeaderLength); }

 private:
  explicit EthernetView(Bytes frame) : frame_(frame) {}
  Bytes frame_;
};

// Writes the 14-byte header at the start of `frame` (which must hold at least that).
void write_ethernet_header(MutableBytes frame, const MacAddress& destination, const MacAddress& source,
                           std::uint16_t type);

// Zero-fills a frame of `length` bytes up to the 60-byte minimum and returns the length to send. The buffer must
// hold 60 bytes; zeroing matters because it is reused and would otherwise leak an earlier frame's bytes.
std::size_t pad_ethernet_frame(MutableBytes frame, std::size_t length);

}  // namespace ministack
