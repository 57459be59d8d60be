// ICMPv6 messages (RFC 4443): dispatch by type, echo replies, and the errors the stack sends.
#include "stack/transport/icmpv6_layer.hpp"

#include <algorithm>
#include <cassert>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv6.hpp"

namespace ministack {

namespace {

// RFC 4443 §2.4 (c): an error packet is at most the minimum MTU, so it is never fragmented.
constexpr std::size_t kMaxQuote = kIpv6MinMtu - kIpv6HeaderLength - kIcmpv6HeaderLength;

// As Linux's is_ineligible(): whether `datagram` is one no error may be about (RFC 4443 §2.4 (e.1), (e.2)): an
// ICMPv6 error or redirect, or a packet whose upper-layer type cannot be read past its extension headers (a fragment
// other than the first, or a header chain cut short).
bool ineligible_for_errors(Bytes datagram) {
  std::uint8_t next = datagram[ipv6_field::next_header];
  std::size_t at = kIpv6HeaderLength;
  for (;;) {
    if (next == ip_protocol::icmpv6) {
      return at >= datagram.size() || datagram[at] < 128 || datagram[at] == icmpv6_type::redirect;
    }
    if (!is_ipv6_extension(next)) return false;  // another upper layer
    const auto length = ipv6_extension_length(next, datagram.subspan(at));
    if (!length) return true;
    if (next == ip_protocol::ipv6_fragment && Ipv6FragmentHeader::read(datagram.data() + at).offset != 0) return true;
    next = datagram[at];
    at += *length;
  }
}

}  // namespace

bool may_send_icmpv6_error(const IpContext& offending, bool even_to_multicast) {
  const Ipv6Address source = offending.source.v6();
  // (e.6): a source that does not name one node.
  if (source.is_unspecified() || source.is_multicast()) return false;
  // (e.3)-(e.5): to a multicast address, or as a link-layer multicast or broadcast.
  if (!even_to_multicast && (offending.to_broadcast || offending.link_broadcast)) return false;
  // (e.1), (e.2): about an ICMPv6 error or a redirect, or a message whose type cannot be read.
  return !ineligible_for_errors(offending.datagram);
}

std::size_t write_icmpv6_error(MutableBytes out, std::uint8_t type, std::uint8_t code, std::uint32_t parameter,
                               const IpContext& offending, const Ipv6Address& source) {
  const Bytes quote = offending.datagram.first(std::min(offending.datagram.size(), kMaxQuote));
  const std::size_t length = kIcmpv6HeaderLength + quote.size();
  assert(out.size() >= length);
  std::uint8_t* p = out.data();
  p[0] = type;
  p[1] = code;
  store_be32(p + 4, parameter);  // unused (0), or the pointer of a parameter problem
  std::copy(quote.begin(), quote.end(), p + kIcmpv6HeaderLength);
  finish_icmpv6(out.first(length), source, offending.source.v6());
  return length;
}

Icmpv6::Icmpv6(StackContext& context, Ipv6& ip, Link& link)
    : context_(context),
      ip_(ip),
      link_(link),
      limiter_(context.config.icmp_rate),
      tx_(Network::kHeadroom + kIpv6MinMtu) {}

Verdict Icmpv6::receive(PacketBuffer& message, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::Icmp6InMsgs);
  const auto icmp = Icmpv6View::parse(message.bytes(), ip.source.v6(), ip.destination.v6());
  if (!icmp) return context_.drop(icmp.reason(), frame);
  context_.trace(Layer::icmpv6, "type {} code {}, {} bytes, checksum 0x{:04x} verified (with the pseudo-header)",
                 icmp->type(), icmp->code(), icmp->size(), icmp->checksum());
  const std::uint8_t type = icmp->type();
  if (ip.source.v6().is_unspecified() && type != icmpv6_type::neighbor_solicitation) {
    return context_.drop(DropReason::ipv6_bad_source, frame);
  }
  switch (type) {
    case icmpv6_type::echo_request: return echo(message, *icmp, ip, frame);
    case icmpv6_type::neighbor_solicitation: return neighbor_solicitation(message, *icmp, ip, frame);
    case icmpv6_type::neighbor_advertisement: return neighbor_advertisement(*icmp, ip, frame);
    case icmpv6_type::router_solicitation:
    case icmpv6_type::router_advertisement:
    case icmpv6_type::redirect: return context_.drop(DropReason::nd_router_ignored, frame);
    case icmpv6_type::mld_query:
    case icmpv6_type::mld_report:
    case icmpv6_type::mld_done:
    case icmpv6_type::mld2_report: return context_.drop(DropReason::mld_ignored, frame);
    default: return context_.drop(DropReason::icmp6_type_ignored, frame);
  }
}

Verdict Icmpv6::echo(PacketBuffer& message, const Icmpv6View& request, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::Icmp6InEchos);
  // RFC 4443 §4.2: the reply comes from the address the request was sent to, or, for a multicast request (which
  // Linux answers: net.ipv6.icmp.echo_ignore_multicast is 0), from one of ours.
  const Ipv6Address to = ip.destination.v6();
  const Ipv6Address peer = ip.source.v6();
  const Ipv6Address source = ip_.reply_source(to, peer);
  context_.trace(Layer::icmpv6, "echo request id {} seq {}, {} data bytes: the reply reuses them in place",
                 request.identifier(), request.sequence(), request.size() - kIcmpv6HeaderLength);
  const std::uint16_t old_checksum = request.checksum();
  const std::uint8_t code = request.code();
  message.resize(request.size());
  message.data()[0] = icmpv6_type::echo_reply;
  if (source == to) {
    // The pseudo-header's addresses swap places: the same words. Only the type changes (RFC 1624).
    store_be16(message.data() + 2,
               checksum_update16(old_checksum, static_cast<std::uint16_t>(icmpv6_type::echo_request << 8 | code),
                                 static_cast<std::uint16_t>(icmpv6_type::echo_reply << 8 | code)));
  } else {
    finish_icmpv6(message.bytes(), source, peer);
  }
  context_.trace(Layer::icmpv6, "echo reply: type 129, from {}, checksum 0x{:04x} -> 0x{:04x}", source, old_checksum,
                 load_be16(message.data() + 2));
  context_.counters.count(Counter::Icmp6OutEchoReplies);
  context_.counters.count(Counter::Icmp6OutMsgs);
  ip_.send(message, IpSend::control(ip.source, ip_protocol::icmpv6, ip.tos, source),
           NextHop::answering(ip.source, frame), frame);
  return StackContext::handled(frame);
}

void Icmpv6::port_unreachable(const IpContext& offending, FrameContext& frame) {
  send_error(icmpv6_type::destination_unreachable, icmpv6_code::port_unreachable, 0, offending, false, frame);
}

void Icmpv6::parameter_problem(const IpContext& offending, std::uint8_t code, std::uint32_t pointer,
                               bool even_to_multicast, FrameContext& frame) {
  send_error(icmpv6_type::parameter_problem, code, pointer, offending, even_to_multicast, frame);
}

void Icmpv6::send_error(std::uint8_t type, std::uint8_t code, std::uint32_t parameter, const IpContext& offending,
                        bool even_to_multicast, FrameContext& frame) {
  const char* what = type == icmpv6_type::parameter_problem ? "parameter problem" : "destination unreachable";
  if (!may_send_icmpv6_error(offending, even_to_multicast)) {
    context_.trace(Layer::icmpv6, "no {}: never about errors, multicast or an unspecified source (RFC 4443 §2.4)",
                   what);
    return;
  }
  if (!limiter_.allow(offending.source, frame.now)) {
    context_.trace(Layer::icmpv6, "no {}: over the rate limit to {}", what, offending.source);
    context_.counters.count(DropReason::icmp_error_rate_limited);
    return;
  }
  const Ipv6Address source = ip_.reply_source(offending.destination.v6(), offending.source.v6());
  context_.trace(Layer::icmpv6, "{}, code {}, {} {}, quoting the packet (RFC 4443)", what, code,
                 type == icmpv6_type::parameter_problem ? "pointer" : "unused", parameter);
  PacketBuffer message(tx_, Network::kHeadroom, 0);
  message.resize(write_icmpv6_error(message.to_end(), type, code, parameter, offending, source));
  context_.counters.count(Counter::Icmp6OutMsgs);
  context_.counters.count(type == icmpv6_type::parameter_problem ? Counter::Icmp6OutParmProblems
                                                                 : Counter::Icmp6OutDestUnreachs);
  ip_.send(message, IpSend::control(offending.source, ip_protocol::icmpv6, 0, source),
           NextHop::answering(offending.source, frame), frame);
}

}  // namespace ministack
