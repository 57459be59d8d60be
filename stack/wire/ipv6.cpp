#include "stack/wire/ipv6.hpp"

#include "stack/wire/ip.hpp"

namespace ministack {

Parsed<Ipv6View> Ipv6View::parse(Bytes packet) {
  if (packet.size() < kIpv6HeaderLength) return DropReason::ipv6_truncated;
  if ((packet[0] >> 4) != 6) return DropReason::ipv6_bad_version;
  const std::size_t payload_length = load_be16(packet.data() + ipv6_field::payload_length);
  if (payload_length == 0 && packet[ipv6_field::next_header] == 0) return DropReason::ipv6_bad_length;  // RFC 2675
  if (kIpv6HeaderLength + payload_length > packet.size()) return DropReason::ipv6_truncated;
  return Ipv6View(packet.first(kIpv6HeaderLength + payload_length));
}

void write_ipv6_header(MutableBytes out, const Ipv6HeaderFields& fields) {
  std::uint8_t* p = out.data();
  store_be32(p, (std::uint32_t{6} << 28) | (std::uint32_t{fields.traffic_class} << 20));
  store_be16(p + ipv6_field::payload_length, fields.payload_length);
  p[ipv6_field::next_header] = fields.next_header;
  p[ipv6_field::hop_limit] = fields.hop_limit;
  store_ipv6(p + ipv6_field::source, fields.source);
  store_ipv6(p + ipv6_field::destination, fields.destination);
}

bool is_ipv6_extension(std::uint8_t next) {
  return next == ip_protocol::hop_by_hop || next == ip_protocol::ipv6_routing || next == ip_protocol::ipv6_fragment ||
         next == ip_protocol::ipv6_destination_options;
}

std::optional<std::size_t> ipv6_extension_length(std::uint8_t next, Bytes rest) {
  if (!is_ipv6_extension(next) || rest.size() < 2) return std::nullopt;
  const std::size_t length = next == ip_protocol::ipv6_fragment ? kIpv6FragmentHeaderLength
                                                                : (std::size_t{rest[1]} + 1) * 8;
  if (length > rest.size()) return std::nullopt;
  return length;
}

}  // namespace ministack
