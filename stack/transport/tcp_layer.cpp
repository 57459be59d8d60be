#include "stack/transport/tcp_layer.hpp"

#include <cstdint>

namespace ministack {

namespace {
constexpr std::uint8_t kEcnMask = 0x03;  // the low two bits of the TOS byte (RFC 3168 §5)
}  // namespace

Tcp::Tcp(StackContext& context, Ipv4& ip) : context_(context), ip_(ip) {}

Verdict Tcp::receive(PacketBuffer& segment, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::tcpInSegs);
  const auto tcp = TcpView::parse(segment.bytes(), ip.source, ip.destination);
  if (!tcp) return context_.drop(tcp.reason(), frame);  // counts toward tcpInErrs
  context_.trace(Layer::tcp, "port {} > {}, [{}], seq {}, ack {}, window {}, {} data bytes, checksum 0x{:04x} verified",
                 tcp->source_port(), tcp->destination_port(), TcpFlags{tcp->flags()}, tcp->sequence_number(),
                 tcp->acknowledgment_number(), tcp->window(), tcp->payload().size(), tcp->checksum());
  return refuse(segment, *tcp, ip, frame);
}

Verdict Tcp::refuse(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, FrameContext& frame) {
  // RFC 9293 §3.10.7.1: "An incoming segment containing a RST is discarded": never a RST about a RST.
  if (tcp.has(tcp_flag::rst)) return context_.drop(DropReason::tcp_reset_ignored, frame);
  // RFC 1122 §4.2.3.10: a SYN to a broadcast or multicast address is silently discarded; so is anything else sent
  // there, which no connection can own.
  if (ip.to_broadcast) return context_.drop(DropReason::tcp_to_broadcast, frame);

  // "The acknowledgment and sequence field values are selected to make the reset sequence acceptable to the TCP
  // endpoint that sent the offending segment": with ACK, <SEQ=SEG.ACK><CTL=RST>; without,
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  TcpHeader rst{.source_port = tcp.destination_port(), .destination_port = tcp.source_port()};
  if (tcp.has(tcp_flag::ack)) {
    rst.sequence_number = tcp.acknowledgment_number();
    rst.flags = tcp_flag::rst;
  } else {
    rst.acknowledgment_number = tcp.sequence_number() + tcp.segment_length();
    rst.flags = tcp_flag::rst | tcp_flag::ack;
  }
  context_.trace(Layer::tcp, "nobody listens on port {}: {} seq {}, ack {}, window 0 (RFC 9293 §3.10.7.1)",
                 tcp.destination_port(), tcp.has(tcp_flag::ack) ? "RST" : "RST,ACK", rst.sequence_number,
                 rst.acknowledgment_number);
  // Built in place: the segment's own bytes are no longer needed (every value above is read).
  segment.resize(kTcpMinHeaderLength);
  const IpAddress us = context_.config.interface.address;
  finish_tcp(segment.bytes(), rst, us, ip.source);
  context_.counters.count(Counter::tcpOutSegs);
  context_.counters.count(Counter::tcpOutRsts);
  // Linux sends its resets with DF (its control socket does path MTU discovery) and the segment's TOS less its ECN
  // field (RFC 3168 §6.1.1: a RST is not ECN-capable).
  ip_.send(segment,
           {.destination = ip.source,
            .protocol = ip_protocol::tcp,
            .tos = static_cast<std::uint8_t>(ip.tos & ~kEcnMask),
            .dont_fragment_if_fits = true,
            .options = {}},
           NextHop::answering(ip.source, frame), frame);
  return context_.drop(DropReason::tcp_port_closed, frame);
}

}  // namespace ministack
