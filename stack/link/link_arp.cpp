// ARP on the link (RFC 826): answering requests for our address, learning senders, asking for next hops, and
// releasing the packets that waited for an answer.
#include <algorithm>

#include "stack/link/link.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

namespace ministack {

// RFC 826 "Packet Reception", with RFC 5227 probes (sender IP 0.0.0.0) answered like any request.
Verdict Link::receive_arp(PacketBuffer& frame, FrameContext& context) {
  const auto arp = ArpView::parse(frame.bytes().subspan(kEthernetHeaderLength));
  if (!arp) return context_.drop(arp.reason(), context);
  const MacAddress sender_mac = arp->sender_mac();
  if (sender_mac.is_group()) return context_.drop(DropReason::arp_bad_sender, context);
  const Ipv4Address sender_ip = arp->sender_ip();
  const Ipv4Address us = context_.config.interface.address;
  const bool for_us = arp->target_ip() == us;
  const std::uint16_t operation = arp->operation();
  context_.trace(Layer::arp, "{} from {} ({}): who has {}?", operation == arp_op::request ? "request" : "reply/other",
                 sender_ip, sender_mac, arp->target_ip());

  // Merge: refresh a known sender; add it only when we are the target. A probe's 0.0.0.0, a martian, or a host
  // claiming our own address (a conflict, RFC 5227 §2.4) is never learned. Whatever waited for the sender goes now.
  if (!is_martian_source(sender_ip) && sender_ip != us) {
    if (!neighbors_.update(sender_ip, sender_mac, context.now) && for_us) {
      neighbors_.insert(sender_ip, sender_mac, context.now);
    }
    if (neighbors_.lookup(sender_ip)) {
      context_.trace(Layer::arp, "neighbor cache: {} is-at {} (RFC 826 merge)", sender_ip, sender_mac);
      release(sender_ip, sender_mac, context);
    }
  }
  if (operation != arp_op::request) return context_.drop(DropReason::arp_not_request, context);
  if (!for_us) return context_.drop(DropReason::arp_not_for_us, context);

  context_.counters.count(Counter::arpInRequests);
  context_.trace(Layer::arp, "the target is us: reply {} is-at {}, to {}", us, context_.config.mac, sender_mac);
  // The reply is written over the request, where it lies.
  frame.resize(kEthernetHeaderLength + kArpLength);
  write_arp(frame.bytes().subspan(kEthernetHeaderLength),
            {arp_op::reply, context_.config.mac, us, sender_mac, sender_ip});
  write_ethernet_header(frame.bytes(), sender_mac, context_.config.mac, ethertype::arp);
  context_.counters.count(Counter::arpOutReplies);
  transmit(frame, context);
  return StackContext::handled(context);
}

void Link::send_arp_request(Ipv4Address target, FrameSink& sink) {
  // RFC 826: target hardware address unknown, so zero; RFC 5227 §2.3: an announcement asks for our own address.
  PacketBuffer frame(arp_tx_, 0, kEthernetHeaderLength + kArpLength);
  write_arp(frame.bytes().subspan(kEthernetHeaderLength),
            {arp_op::request, context_.config.mac, context_.config.interface.address, MacAddress{}, target});
  write_ethernet_header(frame.bytes(), MacAddress::broadcast(), context_.config.mac, ethertype::arp);
  context_.counters.count(Counter::arpOutRequests);
  FrameContext context{Instant{}, sink, {}, 0};
  transmit(frame, context);
}

void Link::announce(FrameSink& sink) {
  if (context_.config.link == LinkLayer::ethernet) send_arp_request(context_.config.interface.address, sink);
}

}  // namespace ministack
