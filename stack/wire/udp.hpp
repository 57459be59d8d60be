// UDP (RFC 768): the checked view of a received datagram and the writer that finishes one to send.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Source Port          |       Destination Port        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Length             |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Data ...
//  +-+-+-+-+-
//
// Length counts the 8-byte header and the data. The checksum covers a pseudo-header, the header and the data (an
// odd last byte is padded with a zero byte, RFC 768):
//
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     zero      | Protocol (17) |          UDP Length           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kUdpHeaderLength = 8;

class UdpView {
 public:
  // `datagram` is the IP payload; `source` and `destination` are the IP addresses, for the pseudo-header. Checks:
  // at least 8 bytes, a length field of at least 8 and at most the bytes given (else udp_truncated), and the
  // checksum over pseudo-header, header and data, unless the field is 0: the sender computed none (RFC 768,
  // RFC 1122 §4.1.3.4), else udp_bad_checksum. The view ends at the length field: bytes after it are IP-layer slack.
  static Parsed<UdpView> parse(Bytes datagram, const IpAddress& source, const IpAddress& destination);

  std::uint16_t source_port() const { return load_be16(datagram_.data()); }
  std::uint16_t destination_port() const { return load_be16(datagram_.data() + 2); }
  std::uint16_t length() const { return load_be16(datagram_.data() + 4); }
  std::uint16_t checksum() const { return load_be16(datagram_.data() + 6); }  // 0: none was computed
  Bytes payload() const { return datagram_.subspan(kUdpHeaderLength); }
  Bytes bytes() const { return datagram_; }  // header and payload, up to the length field

 private:
  explicit UdpView(Bytes datagram) : datagram_(datagram) {}
  Bytes datagram_;
};

// Finishes a datagram to send: `datagram` is the 8-byte header (contents ignored) followed by the payload already in
// place, and nothing else (its size becomes the length field, at most 65535). Writes the ports, the length and the
// checksum over pseudo-header + datagram; a computed checksum of 0 is sent as 0xffff, since 0 means "none"
// (RFC 768). ministack always sends a checksum (RFC 1122 §4.1.3.4: "it MUST default to checksumming").
void finish_udp(MutableBytes datagram, const IpAddress& source, const IpAddress& destination, std::uint16_t source_port,
                std::uint16_t destination_port);

// Turns a received datagram (`datagram`: header and data, its checksum verified and non-zero) into its reply from
// the address it was sent to, in place: the ports swap. The pseudo-header's addresses swap too, so every word the
// checksum covers is still there, in another place: the sum, and so the checksum field, stay as they are (RFC 1071
// §2(A)), byte for byte what finish_udp() would write, without summing the data again.
void turn_udp_around(MutableBytes datagram);

}  // namespace ministack
