// TCP (RFC 9293 §3.1): the checked view of a received segment, its options, and the writer that finishes a segment
// to send.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Source Port          |       Destination Port        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        Sequence Number                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Acknowledgment Number                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Data |       |C|E|U|A|P|R|S|F|                               |
//  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//  |       |       |R|E|G|K|H|T|N|N|                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Checksum            |         Urgent Pointer        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           [Options]                           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Data Offset counts the header in 32-bit words (5..15). The checksum covers the pseudo-header (as UDP's, with
// protocol 6 and the TCP length), the header and the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/parsed.hpp"

namespace ministack {

inline constexpr std::size_t kTcpMinHeaderLength = 20;
inline constexpr std::size_t kTcpMaxHeaderLength = 60;

// The control bits (RFC 9293 §3.1; CWR and ECE from RFC 3168 §6.1).
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flag

// Option kinds (RFC 9293 §3.2; window scale and timestamps RFC 7323 §2-3; SACK RFC 2018).
namespace tcp_option {
inline constexpr std::uint8_t end = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
}  // namespace tcp_option

// The options of a segment that ministack reads; others are skipped by their length.
struct TcpOptions {
  std::optional<std::uint16_t> mss;          // Maximum Segment Size, bytes (RFC 9293 §3.7.1)
  std::optional<std::uint8_t> window_scale;  // shift count as sent; RFC 7323 §2.3 caps its use at 14
  bool sack_permitted = false;               // RFC 2018 §2
  struct Timestamps {
    std::uint32_t value = 0;  // TSval
    std::uint32_t echo = 0;   // TSecr
  };
  std::optional<Timestamps> timestamps;  // RFC 7323 §3.2
};

// The control bits of a segment, formatted ("{}") as their names in header order from FIN up, "SYN,ACK" ("none" if
// none are set): tcpdump's [S.] spelled out. A value, so that a trace formats it only when a tracer is set.
struct TcpFlags {
  std::uint8_t bits = 0;
};

class TcpView {
 public:
  // `segment` is the IP payload; `source` and `destination` are the IP addresses, for the pseudo-header. Checks, in
  // order (RFC 9293 §3.1, §3.2; RFC 1122 §4.2.2.7 for the checksum): at least 20 bytes (else tcp_truncated), a Data
  // Offset of 5 to 15 words within the segment (tcp_bad_data_offset), the checksum over pseudo-header, header and
  // data (tcp_bad_checksum), and options that walk to the end of the header: each kind other than EOL and NOP has a
  // length of at least 2 that stays within the header, and MSS, window scale, SACK-permitted and timestamps have
  // their fixed lengths (tcp_bad_options).
  static Parsed<TcpView> parse(Bytes segment, const IpAddress& source, const IpAddress& destination);

  std::uint16_t source_port() const { return load_be16(segment_.data()); }
  std::uint16_t destination_port() const { return load_be16(segment_.data() + 2); }
  std::uint32_t sequence_number() const { return load_be32(segment_.data() + 4); }
  std::uint32_t acknowledgment_number() const { return load_be32(segment_.data() + 8); }
  std::size_t header_length() const { return static_cast<std::size_t>(segment_[12] >> 4) * 4; }  // bytes, 20..60
  std::uint8_t flags() const { return segment_[13]; }
  bool has(std::uint8_t flag) const { return (flags() & flag) != 0; }
  std::uint16_t window() const { return load_be16(segment_.data() + 14); }  // unscaled, as sent
  std::uint16_t checksum() const { return load_be16(segment_.data() + 16); }
  std::uint16_t urgent_pointer() const { return load_be16(segment_.data() + 18); }
  Bytes options() const { return segment_.subspan(kTcpMinHeaderLength, header_length() - kTcpMinHeaderLength); }
  const TcpOptions& parsed_options() const { return options_; }
  Bytes payload() const { return segment_.subspan(header_length()); }
  // SEG.LEN (RFC 9293 §3.3.1): the data bytes, plus one each for SYN and FIN, which occupy sequence space.
  std::uint32_t segment_length() const {
    return static_cast<std::uint32_t>(payload().size()) + (has(tcp_flag::syn) ? 1 : 0) + (has(tcp_flag::fin) ? 1 : 0);
  }
  Bytes bytes() const { return segment_; }

 private:
  TcpView(Bytes segment, const TcpOptions& options) : segment_(segment), options_(options) {}
  Bytes segment_;
  TcpOptions options_;
};

// What finish_tcp() writes into a header; options, if any, are already in place after the first 20 bytes.
struct TcpHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t sequence_number = 0;
  std::uint32_t acknowledgment_number = 0;  // written as given, also when ACK is off
  std::uint8_t flags = 0;
  std::uint16_t window = 0;                         // as sent: already scaled down
  std::size_t header_length = kTcpMinHeaderLength;  // bytes, a multiple of 4 from 20 to 60
};

// Finishes a segment to send: `segment` is the header (its first 20 bytes' contents ignored, its options in place)
// followed by the payload, and nothing else. Writes the fixed header from `header` (urgent pointer 0) and the
// checksum over pseudo-header + segment (RFC 9293 §3.1).
void finish_tcp(MutableBytes segment, const TcpHeader& header, const IpAddress& source, const IpAddress& destination);

}  // namespace ministack

template <>
struct fmt::formatter<ministack::TcpFlags> : fmt::formatter<std::string_view> {
  auto format(ministack::TcpFlags flags, format_context& ctx) const {
    static constexpr std::string_view kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    auto out = ctx.out();
    if (flags.bits == 0) return fmt::format_to(out, "none");
    bool first = true;
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((flags.bits & (1u << bit)) == 0) continue;
      out = fmt::format_to(out, "{}{}", first ? "" : ",", kNames[bit]);
      first = false;
    }
    return out;
  }
};
