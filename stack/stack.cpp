// The link layer of the pipeline: frames in, Ethernet and ARP, frames out; and the stack's timers.
#include "stack.hpp"

#include <algorithm>
#include <cassert>

#include "arp.hpp"
#include "ipv4.hpp"
#include "udp.hpp"

namespace ministack {

namespace {
// RFC 791 §3.1: every host must be able to send and receive 576-byte datagrams; an ICMP error is at most that.
constexpr std::size_t kMinMtu = 576;
constexpr std::size_t kMaxDatagram = 65535;
}  // namespace

namespace {
StackConfig checked(StackConfig config) {
  config.mtu = std::clamp(config.mtu, kMinMtu, kMaxDatagram);
  return config;
}
}  // namespace

Stack::Stack(const StackConfig& config)
    : config_(checked(config)),
      neighbors_(config.neighbors),
      reassembler_(config.reassembly, counters_),
      icmp_limiter_(config.icmp_rate),
      tx_(kEthernetHeaderLength + config_.mtu) {}

Verdict Stack::receive(MutableBytes buffer, std::size_t length, Instant now, FrameSink& out) {
  assert(length <= buffer.size() && buffer.size() >= kMinBufferSize);
  counters_.count(Counter::ifInFrames);
  Rx rx{now, out, std::nullopt, false, 0};
  if (config_.link == LinkLayer::ethernet) return process_ethernet(buffer, length, rx);
  // On TUN the first nibble is all there is to tell IPv4 from IPv6.
  trace(Layer::link, "TUN: an IP packet of {} bytes, version {}", length, length ? buffer[0] >> 4 : 0);
  if (length > 0 && (buffer[0] >> 4) == 6) return drop(DropReason::ipv6_not_spoken, rx);
  return process_ipv4(buffer, 0, length, rx);
}

Verdict Stack::drop(DropReason reason, const Rx& rx) {
  counters_.count(reason);
  if (tracer_) tracer_->dropped(reason);
  return Verdict{rx.frames_sent, reason};
}

Verdict Stack::process_ethernet(MutableBytes buffer, std::size_t length, Rx& rx) {
  const auto eth = EthernetView::parse(buffer.first(length));
  if (!eth) return drop(eth.reason(), rx);
  const MacAddress destination = eth->destination();
  trace(Layer::link, "Ethernet {} > {}, type 0x{:04x}, {} bytes", eth->source(), destination, eth->ethertype(),
        length);
  if (destination != config_.mac && !destination.is_broadcast()) return drop(DropReason::eth_not_for_us, rx);
  trace(Layer::link, "{}: type 0x{:04x} goes to {}", destination.is_broadcast() ? "broadcast" : "our MAC",
        eth->ethertype(),
        eth->ethertype() == ethertype::arp ? "ARP" : eth->ethertype() == ethertype::ipv4 ? "IPv4" : "nobody");
  // A group address is never a valid source, and an answer to one would go to every host on the link.
  const MacAddress source = eth->source();
  if (source.is_group()) return drop(DropReason::eth_bad_source, rx);
  rx.link_source = source;  // answers go back to the link address the request came from
  rx.link_broadcast = destination.is_broadcast();

  switch (eth->ethertype()) {
    case ethertype::arp:
      return process_arp(buffer, length, rx);
    case ethertype::ipv4:
      return process_ipv4(buffer, kEthernetHeaderLength, length, rx);
    default:
      return drop(DropReason::eth_unsupported_type, rx);
  }
}

// RFC 826 "Packet Reception", with RFC 5227 probes (sender IP 0.0.0.0) answered like any request.
Verdict Stack::process_arp(MutableBytes buffer, std::size_t length, Rx& rx) {
  const auto arp = ArpView::parse(buffer.subspan(kEthernetHeaderLength, length - kEthernetHeaderLength));
  if (!arp) return drop(arp.reason(), rx);
  const MacAddress sender_mac = arp->sender_mac();
  if (sender_mac.is_group()) return drop(DropReason::arp_bad_sender, rx);
  const Ipv4Address sender_ip = arp->sender_ip();
  const bool for_us = arp->target_ip() == config_.interface.address;
  const std::uint16_t operation = arp->operation();
  trace(Layer::arp, "{} from {} ({}): who has {}?", operation == arp_op::request ? "request" : "reply/other",
        sender_ip, sender_mac, arp->target_ip());

  // Merge: refresh a known sender; add it only when we are the target. A probe's 0.0.0.0, a martian, or a host
  // claiming our own address (a conflict, RFC 5227 §2.4) is never learned. Whatever waited for the sender goes now.
  if (!is_martian_source(sender_ip) && sender_ip != config_.interface.address) {
    if (!neighbors_.update(sender_ip, sender_mac, rx.now) && for_us) neighbors_.insert(sender_ip, sender_mac, rx.now);
    if (neighbors_.lookup(sender_ip)) {
      trace(Layer::arp, "neighbour cache: {} is-at {} (RFC 826 merge)", sender_ip, sender_mac);
      release_pending(sender_ip, sender_mac, rx);
    }
  }
  if (operation != arp_op::request) return drop(DropReason::arp_not_request, rx);
  if (!for_us) return drop(DropReason::arp_not_for_us, rx);

  counters_.count(Counter::arpInRequests);
  trace(Layer::arp, "the target is us: reply {} is-at {}, to {}", config_.interface.address, config_.mac, sender_mac);
  write_arp(buffer.subspan(kEthernetHeaderLength),
            {arp_op::reply, config_.mac, config_.interface.address, sender_mac, sender_ip});
  write_ethernet_header(buffer, sender_mac, config_.mac, ethertype::arp);
  counters_.count(Counter::arpOutReplies);
  send_frame(buffer, kEthernetHeaderLength + kArpLength, rx.out, rx.frames_sent);
  return done(rx);
}

void Stack::send_frame(MutableBytes frame, std::size_t length, FrameSink& out, std::size_t& sent) {
  if (config_.link == LinkLayer::ethernet && length < kEthernetMinFrameLength) {
    // Pad in place where the buffer has room; else in tx_ (never the case for a frame already there).
    if (frame.size() < kEthernetMinFrameLength) {
      assert(frame.data() != tx_.data());
      std::copy_n(frame.begin(), length, tx_.begin());
      frame = tx_;
    }
    length = pad_ethernet_frame(frame, length);
  }
  counters_.count(Counter::ifOutFrames);
  if (tracer_) tracer_->sent(frame.first(length));
  out.send(frame.first(length));
  ++sent;
}

void Stack::send_arp_request(Ipv4Address target, FrameSink& out) {
  // RFC 826: target hardware address unknown, so zero; RFC 5227 §2.3: an announcement asks for our own address.
  write_arp(MutableBytes{tx_}.subspan(kEthernetHeaderLength),
            {arp_op::request, config_.mac, config_.interface.address, MacAddress{}, target});
  write_ethernet_header(tx_, MacAddress::broadcast(), config_.mac, ethertype::arp);
  counters_.count(Counter::arpOutRequests);
  std::size_t sent = 0;
  send_frame(tx_, kEthernetHeaderLength + kArpLength, out, sent);
}

void Stack::announce(FrameSink& out) {
  if (config_.link == LinkLayer::ethernet) send_arp_request(config_.interface.address, out);
}

void Stack::release_pending(Ipv4Address ip, const MacAddress& mac, Rx& rx) {
  neighbors_.release(ip, [&](MutableBytes buffer) {
    const std::size_t length = buffer.size() - NeighborCache::kHeadroom;
    output_ipv4(buffer, NeighborCache::kHeadroom, length, mac, rx.out, rx.frames_sent);
  });
}

void Stack::poll(Instant now, FrameSink& out) {
  reassembler_.expire(now);
  for (;;) {
    std::size_t dropped = 0;
    const auto due = neighbors_.due_request(now, dropped);
    for (std::size_t i = 0; i < dropped; ++i) counters_.count(DropReason::arp_unresolved);
    if (!due) break;
    send_arp_request(*due, out);
  }
}

bool Stack::send_udp(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port,
                     Bytes payload, Instant now, FrameSink& out) {
  const Ipv4Interface& us = config_.interface;
  const std::size_t total = kIpv4MinHeaderLength + kUdpHeaderLength + payload.size();
  // Only on-link destinations: ministack has no routes (and so no gateway) to send anything further.
  const bool on_link = (destination.value & us.netmask()) == (us.address.value & us.netmask());
  if (!on_link || is_martian_source(destination) || destination == us.subnet_broadcast() || total > kMaxDatagram) {
    return false;
  }
  if (originate_.size() < kEthernetHeaderLength + kMaxDatagram) originate_.resize(kEthernetHeaderLength + kMaxDatagram);
  MutableBytes datagram = MutableBytes{originate_}.subspan(kEthernetHeaderLength, total);
  std::copy(payload.begin(), payload.end(), datagram.begin() + kIpv4MinHeaderLength + kUdpHeaderLength);
  finish_udp(datagram.subspan(kIpv4MinHeaderLength), us.address, destination, source_port, destination_port);
  write_ipv4_header(datagram, {.total_length = static_cast<std::uint16_t>(total),
                               .identification = next_ip_id(),
                               .dont_fragment = total <= config_.mtu,
                               .protocol = ip_protocol::udp,
                               .source = us.address,
                               .destination = destination});
  counters_.count(Counter::udpOutDatagrams);

  std::size_t sent = 0;
  if (config_.link == LinkLayer::ip) {
    output_ipv4(originate_, kEthernetHeaderLength, total, std::nullopt, out, sent);
    return true;
  }
  if (const auto mac = neighbors_.lookup_fresh(destination, now)) {
    output_ipv4(originate_, kEthernetHeaderLength, total, mac, out, sent);
    return true;
  }
  // RFC 1122 §2.3.2.2: keep the datagram while ARP resolves its next hop.
  switch (neighbors_.enqueue(destination, datagram, now)) {
    case NeighborCache::Queued::full:
      counters_.count(DropReason::arp_queue_full);
      return false;
    case NeighborCache::Queued::first_for_destination:
      send_arp_request(destination, out);
      return true;
    case NeighborCache::Queued::behind_others:
      return true;
  }
  return true;
}

}  // namespace ministack
