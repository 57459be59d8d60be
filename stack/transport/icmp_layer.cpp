#include "stack/transport/icmp_layer.hpp"

#include "stack/ipv4/ipv4_options.hpp"
#include "stack/transport/icmp_error.hpp"
#include "stack/wire/icmp.hpp"

namespace ministack {

Icmp::Icmp(StackContext& context, Ipv4& ip)
    : context_(context),
      ip_(ip),
      limiter_(context.config.icmp_rate),
      error_tx_(Network::kHeadroom + kIcmpErrorMaxMessage) {}

Verdict Icmp::receive(PacketBuffer& message, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::icmpInMsgs);
  const auto icmp = IcmpView::parse(message.bytes());
  if (!icmp) return context_.drop(icmp.reason(), frame);
  context_.trace(Layer::icmp, "type {} code {}, {} bytes, checksum 0x{:04x} verified", icmp->type(), icmp->code(),
                 icmp->size(), icmp->checksum());
  if (icmp->type() != icmp_type::echo_request) return context_.drop(DropReason::icmp_type_ignored, frame);
  if (ip.to_broadcast && !context_.config.answer_broadcast_echo) {
    return context_.drop(DropReason::ip_broadcast_echo_ignored, frame);
  }
  context_.counters.count(Counter::icmpInEchos);
  const Ipv4Address us = context_.config.interface.address;
  // Everything the reply needs is read before the bytes under the views are rewritten. Record Route and Timestamp
  // come back updated with our address and time (RFC 1122 §3.2.2.6); other options are not echoed. Most requests
  // carry none, and skip both walks and the clock.
  std::uint8_t options[kIpv4MaxOptionsLength];
  std::size_t options_length = 0;
  if (!ip.options().empty()) {
    // Linux sends no reply when the option's own slot for us would cross its end (a misaligned length or pointer).
    if (echo_reply_refused(ip.options(), us)) return context_.drop(DropReason::ip_bad_options, frame);
    options_length = echo_reply_options(ip.options(), us, frame.now.ms_since_midnight_ut(), options);
  }
  IpSend reply = IpSend::control(ip.source, ip_protocol::icmp, ip.tos);  // Linux echoes the request's TOS too
  reply.options = Bytes{options, options_length};

  // The reply reuses the request's bytes: the message is patched in place (RFC 1624), and the new IP header goes
  // where the request's was (the echoed options are never longer than the request's).
  context_.trace(Layer::icmp, "echo request id {} seq {}, {} data bytes: the reply reuses them in place",
                 icmp->identifier(), icmp->sequence(), icmp->data().size());
  const std::uint16_t old_checksum = icmp->checksum();
  message.resize(icmp->size());
  make_echo_reply_in_place(message.bytes());
  context_.trace(Layer::icmp,
                 "echo reply: type 0, checksum 0x{:04x} -> 0x{:04x} (RFC 1624 update, data not summed again)",
                 old_checksum, load_be16(message.data() + 2));
  if (options_length) {
    context_.trace(Layer::icmp, "{} bytes of Record Route / Timestamp echoed, with our entry", options_length);
  }
  context_.counters.count(Counter::icmpOutEchoReps);
  context_.counters.count(Counter::icmpOutMsgs);
  ip_.send(message, reply, NextHop::answering(ip.source, frame), frame);
  return StackContext::handled(frame);
}

void Icmp::protocol_unreachable(const IpContext& offending, FrameContext& frame) {
  send_unreachable(icmp_unreachable::protocol, offending, frame);
}

void Icmp::port_unreachable(const IpContext& offending, FrameContext& frame) {
  send_unreachable(icmp_unreachable::port, offending, frame);
}

void Icmp::send_unreachable(std::uint8_t code, const IpContext& offending, FrameContext& frame) {
  if (!may_send_icmp_error(offending, context_.config.interface)) {
    context_.trace(Layer::icmp,
                   "no destination unreachable: never about broadcasts, fragments or errors (RFC 1122 §3.2.2)");
    return;
  }
  if (!limiter_.allow(offending.source, frame.now)) {
    context_.trace(Layer::icmp, "no destination unreachable: over the rate limit to {}", offending.source);
    context_.counters.count(DropReason::icmp_error_rate_limited);
    return;
  }
  context_.trace(Layer::icmp, "destination unreachable, code {} ({}), quoting the datagram", code,
                 code == icmp_unreachable::port ? "port" : "protocol");
  // At most 576 bytes in all, so never fragmented.
  PacketBuffer message(error_tx_, Network::kHeadroom, 0);
  message.resize(write_icmp_error(message.to_end(), icmp_unreachable::type, code, offending));
  context_.counters.count(Counter::icmpOutMsgs);
  context_.counters.count(Counter::icmpOutDestUnreachs);
  ip_.send(message, IpSend::control(offending.source, ip_protocol::icmp, kIcmpErrorTos),
           NextHop::answering(offending.source, frame), frame);
}

}  // namespace ministack
