// UDP in the pipeline (RFC 768): the echo service on port 7 (RFC 862); anything else gets port unreachable.
#include <cstring>

#include "icmp_error.hpp"
#include "ipv4.hpp"
#include "stack.hpp"
#include "udp.hpp"

namespace ministack {

namespace {
constexpr std::uint16_t kEchoPort = 7;  // RFC 862
}

Verdict Stack::process_udp(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast,
                           Rx& rx) {
  const auto udp = UdpView::parse(ip.payload(), ip.source(), ip.destination());
  if (!udp) {
    counters_.count(Counter::udpInErrors);
    return drop(udp.reason(), rx);
  }
  trace(Layer::udp, "port {} > {}, {} bytes, checksum 0x{:04x} {}", udp->source_port(), udp->destination_port(),
        udp->length(), udp->checksum(), udp->checksum() ? "verified" : "(none)");
  if (udp->destination_port() != kEchoPort) {
    counters_.count(Counter::udpNoPorts);
    send_unreachable(icmp_unreachable::port, ip, rx);  // never for broadcasts (RFC 1122 §3.2.2)
    return drop(DropReason::udp_port_unreachable, rx);
  }
  counters_.count(Counter::udpInDatagrams);
  // An echo to a broadcast would answer once per host: the same amplification as a broadcast ping.
  if (to_broadcast && !config_.answer_broadcast_echo) return drop(DropReason::ip_broadcast_echo_ignored, rx);

  trace(Layer::udp, "the echo service (RFC 862) sends the {} data bytes back", udp->payload().size());
  // The echo is built in place: same data, ports swapped, from us to the sender, behind a header without options.
  const std::size_t header_length = ip.header_length();
  const std::size_t udp_length = udp->length();
  const std::uint16_t peer_port = udp->source_port();
  const Ipv4Address peer = ip.source();
  const std::size_t total = kIpv4MinHeaderLength + udp_length;
  std::uint8_t* datagram = space.data() + headroom;
  if (header_length != kIpv4MinHeaderLength) {
    std::memmove(datagram + kIpv4MinHeaderLength, datagram + header_length, udp_length);
  }
  finish_udp(MutableBytes{datagram + kIpv4MinHeaderLength, udp_length}, config_.interface.address, peer, kEchoPort,
             peer_port);
  // Linux UDP sockets set DF on what fits the path MTU (IP_PMTUDISC_WANT); what does not fit is fragmented.
  write_ipv4_header(MutableBytes{datagram, kIpv4MinHeaderLength},
                    {.total_length = static_cast<std::uint16_t>(total),
                     .identification = next_ip_id(),
                     .dont_fragment = total <= config_.mtu,
                     .protocol = ip_protocol::udp,
                     .source = config_.interface.address,
                     .destination = peer});
  counters_.count(Counter::udpOutDatagrams);
  output_ipv4(space, headroom, total, rx.link_source, rx.out, rx.frames_sent);
  return done(rx);
}

}  // namespace ministack
