// ICMP in the pipeline: echo requests answered in place (RFC 792, RFC 1122 §3.2.2.6), and the destination
// unreachable errors the stack sends about datagrams it cannot deliver (RFC 1122 §3.2.2.1).
#include <cstring>

#include "icmp.hpp"
#include "icmp_error.hpp"
#include "ipv4.hpp"
#include "ipv4_options.hpp"
#include "stack.hpp"

namespace ministack {

Verdict Stack::process_icmp(MutableBytes space, std::size_t headroom, const Ipv4View& ip, bool to_broadcast,
                            Rx& rx) {
  counters_.count(Counter::icmpInMsgs);
  const auto icmp = IcmpView::parse(ip.payload());
  if (!icmp) return drop(icmp.reason(), rx);
  trace(Layer::icmp, "type {} code {}, {} bytes, checksum 0x{:04x} verified", icmp->type(), icmp->code(), icmp->size(),
        icmp->checksum());
  if (icmp->type() != icmp_type::echo_request) return drop(DropReason::icmp_type_ignored, rx);
  if (to_broadcast && !config_.answer_broadcast_echo) return drop(DropReason::ip_broadcast_echo_ignored, rx);
  counters_.count(Counter::icmpInEchos);
  // Linux sends no reply when the option's own slot for us would cross its end (a misaligned length or pointer).
  if (echo_reply_refused(ip.options(), config_.interface.address)) return drop(DropReason::ip_bad_options, rx);

  // Everything the reply needs is read before the bytes under the views are rewritten. Record Route and Timestamp
  // come back updated with our address and time (RFC 1122 §3.2.2.6); other options are not echoed.
  std::uint8_t options[40];
  const std::size_t options_length =
      echo_reply_options(ip.options(), config_.interface.address, rx.now.ms_since_midnight_ut(), options);
  const std::size_t header_length = ip.header_length();
  const std::size_t reply_header_length = kIpv4MinHeaderLength + options_length;
  const std::size_t message_length = icmp->size();
  const Ipv4Fields fields{.tos = ip.tos(),  // Linux echoes the request's TOS too
                          .total_length = static_cast<std::uint16_t>(reply_header_length + message_length),
                          .identification = next_ip_id(),
                          .dont_fragment = false,
                          .ttl = kDefaultTtl,
                          .protocol = ip_protocol::icmp,
                          .source = config_.interface.address,
                          .destination = ip.source()};

  // The reply reuses the request's bytes: the ICMP message is patched in place (RFC 1624), then slid up behind the
  // new header if that is shorter (the echoed options are never longer than the request's).
  std::uint8_t* datagram = space.data() + headroom;
  trace(Layer::icmp, "echo request id {} seq {}, {} data bytes: the reply reuses them in place", icmp->identifier(),
        icmp->sequence(), icmp->data().size());
  const std::uint16_t old_checksum = icmp->checksum();
  make_echo_reply_in_place(MutableBytes{datagram + header_length, message_length});
  trace(Layer::icmp, "echo reply: type 0, checksum 0x{:04x} -> 0x{:04x} (RFC 1624 update, data not summed again)",
        old_checksum, load_be16(datagram + header_length + 2));
  if (options_length) trace(Layer::icmp, "{} bytes of Record Route / Timestamp echoed, with our entry", options_length);
  if (reply_header_length != header_length) {
    std::memmove(datagram + reply_header_length, datagram + header_length, message_length);
  }
  write_ipv4_header(MutableBytes{datagram, reply_header_length}, fields, Bytes{options, options_length});
  counters_.count(Counter::icmpOutEchoReps);
  counters_.count(Counter::icmpOutMsgs);
  output_ipv4(space, headroom, fields.total_length, rx.link_source, rx.out, rx.frames_sent);
  return done(rx);
}

void Stack::send_unreachable(std::uint8_t code, const Ipv4View& offending, Rx& rx) {
  if (!may_send_icmp_error(offending, rx.link_broadcast, config_.interface)) {
    trace(Layer::icmp, "no destination unreachable: never about broadcasts, fragments or errors (RFC 1122 §3.2.2)");
    return;
  }
  if (!icmp_limiter_.allow(offending.source(), rx.now)) {
    trace(Layer::icmp, "no destination unreachable: over the rate limit to {}", offending.source());
    counters_.count(DropReason::icmp_error_rate_limited);
    return;
  }
  trace(Layer::icmp, "destination unreachable, code {} ({}), quoting the datagram", code,
        code == icmp_unreachable::port ? "port" : "protocol");
  // Built in tx_, apart from the datagram it quotes; at most 576 bytes, so never fragmented.
  const std::size_t l2 = config_.link == LinkLayer::ethernet ? kEthernetHeaderLength : 0;
  const std::size_t length = write_icmp_error(MutableBytes{tx_}.subspan(l2), icmp_unreachable::type, code, offending,
                                              config_.interface.address, next_ip_id());
  counters_.count(Counter::icmpOutMsgs);
  counters_.count(Counter::icmpOutDestUnreachs);
  output_ipv4(tx_, l2, length, rx.link_source, rx.out, rx.frames_sent);
}

}  // namespace ministack
