#include "stack/wire/tcp.hpp"

#include <cassert>

#include "stack/wire/checksum.hpp"

namespace ministack {

namespace {

// The one's complement sum of the pseudo-header and `segment`: 0 for a received segment whose checksum verifies,
// the checksum to write for one whose field is 0.
std::uint16_t tcp_checksum(Bytes segment, const IpAddress& source, const IpAddress& destination) {
  Checksum sum;
  add_pseudo_header(sum, source, destination, ip_protocol::tcp, segment.size());
  sum.add(segment);
  return sum.finish();
}

// The length a known option kind must have, or 0 for a kind whose length is not fixed.
constexpr std::size_t fixed_length(std::uint8_t kind) {
  switch (kind) {
    case tcp_option::mss: return 4;
    case tcp_option::window_scale: return 3;
    case tcp_option::sack_permitted: return 2;
    case tcp_option::timestamps: return 10;
    default: return 0;
  }
}

// Reads one well-formed option (kind, then length, then `value`) into `out`.
void read_option(std::uint8_t kind, Bytes value, TcpOptions& out) {
  switch (kind) {
    case tcp_option::mss: out.mss = load_be16(value.data()); break;
    case tcp_option::window_scale: out.window_scale = value[0]; break;
    case tcp_option::sack_permitted: out.sack_permitted = true; break;
    case tcp_option::timestamps:
      out.timestamps = TcpOptions::Timestamps{load_be32(value.data()), load_be32(value.data() + 4)};
      break;
    default: break;  // SACK blocks and kinds ministack does not use: skipped (RFC 9293 §3.2, "MUST ignore")
  }
}

// Walks the options area (RFC 9293 §3.2): false if an option's length is missing, below 2, runs past the header,
// or is not the fixed length of its kind. A SACK option (RFC 2018 §3) carries 1 to 4 blocks of 8 bytes.
bool walk_options(Bytes options, TcpOptions& out) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t kind = options[i];
    if (kind == tcp_option::end) return true;  // the rest is padding
    if (kind == tcp_option::nop) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return false;
    const std::size_t length = options[i + 1];
    if (length < 2 || length > options.size() - i) return false;
    const std::size_t expected = fixed_length(kind);
    if (expected != 0 && length != expected) return false;
    if (kind == tcp_option::sack && (length < 10 || (length - 2) % 8 != 0)) return false;
    read_option(kind, options.subspan(i + 2, length - 2), out);
    i += length;
  }
  return true;
}

}  // namespace

Parsed<TcpView> TcpView::parse(Bytes segment, const IpAddress& source, const IpAddress& destination) {
  if (segment.size() < kTcpMinHeaderLength) return DropReason::tcp_truncated;
  const std::size_t header_length = static_cast<std::size_t>(segment[12] >> 4) * 4;
  if (header_length < kTcpMinHeaderLength || header_length > segment.size()) return DropReason::tcp_bad_data_offset;
  // RFC 9293 §3.1: unlike UDP's, the TCP checksum is never optional.
  if (tcp_checksum(segment, source, destination) != 0) return DropReason::tcp_bad_checksum;
  TcpOptions options;
  if (!walk_options(segment.subspan(kTcpMinHeaderLength, header_length - kTcpMinHeaderLength), options)) {
    return DropReason::tcp_bad_options;
  }
  return TcpView{segment, options};
}

void finish_tcp(MutableBytes segment, const TcpHeader& header, const IpAddress& source, const IpAddress& destination) {
  assert(header.header_length >= kTcpMinHeaderLength && header.header_length <= kTcpMaxHeaderLength &&
         header.header_length % 4 == 0 && segment.size() >= header.header_length);
  std::uint8_t* p = segment.data();
  store_be16(p, header.source_port);
  store_be16(p + 2, header.destination_port);
  store_be32(p + 4, header.sequence_number);
  store_be32(p + 8, header.acknowledgment_number);
  p[12] = static_cast<std::uint8_t>(header.header_length / 4 << 4);
  p[13] = header.flags;
  store_be16(p + 14, header.window);
  store_be16(p + 16, 0);
  store_be16(p + 18, 0);
  store_be16(p + 16, tcp_checksum(segment, source, destination));
}

}  // namespace ministack
