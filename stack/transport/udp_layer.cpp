#include "stack/transport/udp_layer.hpp"

#include <algorithm>

#include "stack/ipv4/fragment_store.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/udp.hpp"

namespace ministack {

Udp::Udp(StackContext& context, Network& network) : context_(context), network_(network) {}

Verdict Udp::receive(PacketBuffer& datagram, const IpContext& ip, FrameContext& frame) {
  const auto udp = UdpView::parse(datagram.bytes(), ip.source, ip.destination);
  if (!udp) return context_.drop(udp.reason(), frame);  // counts toward udpInErrors
  context_.trace(Layer::udp, "port {} > {}, {} bytes, checksum 0x{:04x} {}", udp->source_port(),
                 udp->destination_port(), udp->length(), udp->checksum(), udp->checksum() ? "verified" : "(none)");
  if (udp->destination_port() != kEchoPort) {
    network_.errors(ip).port_unreachable(ip, frame);                // never for broadcasts (RFC 1122 §3.2.2)
    return context_.drop(DropReason::udp_port_unreachable, frame);  // counts toward udpNoPorts
  }
  context_.counters.count(Counter::udpInDatagrams);
  // An echo to a broadcast would answer once per host: the same amplification as a broadcast ping.
  if (ip.to_broadcast && !context_.config.answer_broadcast_echo) {
    return context_.drop(DropReason::ip_broadcast_echo_ignored, frame);
  }

  context_.trace(Layer::udp, "the echo service (RFC 862) sends the {} data bytes back", udp->payload().size());
  // The echo is built in place: same data, ports swapped, from us to the sender.
  const std::uint16_t peer_port = udp->source_port();
  const bool checksummed = udp->checksum() != 0;
  datagram.resize(udp->length());  // bytes past the length field are IP-layer slack
  // From the address it was sent to; from ours for one sent to a broadcast or group (IPv6: of the sender's scope).
  std::optional<Ipv6Address> source6;
  IpAddress us = context_.config.interface.address;
  if (ip.source.is_v6()) {
    source6 = network_.reply_source6(ip);
    us = *source6;
  }
  if (checksummed && ip.destination == us) {
    turn_udp_around(datagram.bytes());  // the same words summed: the checksum stands
  } else {
    finish_udp(datagram.bytes(), us, ip.source, kEchoPort, peer_port);
  }
  context_.counters.count(Counter::udpOutDatagrams);
  network_.send(datagram, IpSend::socket(ip.source, ip_protocol::udp, 0, source6), NextHop::answering(ip.source, frame),
                frame);
  return StackContext::handled(frame);
}

bool Udp::send(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port, Bytes payload,
               FrameContext& frame) {
  const Ipv4Interface& us = context_.config.interface;
  const std::size_t length = kUdpHeaderLength + payload.size();
  const bool on_link = (destination.value & us.netmask()) == (us.address.value & us.netmask());
  if (!on_link || is_martian_source(destination) || destination == us.subnet_broadcast() ||
      kIpv4MinHeaderLength + length > FragmentStore::kMaxDatagramLength) {
    return false;
  }
  if (originate_.empty()) originate_.resize(Network::kHeadroom + FragmentStore::kMaxDatagramLength);
  PacketBuffer datagram(originate_, Network::kHeadroom, length);
  std::copy(payload.begin(), payload.end(), datagram.data() + kUdpHeaderLength);
  finish_udp(datagram.bytes(), us.address, destination, source_port, destination_port);
  context_.counters.count(Counter::udpOutDatagrams);
  return network_.send(datagram, IpSend::socket(destination, ip_protocol::udp), NextHop{destination, std::nullopt},
                       frame);
}

}  // namespace ministack
