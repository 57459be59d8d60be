// IPv6 input: header checks, our addresses and groups, the extension headers in RFC 8200 §4.1's order, reassembly,
// and dispatch by next header.
#include <algorithm>
#include <array>
#include <cassert>

#include "stack/ipv6/ipv6_layer.hpp"
#include "stack/wire/icmpv6.hpp"

namespace ministack {

namespace {

// RFC 8200 §4.2: option types 0 (Pad1) and 1 (PadN) pad; Router Alert (5, RFC 2711) is understood in hop-by-hop.
constexpr std::uint8_t kPad1 = 0;
constexpr std::uint8_t kPadN = 1;
constexpr std::uint8_t kRouterAlert = 5;

std::string_view next_header_name(std::uint8_t next) {
  switch (next) {
    case ip_protocol::icmpv6: return "ICMPv6";
    case ip_protocol::udp: return "UDP";
    case ip_protocol::tcp: return "TCP";
    case ip_protocol::hop_by_hop: return "hop-by-hop options";
    case ip_protocol::ipv6_destination_options: return "destination options";
    case ip_protocol::ipv6_routing: return "routing header";
    case ip_protocol::ipv6_fragment: return "fragment header";
    case ip_protocol::ipv6_no_next_header: return "no next header";
    default: return "nobody";
  }
}

// RFC 7112 §5, as Linux's ipv6_frag_thdr_truncated(): whether the extension headers in `data` (a first fragment's
// payload, starting with `next`) and the upper-layer header after them (TCP's 20 bytes, UDP's and ICMPv6's 8, one
// byte of another) run past its end. A chain that cannot be read is left to the walk after reassembly.
bool chain_cut_short(Bytes data, std::uint8_t next) {
  std::size_t at = 0;
  while (next != ip_protocol::ipv6_fragment && is_ipv6_extension(next)) {
    const auto length = ipv6_extension_length(next, data.subspan(at));
    if (!length) return true;
    next = data[at];
    at += *length;
  }
  const std::size_t upper = next == ip_protocol::tcp                                  ? 20
                            : next == ip_protocol::udp || next == ip_protocol::icmpv6 ? 8
                                                                                      : 1;
  return next != ip_protocol::ipv6_no_next_header && data.size() - at < upper;
}

// RFC 8200 §4.5: the source, destination and Identification tell one packet's fragments from another's.
FragmentKey key_of(const Ipv6View& ip, std::uint32_t identification) {
  FragmentKey key;
  std::uint8_t* p = key.bytes.data();
  store_ipv6(p, ip.source());
  store_ipv6(p + 16, ip.destination());
  store_be32(p + 32, identification);
  return key;
}

}  // namespace

IpContext ipv6_context(const Ipv6View& ip, std::size_t header_length, std::uint8_t next_header, bool link_group) {
  return IpContext{.source = ip.source(),
                   .destination = ip.destination(),
                   .protocol = next_header,
                   .tos = ip.traffic_class(),
                   .hop_limit = ip.hop_limit(),
                   .to_broadcast = ip.destination().is_multicast(),
                   .link_broadcast = link_group,
                   .datagram = ip.bytes(),
                   .header_length = header_length,
                   .fixed_header_length = kIpv6HeaderLength,
                   .fragment_offset = 0};
}

Ipv6::Ipv6(StackContext& context, Link& link)
    : context_(context),
      link_(link),
      link_local_(context.config.link_local6()),
      global_(context.config.interface6.address),
      groups_{kIpv6AllNodes, link_local_.solicited_node(), global_.solicited_node()},
      reassembly_(context.config.reassembly, context.counters,
                  {Counter::Ip6ReasmReqds, Counter::Ip6ReasmOKs, Counter::Ip6ReasmFails}),
      fragment_tx_(kEthernetHeaderLength + FragmentStore::kMaxDatagramLength),
      next_identification_(0) {}

const Ipv6Address& Ipv6::source_for(const Ipv6Address& destination) const {
  const bool link_scope = destination.is_link_local() ||
                          (destination.is_multicast() && (destination.bytes[1] & 0x0f) <= 2);
  return link_scope ? link_local_ : global_;
}

bool Ipv6::accepts(const Ipv6Address& destination) const {
  return is_ours(destination) || std::find(groups_.begin(), groups_.end(), destination) != groups_.end();
}

Verdict Ipv6::receive(PacketBuffer& packet, FrameContext& frame) {
  context_.counters.count(Counter::Ip6InReceives);
  const auto ip = Ipv6View::parse(packet.bytes());
  if (!ip) return context_.drop(ip.reason(), frame);
  const std::size_t slack = packet.size() - ip->total_length();
  if (context_.tracer) {  // the addresses are read for the line alone
    context_.trace(Layer::ipv6, "{} > {}: payload length {}, next header {}, hop limit {}, traffic class 0x{:02x}",
                   ip->source(), ip->destination(), ip->payload_length(), ip->next_header(), ip->hop_limit(),
                   ip->traffic_class());
  }
  if (slack) context_.trace(Layer::ipv6, "{} bytes after the payload length are link padding: ignored", slack);
  const Ipv6Address destination = ip->destination();
  if (!accepts(destination)) return context_.drop(DropReason::ipv6_not_for_us, frame);
  // As IPv4 (RFC 1122 §3.3.6), and as Linux's TCP and UDP do (only PACKET_HOST): a unicast packet in a link-layer
  // group frame is not answered.
  if (frame.peer.broadcast && !destination.is_multicast()) return context_.drop(DropReason::ip_link_broadcast, frame);
  // RFC 4291 §2.7 (never a multicast source), §2.5.3 (loopback never leaves a node), §2.5.5.2 (IPv4-mapped never on
  // the wire, RFC 6890); our own address coming back is a spoof or a loop.
  const Ipv6Address source = ip->source();
  if (source.is_multicast() || source.is_loopback() || source.is_v4_mapped() || is_ours(source)) {
    return context_.drop(DropReason::ipv6_bad_source, frame);
  }
  packet.resize(ip->total_length());
  return walk(packet, *ip, kIpv6HeaderLength, ip->next_header(), false, frame);
}

Verdict Ipv6::walk(PacketBuffer& packet, const Ipv6View& ip, std::size_t offset, std::uint8_t next, bool reassembled,
                   FrameContext& frame) {
  const Bytes p = ip.bytes();
  std::size_t next_field = ipv6_field::next_header;  // where `next` was read: a parameter problem points there
  for (;;) {
    context_.trace(Layer::ipv6, "next header {} at byte {}: {}", next, offset, next_header_name(next));
    std::size_t length = 0;
    switch (next) {
      case ip_protocol::icmpv6:
      case ip_protocol::udp:
      case ip_protocol::tcp: return deliver(packet, ip, offset, next, frame);
      case ip_protocol::ipv6_no_next_header: return context_.drop(DropReason::ipv6_no_next_header, frame);
      case ip_protocol::hop_by_hop:
      case ip_protocol::ipv6_destination_options:
      case ip_protocol::ipv6_routing:
      case ip_protocol::ipv6_fragment: {
        const auto header = ipv6_extension_length(next, p.subspan(offset));
        if (!header) return context_.drop(DropReason::ipv6_bad_extension, frame);
        length = *header;
        break;
      }
      default: {
        const IpContext context = ipv6_context(ip, offset, next, frame.peer.broadcast);
        return problem(context, icmpv6_code::unrecognized_next_header, next_field, DropReason::ipv6_unknown_next_header,
                       frame);
      }
    }
    const IpContext context = ipv6_context(ip, offset, next, frame.peer.broadcast);
    if (next == ip_protocol::hop_by_hop && (offset != kIpv6HeaderLength || reassembled)) {
      // RFC 8200 §4.1: hop-by-hop options only immediately after the IPv6 header (in a reassembled packet they
      // followed the Fragment header).
      return problem(context, icmpv6_code::unrecognized_next_header, next_field, DropReason::ipv6_unknown_next_header,
                     frame);
    }
    if (next == ip_protocol::hop_by_hop || next == ip_protocol::ipv6_destination_options) {
      if (auto refused = check_options(context, offset, length, next == ip_protocol::hop_by_hop, frame)) {
        return *refused;
      }
    } else if (next == ip_protocol::ipv6_routing) {
      // RFC 8200 §4.4: with segments left, a node that knows no routing type must refuse it, pointing at the type.
      if (p[offset + 3] != 0) {
        return problem(context, icmpv6_code::erroneous_header_field, offset + 2, DropReason::ipv6_routing_header,
                       frame);
      }
      context_.trace(Layer::ipv6, "routing header type {} with no segments left: ignored (RFC 8200 §4.4)",
                     p[offset + 2]);
    } else {
      const auto fragment = Ipv6FragmentHeader::read(p.data() + offset);
      if (fragment.offset != 0 || fragment.more_fragments) {
        if (reassembled) return context_.drop(DropReason::ipv6_bad_fragment, frame);  // a fragment of a fragment
        return reassemble(ip, offset, frame);
      }
      context_.trace(Layer::ipv6, "an atomic fragment (offset 0, no more): taken as a whole packet (RFC 6946 §4)");
    }
    next_field = offset;
    next = p[offset];
    offset += length;
  }
}

std::optional<Verdict> Ipv6::check_options(const IpContext& ip, std::size_t offset, std::size_t length, bool hop_by_hop,
                                           FrameContext& frame) {
  const Bytes p = ip.datagram;
  const std::size_t end = offset + length;
  // As Linux (ip6_parse_tlv): padding only to align, at most 7 bytes in a row, and at most 8 options per header
  // (max_hbh_opts_number, max_dst_opts_number), so that one header cannot make the walk long.
  constexpr std::size_t kMaxPadding = 7;
  constexpr std::size_t kMaxOptions = 8;
  std::size_t padding = 0;
  std::size_t options = 0;
  for (std::size_t at = offset + 2; at < end;) {
    const std::uint8_t type = p[at];
    if (type == kPad1) {
      if (++padding > kMaxPadding) return context_.drop(DropReason::ipv6_bad_extension, frame);
      ++at;
      continue;
    }
    if (end - at < 2 || std::size_t{p[at + 1]} > end - at - 2) {
      return context_.drop(DropReason::ipv6_bad_extension, frame);
    }
    const std::size_t next = at + 2 + p[at + 1];
    if (type == kPadN) {
      padding += 2 + std::size_t{p[at + 1]};
      if (padding > kMaxPadding) return context_.drop(DropReason::ipv6_bad_extension, frame);
      at = next;
      continue;
    }
    padding = 0;
    if (++options > kMaxOptions) return context_.drop(DropReason::ipv6_bad_extension, frame);
    if (hop_by_hop && type == kRouterAlert) {
      at = next;
      continue;
    }
    // RFC 8200 §4.2: the two high bits of an unrecognized option's type say what to do.
    switch (type >> 6) {
      case 0: context_.trace(Layer::ipv6, "option type 0x{:02x} not understood: skipped (00xxxxxx)", type); break;
      case 1: return context_.drop(DropReason::ipv6_unrecognized_option, frame);
      case 2:
        return problem(ip, icmpv6_code::unrecognized_option, at, DropReason::ipv6_unrecognized_option, frame, true);
      default:
        return problem(ip, icmpv6_code::unrecognized_option, at, DropReason::ipv6_unrecognized_option, frame, false);
    }
    at = next;
  }
  return std::nullopt;
}

Verdict Ipv6::reassemble(const Ipv6View& ip, std::size_t fragment_at, FrameContext& frame) {
  const Bytes p = ip.bytes();
  const auto fragment = Ipv6FragmentHeader::read(p.data() + fragment_at);
  const Bytes data = p.subspan(fragment_at + kIpv6FragmentHeaderLength);
  context_.trace(Layer::ipv6, "fragment: id 0x{:08x}, offset {}, {} data bytes, {}", fragment.identification,
                 fragment.offset, data.size(), fragment.more_fragments ? "more follow" : "the last");
  const IpContext context = ipv6_context(ip, fragment_at, ip_protocol::ipv6_fragment, frame.peer.broadcast);
  // RFC 8200 §4.5: a fragment that is not the last must be a multiple of 8 bytes long (pointing at the Payload
  // Length), and none may reach past 65535 bytes of payload (pointing at the Fragment Offset).
  if (fragment.more_fragments && data.size() % 8 != 0) {
    return problem(context, icmpv6_code::erroneous_header_field, ipv6_field::payload_length,
                   DropReason::ipv6_bad_fragment, frame);
  }
  if (fragment.offset + data.size() > 65535) {
    return problem(context, icmpv6_code::erroneous_header_field, fragment_at + 2, DropReason::ipv6_bad_fragment, frame);
  }
  // RFC 7112 §5: the first fragment holds the whole header chain, up to and with the upper-layer header.
  if (fragment.offset == 0 && chain_cut_short(data, fragment.next_header)) {
    return problem(context, icmpv6_code::header_chain_incomplete, 0, DropReason::ipv6_header_chain_incomplete, frame);
  }
  // The reassembled packet is the IPv6 header of the offset-0 fragment, whose Next Header becomes the Fragment
  // header's (RFC 8200 §4.5: the headers before the Fragment header were processed already), and the payload.
  std::array<std::uint8_t, kIpv6HeaderLength> header;
  std::copy_n(p.begin(), kIpv6HeaderLength, header.begin());
  header[ipv6_field::next_header] = fragment.next_header;
  const auto result = reassembly_.add(Fragment{.key = key_of(ip, fragment.identification),
                                               .offset = fragment.offset,
                                               .data = data,
                                               .last = !fragment.more_fragments,
                                               .header = Bytes{header}},
                                      frame.now);
  if (result.drop) return context_.drop(*result.drop, frame);
  if (!result.datagram) {
    context_.trace(Layer::ipv6, "held for reassembly ({} packets in progress, {} bytes held)",
                   reassembly_.datagrams_in_progress(), reassembly_.bytes_held());
    return StackContext::held(frame);
  }
  MutableBytes whole = *result.datagram;
  store_be16(whole.data() + ipv6_field::payload_length, static_cast<std::uint16_t>(whole.size() - kIpv6HeaderLength));
  context_.trace(Layer::ipv6, "reassembled: the packet is whole, {} bytes (RFC 8200 §4.5)", whole.size());
  const auto reassembled = Ipv6View::parse(whole);
  assert(reassembled);
  PacketBuffer packet = result.packet();
  return walk(packet, *reassembled, kIpv6HeaderLength, reassembled->next_header(), true, frame);
}

Verdict Ipv6::deliver(PacketBuffer& packet, const Ipv6View& ip, std::size_t header_length, std::uint8_t next_header,
                      FrameContext& frame) {
  const IpContext context = ipv6_context(ip, header_length, next_header, frame.peer.broadcast);
  // The unspecified source is for duplicate address detection alone (RFC 4291 §2.5.2): nothing else can be answered.
  if (ip.source().is_unspecified() && next_header != ip_protocol::icmpv6) {
    return context_.drop(DropReason::ipv6_bad_source, frame);
  }
  TransportInput* const input = protocols_[next_header];
  assert(input);
  context_.counters.count(Counter::Ip6InDelivers);
  packet.pull(header_length);
  return input->receive(packet, context, frame);
}

Verdict Ipv6::problem(const IpContext& ip, std::uint8_t code, std::size_t pointer, DropReason reason,
                      FrameContext& frame, bool even_to_multicast) {
  if (errors_) errors_->parameter_problem(ip, code, static_cast<std::uint32_t>(pointer), even_to_multicast, frame);
  return context_.drop(reason, frame);
}

}  // namespace ministack
