// The network layer of the pipeline: IPv4 input (checks, addressing, reassembly, dispatch) and output
// (fragmentation to the MTU).
#include <algorithm>
#include <cassert>
#include <cstring>

#include "checksum.hpp"
#include "icmp_error.hpp"
#include "ipv4.hpp"
#include "ipv4_options.hpp"
#include "stack.hpp"

namespace ministack {

namespace {
constexpr Ipv4Address kLimitedBroadcast{0xffffffff};
constexpr Ipv4Address kAllHostsGroup{0xe0000001};  // 224.0.0.1, which every host belongs to (RFC 1112 §4)
constexpr std::uint8_t kOptionCopied = 0x80;        // option type bit: copy into every fragment (RFC 791 §3.1)
constexpr std::uint8_t kOptionEnd = 0;
constexpr std::uint8_t kOptionNop = 1;
}  // namespace

Verdict Stack::process_ipv4(MutableBytes space, std::size_t headroom, std::size_t frame_length, Rx& rx) {
  counters_.count(Counter::ipInReceives);
  const auto ip = Ipv4View::parse(space.subspan(headroom, frame_length - headroom));
  if (!ip) return drop(ip.reason(), rx);

  const std::size_t slack = frame_length - headroom - ip->total_length();
  // Arguments are plain values: they are formatted only when a tracer is set.
  trace(Layer::ipv4, "{} > {}: header {} bytes, checksum 0x{:04x} verified, total length {}, TTL {}, protocol {}",
        ip->source(), ip->destination(), ip->header_length(), ip->header_checksum(), ip->total_length(), ip->ttl(),
        ip->protocol());
  if (slack) trace(Layer::ipv4, "{} bytes after the total length are link padding: ignored", slack);
  const Ipv4Interface& us = config_.interface;
  const Ipv4Address destination = ip->destination();
  const bool to_broadcast =
      destination == kLimitedBroadcast || destination == us.subnet_broadcast() || destination == kAllHostsGroup;
  if (destination != us.address && !to_broadcast) return drop(DropReason::ip_not_for_us, rx);
  if (rx.link_broadcast && !to_broadcast) return drop(DropReason::ip_link_broadcast, rx);
  const Ipv4Address source = ip->source();
  if (is_martian_source(source) || source == us.address || source == us.subnet_broadcast()) {
    return drop(DropReason::ip_bad_source, rx);
  }
  if (const auto bad = check_options(ip->options())) return drop(*bad, rx);

  if (!ip->options().empty()) trace(Layer::ipv4, "{} bytes of options, well formed", ip->options().size());

  if (!ip->is_fragment()) return deliver(space, headroom, *ip, to_broadcast, rx);
  trace(Layer::ipv4, "fragment: id 0x{:04x}, offset {}, {} data bytes, {}", ip->identification(),
        ip->fragment_offset(), ip->payload().size(), ip->more_fragments() ? "more follow" : "the last");
  const auto result = reassembler_.add(*ip, rx.now);
  if (result.drop) return drop(*result.drop, rx);
  if (!result.datagram) {
    trace(Layer::ipv4, "held for reassembly ({} datagrams in progress, {} bytes held)",
          reassembler_.datagrams_in_progress(), reassembler_.bytes_held());
    return done(rx);
  }
  trace(Layer::ipv4, "reassembled: the datagram is whole, {} bytes (RFC 815)", result.datagram->size());
  // The whole datagram lives in the reassembler, with room for a link header in front of it and for padding.
  const auto reassembled = Ipv4View::parse(*result.datagram);
  assert(reassembled);
  return deliver(result.buffer, Reassembler::kHeadroom, *reassembled, to_broadcast, rx);
}

Verdict Stack::deliver(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast, Rx& rx) {
  trace(Layer::ipv4, "for {}: protocol {} goes to {}", to_broadcast ? "a broadcast address" : "us", ip.protocol(),
        ip.protocol() == ip_protocol::icmp ? "ICMP" : ip.protocol() == ip_protocol::udp ? "UDP" : "nobody");
  switch (ip.protocol()) {
    case ip_protocol::icmp:
      counters_.count(Counter::ipInDelivers);
      return process_icmp(space, headroom, ip, to_broadcast, rx);
    case ip_protocol::udp:
      counters_.count(Counter::ipInDelivers);
      return process_udp(space, headroom, ip, to_broadcast, rx);
    default:
      send_unreachable(icmp_unreachable::protocol, ip, rx);
      return drop(DropReason::ip_unknown_protocol, rx);
  }
}

void Stack::output_ipv4(MutableBytes space, std::size_t headroom, std::size_t length,
                        const std::optional<MacAddress>& next_hop, FrameSink& out, std::size_t& sent) {
  const bool ethernet = config_.link == LinkLayer::ethernet;
  const std::size_t l2 = ethernet ? kEthernetHeaderLength : 0;
  assert(headroom >= l2 && (!ethernet || next_hop));
  counters_.count(Counter::ipOutRequests);
  const std::uint8_t* datagram = space.data() + headroom;
  trace(Layer::out, "IPv4 {} > {}, {} bytes, header checksum 0x{:04x}", Ipv4Address{load_be32(datagram + 12)},
        Ipv4Address{load_be32(datagram + 16)}, length, load_be16(datagram + 10));
  if (length <= config_.mtu) {
    const MutableBytes frame = space.subspan(headroom - l2);
    if (ethernet) write_ethernet_header(frame, *next_hop, config_.mac, ethertype::ipv4);
    send_frame(frame, l2 + length, out, sent);
    return;
  }

  // RFC 791 §3.2: every fragment carries the header; its data is a multiple of 8 bytes except in the last one.
  // As Linux does (ip_options_fragment), options not marked "copied" become NOPs after the first fragment, so every
  // fragment has the same header length.
  assert(datagram != tx_.data() + l2);
  const std::size_t header_length = std::size_t{datagram[0] & 0x0fu} * 4;
  std::uint8_t later_header[60];
  std::memcpy(later_header, datagram, header_length);
  for (std::size_t i = kIpv4MinHeaderLength; i + 1 < header_length;) {
    const std::uint8_t type = later_header[i];
    if (type == kOptionEnd) break;
    if (type == kOptionNop) {
      ++i;
      continue;
    }
    const std::size_t option_length = std::max<std::size_t>(later_header[i + 1], 2);  // checked on input
    if (!(type & kOptionCopied)) std::memset(later_header + i, kOptionNop, option_length);
    i += option_length;
  }
  store_be16(later_header + 6, 0);  // our datagrams have no flags of their own to keep; DF cannot stay set

  const std::size_t data_length = length - header_length;
  const std::size_t chunk_max = (config_.mtu - header_length) & ~std::size_t{7};
  trace(Layer::out, "longer than the MTU ({}): fragments of up to {} data bytes (RFC 791 §3.2)", config_.mtu,
        chunk_max);
  std::size_t fragments = 0;
  for (std::size_t offset = 0; offset < data_length; offset += chunk_max) {
    const std::size_t chunk = std::min(chunk_max, data_length - offset);
    const bool last = offset + chunk == data_length;
    std::uint8_t* f = tx_.data() + l2;
    std::memcpy(f, offset == 0 ? datagram : later_header, header_length);
    std::memcpy(f + header_length, datagram + header_length + offset, chunk);
    store_be16(f + 2, static_cast<std::uint16_t>(header_length + chunk));
    store_be16(f + 6, static_cast<std::uint16_t>((last ? 0 : 0x2000) | (offset / 8)));
    store_be16(f + 10, 0);
    store_be16(f + 10, internet_checksum(Bytes{f, header_length}));
    if (ethernet) write_ethernet_header(tx_, *next_hop, config_.mac, ethertype::ipv4);
    send_frame(tx_, l2 + header_length + chunk, out, sent);
    ++fragments;
  }
  counters_.count(Counter::ipFragOKs);
  for (std::size_t i = 0; i < fragments; ++i) counters_.count(Counter::ipFragCreates);
}

}  // namespace ministack
