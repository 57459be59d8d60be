#include "stack.hpp"

#include <cassert>
#include <cstring>

#include "arp.hpp"
#include "icmp.hpp"
#include "ipv4.hpp"

namespace ministack {

Verdict Stack::receive(MutableBytes buffer, std::size_t length) {
  assert(length <= buffer.size() && buffer.size() >= kMinBufferSize);
  counters_.count(Counter::ifInFrames);
  if (config_.link == LinkLayer::ethernet) return process_ethernet(buffer, length);
  // On TUN the first nibble is all there is to tell IPv4 from IPv6.
  if (length > 0 && (buffer[0] >> 4) == 6) return drop(DropReason::ipv6_not_spoken);
  return process_ipv4(buffer.first(length), false);
}

Verdict Stack::drop(DropReason reason) {
  counters_.count(reason);
  return Verdict{0, reason};
}

Verdict Stack::reply(std::size_t length) {
  counters_.count(Counter::ifOutFrames);
  return Verdict{length, std::nullopt};
}

Verdict Stack::process_ethernet(MutableBytes buffer, std::size_t length) {
  const auto eth = EthernetView::parse(buffer.first(length));
  if (!eth) return drop(eth.reason());
  const MacAddress destination = eth->destination();
  if (destination != config_.mac && !destination.is_broadcast()) return drop(DropReason::eth_not_for_us);
  // A group address is never a valid source, and a reply to one would go to every host on the link.
  const MacAddress source = eth->source();
  if (source.is_group()) return drop(DropReason::eth_bad_source);

  switch (eth->ethertype()) {
    case ethertype::arp:
      return process_arp(buffer, length);
    case ethertype::ipv4: {
      const Verdict v = process_ipv4(buffer.subspan(kEthernetHeaderLength, length - kEthernetHeaderLength),
                                     destination.is_broadcast());
      if (v.reply_length == 0) return v;
      // The reply goes back to the link address the request came from.
      write_ethernet_header(buffer, source, config_.mac, ethertype::ipv4);
      return Verdict{pad_ethernet_frame(buffer, kEthernetHeaderLength + v.reply_length), std::nullopt};
    }
    default:
      return drop(DropReason::eth_unsupported_type);
  }
}

// RFC 826 "Packet Reception", with RFC 5227 probes (sender IP 0.0.0.0) answered like any request.
Verdict Stack::process_arp(MutableBytes buffer, std::size_t length) {
  const auto arp = ArpView::parse(buffer.subspan(kEthernetHeaderLength, length - kEthernetHeaderLength));
  if (!arp) return drop(arp.reason());
  const MacAddress sender_mac = arp->sender_mac();
  if (sender_mac.is_group()) return drop(DropReason::arp_bad_sender);
  const Ipv4Address sender_ip = arp->sender_ip();
  const bool for_us = arp->target_ip() == config_.interface.address;

  // Merge: refresh a known sender; add it only when we are the target. A probe's 0.0.0.0, a martian, or a host
  // claiming our own address (a conflict, RFC 5227 §2.4) is never learned.
  if (!is_martian_source(sender_ip) && sender_ip != config_.interface.address) {
    if (!neighbors_.update(sender_ip, sender_mac) && for_us) neighbors_.insert(sender_ip, sender_mac);
  }
  if (arp->operation() != arp_op::request) return drop(DropReason::arp_not_request);
  if (!for_us) return drop(DropReason::arp_not_for_us);

  counters_.count(Counter::arpInRequests);
  write_arp(buffer.subspan(kEthernetHeaderLength),
            {arp_op::reply, config_.mac, config_.interface.address, sender_mac, sender_ip});
  write_ethernet_header(buffer, sender_mac, config_.mac, ethertype::arp);
  counters_.count(Counter::arpOutReplies);
  return reply(pad_ethernet_frame(buffer, kEthernetHeaderLength + kArpLength));
}

Verdict Stack::process_ipv4(MutableBytes packet, bool link_broadcast) {
  counters_.count(Counter::ipInReceives);
  const auto ip = Ipv4View::parse(packet);
  if (!ip) return drop(ip.reason());
  const Ipv4Address us = config_.interface.address;
  if (ip->destination() != us) return drop(DropReason::ip_not_for_us);
  if (link_broadcast) return drop(DropReason::ip_link_broadcast);
  const Ipv4Address source = ip->source();
  if (is_martian_source(source) || source == us || source == config_.interface.subnet_broadcast()) {
    return drop(DropReason::ip_bad_source);
  }
  if (ip->is_fragment()) return drop(DropReason::ip_fragment);
  if (ip->protocol() != ip_protocol::icmp) return drop(DropReason::ip_unknown_protocol);
  counters_.count(Counter::ipInDelivers);
  return process_icmp(packet, *ip);
}

Verdict Stack::process_icmp(MutableBytes packet, const Ipv4View& ip) {
  counters_.count(Counter::icmpInMsgs);
  const auto icmp = IcmpView::parse(ip.payload());
  if (!icmp) return drop(icmp.reason());
  if (icmp->type() != icmp_type::echo_request) return drop(DropReason::icmp_type_ignored);
  counters_.count(Counter::icmpInEchos);

  // Read what the reply needs before the bytes under the views are rewritten.
  const std::size_t header_length = ip.header_length();
  const std::size_t message_length = icmp->size();
  const Ipv4Fields fields{.tos = ip.tos(),  // Linux echoes the request's TOS too
                          .total_length = static_cast<std::uint16_t>(kIpv4MinHeaderLength + message_length),
                          .identification = next_ip_id_++,
                          .dont_fragment = false,
                          .ttl = kDefaultTtl,
                          .protocol = ip_protocol::icmp,
                          .source = config_.interface.address,
                          .destination = ip.source()};

  // The reply reuses the request's bytes: ICMP patched in place; options, if any, are dropped by sliding the
  // message up behind a fresh 20-byte header (RFC 1122 §3.2.2.6 allows a reply without them). The 20-byte header is
  // cheaper to write whole than to patch field by field.
  make_echo_reply_in_place(packet.subspan(header_length, message_length));
  if (header_length != kIpv4MinHeaderLength) {
    std::memmove(packet.data() + kIpv4MinHeaderLength, packet.data() + header_length, message_length);
  }
  write_ipv4_header(packet, fields);
  counters_.count(Counter::icmpOutEchoReps);
  counters_.count(Counter::icmpOutMsgs);
  counters_.count(Counter::ipOutRequests);
  return reply(fields.total_length);
}

}  // namespace ministack
