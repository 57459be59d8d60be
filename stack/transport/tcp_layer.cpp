#include "stack/transport/tcp_layer.hpp"

#include <algorithm>
#include <cstdint>

#include "stack/tcp/initial_sequence.hpp"
#include "stack/tcp/syn_cookies.hpp"

namespace ministack {

namespace {
constexpr std::uint8_t kEcnMask = 0x03;  // the low two bits of the TOS byte (RFC 3168 §5)
// The options of our SYN,ACK: MSS (RFC 9293 §3.7.1), then NOP and window scale (RFC 7323 §2.2) if the peer offered
// scaling: Linux's order.
constexpr std::size_t kMssOptionLength = 4;
constexpr std::size_t kWindowScaleOptionLength = 4;  // NOP + kind, length, shift
}  // namespace

// The Output a connection sends through while one frame (or one timer run) is handled.
class Tcp::SegmentOutput final : public tcp::Output {
 public:
  SegmentOutput(Tcp& tcp, FrameContext& frame) : tcp_(tcp), frame_(frame) {}
  void send(const tcp::Connection& connection, const tcp::Outgoing& segment) override {
    tcp_.send(connection, segment, frame_);
  }

 private:
  Tcp& tcp_;
  FrameContext& frame_;
};

namespace {
// The IPv6 source of a segment from `us`: that address itself (the one the peer connected to).
std::optional<Ipv6Address> source6_of(const IpAddress& us) {
  return us.is_v6() ? std::optional{us.v6()} : std::nullopt;
}
}  // namespace

Tcp::Tcp(StackContext& context, Network& network) : context_(context), network_(network) {}
Tcp::~Tcp() = default;

std::optional<tcp::Service> Tcp::service_on(std::uint16_t port) const {
  const tcp::Config& config = context_.config.tcp;
  if (config.echo_port == port) return tcp::Service::echo;
  if (config.discard_port == port) return tcp::Service::discard;
  return std::nullopt;
}

tcp::Connection* Tcp::find(const tcp::Endpoints& endpoints) {
  for (const auto& c : connections_) {
    if (c->endpoints() == endpoints) return c.get();
  }
  return nullptr;
}

std::size_t Tcp::half_open() const {
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [](const auto& c) { return c->half_open(); }));
}

Verdict Tcp::receive(PacketBuffer& segment, const IpContext& ip, FrameContext& frame) {
  context_.counters.count(Counter::tcpInSegs);
  const auto tcp = TcpView::parse(segment.bytes(), ip.source, ip.destination);
  if (!tcp) return context_.drop(tcp.reason(), frame);  // counts toward tcpInErrs
  if (tcp->has(tcp_flag::ack)) {
    context_.trace(Layer::tcp,
                   "port {} > {}, [{}], seq {}, ack {}, window {}, {} data bytes, checksum 0x{:04x} verified",
                   tcp->source_port(), tcp->destination_port(), TcpFlags{tcp->flags()}, tcp->sequence_number(),
                   tcp->acknowledgment_number(), tcp->window(), tcp->payload().size(), tcp->checksum());
  } else {  // the acknowledgment field means nothing without ACK (RFC 9293 §3.1); as tcpdump, not shown
    context_.trace(Layer::tcp, "port {} > {}, [{}], seq {}, window {}, {} data bytes, checksum 0x{:04x} verified",
                   tcp->source_port(), tcp->destination_port(), TcpFlags{tcp->flags()}, tcp->sequence_number(),
                   tcp->window(), tcp->payload().size(), tcp->checksum());
  }
  // RFC 1122 §4.2.3.10: a SYN to a broadcast or multicast address is silently discarded; so is anything else sent
  // there, which no connection can own.
  if (ip.to_broadcast) return context_.drop(DropReason::tcp_to_broadcast, frame);

  const tcp::Endpoints endpoints{ip.destination, tcp->destination_port(), ip.source, tcp->source_port()};
  if (tcp::Connection* connection = find(endpoints)) {
    context_.trace(Layer::tcp, "for the connection in {}", tcp::state_name(connection->state()));
    SegmentOutput out(*this, frame);
    const auto drop = connection->receive(*tcp, frame.now, out);
    forget_closed();
    return drop ? context_.drop(*drop, frame) : StackContext::handled(frame);
  }
  if (const auto service = service_on(tcp->destination_port())) return listen(segment, *tcp, ip, *service, frame);
  return refuse(segment, *tcp, ip, DropReason::tcp_port_closed, frame);
}

Verdict Tcp::listen(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, tcp::Service service,
                    FrameContext& frame) {
  // RFC 9293 §3.10.7.2, LISTEN: "An incoming RST segment could not be valid ... It should be ignored"; "any
  // acknowledgment is bad": a RST; anything without SYN is dropped.
  if (tcp.has(tcp_flag::rst)) return context_.drop(DropReason::tcp_reset_ignored, frame);
  if (tcp.has(tcp_flag::ack) && !tcp.has(tcp_flag::syn)) {
    if (const auto verdict = accept_cookie(segment, tcp, ip, service, frame)) return *verdict;
  }
  if (tcp.has(tcp_flag::ack)) return refuse(segment, tcp, ip, DropReason::tcp_bad_ack, frame);
  // SYN and FIN together make no sense on a new connection; Linux drops them too.
  if (!tcp.has(tcp_flag::syn) || tcp.has(tcp_flag::fin)) return context_.drop(DropReason::tcp_listen_no_syn, frame);
  const tcp::Config& config = context_.config.tcp;
  if (half_open() >= config.max_half_open) {
    if (!config.syn_cookies) return context_.drop(DropReason::tcp_syn_queue_full, frame);
    // A cookie only if its ACK could make a connection: else the client would think itself connected to nothing.
    if (!has_room()) return context_.drop(DropReason::tcp_too_many_connections, frame);
    return send_cookie(segment, tcp, ip, frame);
  }
  if (!make_room()) return context_.drop(DropReason::tcp_too_many_connections, frame);

  const tcp::Endpoints endpoints{ip.destination, tcp.destination_port(), ip.source, tcp.source_port()};
  const tcp::Opening opening{.endpoints = endpoints,
                             .peer_mac = frame.peer.address,
                             .service = service,
                             .iss = tcp::initial_sequence(config.isn_secret, endpoints, frame.now),
                             .mss = our_mss(ip.source),
                             .now = frame.now};
  SegmentOutput out(*this, frame);
  connections_.push_back(std::make_unique<tcp::Connection>(context_, config.connection, opening, tcp, out));
  return StackContext::handled(frame);
}

std::size_t Tcp::our_mss(const IpAddress& peer) const {
  return network_.payload_mtu(peer, context_.config.mtu) - kTcpMinHeaderLength;
}

Verdict Tcp::send_cookie(PacketBuffer& segment, const TcpView& syn, const IpContext& ip, FrameContext& frame) {
  const tcp::Config& config = context_.config.tcp;
  const std::uint16_t mss = static_cast<std::uint16_t>(
      std::min<std::size_t>(our_mss(ip.source), syn.parsed_options().mss.value_or(tcp::kCookieMss[0])));
  const tcp::Endpoints endpoints{ip.destination, syn.destination_port(), ip.source, syn.source_port()};
  const std::uint32_t cookie =
      tcp::make_syn_cookie(config.isn_secret, endpoints, syn.sequence_number(), mss, frame.now);
  last_cookie_ = frame.now;
  context_.counters.count(Counter::TcpExtSyncookiesSent);
  TcpHeader reply{.source_port = syn.destination_port(),
                  .destination_port = syn.source_port(),
                  .sequence_number = cookie,
                  .acknowledgment_number = syn.sequence_number() + 1,
                  .flags = tcp_flag::syn | tcp_flag::ack,
                  .window = static_cast<std::uint16_t>(std::min<std::size_t>(config.connection.buffer_bytes, 0xffff)),
                  .header_length = kTcpMinHeaderLength + kMssOptionLength};
  context_.trace(Layer::tcp, "{} half-open connections, the cap: a SYN cookie {} instead of state (RFC 4987 §3.6)",
                 half_open(), cookie);
  segment.resize(reply.header_length);
  // The option is the MSS we take (the cookie keeps the one we may send).
  std::uint8_t* options = segment.data() + kTcpMinHeaderLength;
  options[0] = tcp_option::mss;
  options[1] = kMssOptionLength;
  store_be16(options + 2, static_cast<std::uint16_t>(our_mss(ip.source)));
  return reply_in_place(segment, reply, ip, 0, std::nullopt, frame);
}

std::optional<Verdict> Tcp::accept_cookie(PacketBuffer& segment, const TcpView& ack, const IpContext& ip,
                                          tcp::Service service, FrameContext& frame) {
  const tcp::Config& config = context_.config.tcp;
  // Only while cookies are being sent (and for the two minutes a cookie lives): otherwise every stray ACK would be
  // a guess at one.
  if (!last_cookie_ || frame.now - *last_cookie_ > std::chrono::minutes(2)) return std::nullopt;
  const std::uint32_t iss = ack.acknowledgment_number() - 1;
  const std::uint32_t irs = ack.sequence_number() - 1;
  const tcp::Endpoints endpoints{ip.destination, ack.destination_port(), ip.source, ack.source_port()};
  const auto mss = tcp::check_syn_cookie(config.isn_secret, endpoints, irs, iss, frame.now);
  if (!mss) {
    context_.counters.count(Counter::TcpExtSyncookiesFailed);
    return std::nullopt;
  }
  // Full since the cookie went out: a RST (as Linux's tcp_abort_on_overflow), so that the client does not send into
  // a connection that does not exist.
  if (!make_room()) return refuse(segment, ack, ip, DropReason::tcp_too_many_connections, frame);
  context_.counters.count(Counter::TcpExtSyncookiesRecv);
  const tcp::Opening opening{.endpoints = endpoints,
                             .peer_mac = frame.peer.address,
                             .service = service,
                             .iss = iss,
                             .mss = std::min<std::size_t>(*mss, our_mss(ip.source)),
                             .now = frame.now};
  connections_.push_back(std::make_unique<tcp::Connection>(context_, config.connection, opening, irs));
  SegmentOutput out(*this, frame);
  const auto drop = connections_.back()->receive(ack, frame.now, out);
  forget_closed();
  return drop ? context_.drop(*drop, frame) : StackContext::handled(frame);
}

std::size_t Tcp::queued_capacity() const {
  std::size_t bytes = 0;
  for (const auto& c : connections_) bytes += c->queue().capacity();
  return bytes;
}

bool Tcp::has_room() const {
  const tcp::Config& config = context_.config.tcp;
  const auto buffered =
      static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(),
                                             [](const auto& c) { return c->state() != tcp::State::time_wait; }));
  if ((buffered + 1) * config.connection.buffer_bytes > config.total_buffer_bytes) return false;
  return connections_.size() < config.max_connections || buffered < connections_.size();
}

bool Tcp::make_room() {
  if (!has_room()) return false;
  if (connections_.size() < context_.config.tcp.max_connections) return true;
  // Full: the oldest TIME-WAIT connection gives its place (it only guards against old duplicates).
  const auto oldest = std::find_if(connections_.begin(), connections_.end(),
                                   [](const auto& c) { return c->state() == tcp::State::time_wait; });
  if (oldest == connections_.end()) return false;
  connections_.erase(oldest);
  return true;
}

void Tcp::forget_closed() {
  std::erase_if(connections_, [](const auto& c) { return c->closed(); });
}

void Tcp::poll(FrameContext& frame) {
  SegmentOutput out(*this, frame);
  for (const auto& c : connections_) {
    if (const auto at = c->next_deadline(); at && *at <= frame.now) c->poll(frame.now, out);
  }
  forget_closed();
}

std::optional<Instant> Tcp::next_deadline() const {
  std::optional<Instant> next;
  for (const auto& c : connections_) {
    const auto at = c->next_deadline();
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

void Tcp::trace_sent(const tcp::Connection& connection, const tcp::Outgoing& segment) {
  const char* again = segment.retransmission ? " (a retransmission)" : "";
  const std::uint8_t shift = connection.receive_window_shift();
  // The options, which a student would otherwise see only in tcpdump -v; a SYN's window is never scaled.
  if (segment.syn_options && connection.window_scaling()) {
    context_.trace(Layer::tcp, "sends [{}] seq {}, ack {}, window {}, options MSS {}, window scale {}{}",
                   TcpFlags{segment.flags}, segment.seq, segment.ack, segment.window,
                   our_mss(connection.endpoints().remote), shift, again);
  } else if (segment.syn_options) {
    context_.trace(Layer::tcp, "sends [{}] seq {}, ack {}, window {}, options MSS {}{}", TcpFlags{segment.flags},
                   segment.seq, segment.ack, segment.window, our_mss(connection.endpoints().remote), again);
  } else if (shift > 0 && (segment.flags & tcp_flag::rst) == 0) {
    context_.trace(Layer::tcp, "sends [{}] seq {}, ack {}, window {} (<< {} = {} bytes), {} data bytes{}",
                   TcpFlags{segment.flags}, segment.seq, segment.ack, segment.window, shift,
                   std::uint32_t{segment.window} << shift, segment.data_length, again);
  } else {
    context_.trace(Layer::tcp, "sends [{}] seq {}, ack {}, window {}, {} data bytes{}", TcpFlags{segment.flags},
                   segment.seq, segment.ack, segment.window, segment.data_length, again);
  }
}

void Tcp::send(const tcp::Connection& connection, const tcp::Outgoing& segment, FrameContext& frame) {
  if (tx_.empty()) tx_.resize(Network::kHeadroom + kTcpMaxHeaderLength + FragmentStore::kMaxDatagramLength);
  std::size_t header_length = kTcpMinHeaderLength;
  if (segment.syn_options) {
    header_length += kMssOptionLength + (connection.window_scaling() ? kWindowScaleOptionLength : 0);
  }
  PacketBuffer out(tx_, Network::kHeadroom, header_length + segment.data_length);
  std::uint8_t* options = out.data() + kTcpMinHeaderLength;
  if (segment.syn_options) {
    options[0] = tcp_option::mss;
    options[1] = 4;
    // Ours: what we can take (RFC 9293 §3.7.1), whatever the peer's (which bounds only what we send).
    store_be16(options + 2, static_cast<std::uint16_t>(our_mss(connection.endpoints().remote)));
    if (connection.window_scaling()) {
      options[4] = tcp_option::nop;
      options[5] = tcp_option::window_scale;
      options[6] = 3;
      options[7] = connection.receive_window_shift();
    }
  }
  connection.queue().copy_out(segment.data_offset, out.bytes().subspan(header_length, segment.data_length));
  const tcp::Endpoints& e = connection.endpoints();
  finish_tcp(out.bytes(),
             TcpHeader{.source_port = e.local_port,
                       .destination_port = e.remote_port,
                       .sequence_number = segment.seq,
                       .acknowledgment_number = segment.ack,
                       .flags = segment.flags,
                       .window = segment.window,
                       .header_length = header_length},
             e.local, e.remote);
  context_.counters.count(segment.retransmission ? Counter::tcpRetransSegs : Counter::tcpOutSegs);
  if ((segment.flags & tcp_flag::rst) != 0) context_.counters.count(Counter::tcpOutRsts);
  trace_sent(connection, segment);
  network_.send(out, IpSend::socket(e.remote, ip_protocol::tcp, 0, source6_of(e.local)),
                NextHop{e.remote, connection.peer_mac()}, frame);
}

Verdict Tcp::refuse(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, DropReason reason,
                    FrameContext& frame) {
  // RFC 9293 §3.10.7.1: "An incoming segment containing a RST is discarded": never a RST about a RST.
  if (tcp.has(tcp_flag::rst)) return context_.drop(DropReason::tcp_reset_ignored, frame);

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
  context_.trace(Layer::tcp, "{} port {}: {} seq {}, ack {}, window 0 (RFC 9293 {})",
                 reason == DropReason::tcp_port_closed ? "nobody listens on" : "an ACK to listening",
                 tcp.destination_port(), TcpFlags{rst.flags}, rst.sequence_number, rst.acknowledgment_number,
                 reason == DropReason::tcp_port_closed ? "§3.10.7.1" : "§3.10.7.2");
  // Built in place: the segment's own bytes are no longer needed (every value above is read).
  segment.resize(kTcpMinHeaderLength);
  // Linux sends its resets with the segment's TOS less its ECN field (RFC 3168 §6.1.1: a RST is not ECN-capable).
  return reply_in_place(segment, rst, ip, static_cast<std::uint8_t>(ip.tos & ~kEcnMask), reason, frame);
}

Verdict Tcp::reply_in_place(PacketBuffer& segment, const TcpHeader& header, const IpContext& ip, std::uint8_t tos,
                            std::optional<DropReason> drop, FrameContext& frame) {
  const IpAddress us = ip.destination;  // never a broadcast or group: those get nothing (tcp_to_broadcast)
  finish_tcp(segment.bytes(), header, us, ip.source);
  context_.counters.count(Counter::tcpOutSegs);
  if ((header.flags & tcp_flag::rst) != 0) context_.counters.count(Counter::tcpOutRsts);
  // DF, as Linux's control socket sends (it does path MTU discovery).
  network_.send(segment, IpSend::socket(ip.source, ip_protocol::tcp, tos, source6_of(us)),
                NextHop::answering(ip.source, frame), frame);
  return drop ? context_.drop(*drop, frame) : StackContext::handled(frame);
}

}  // namespace ministack
