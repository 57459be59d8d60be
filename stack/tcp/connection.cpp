// Segment arrival (RFC 9293 §3.10.7.4) and the state changes it causes. Sending and timers: connection_output.cpp.
#include "stack/tcp/connection.hpp"

#include <algorithm>

#include "stack/tcp/sequence.hpp"

namespace ministack::tcp {

namespace {
// The MSS assumed when the peer sends none (RFC 9293 §3.7.1, RFC 1122 §4.2.2.6).
constexpr std::size_t kDefaultMss = 536;
constexpr std::size_t kMinSendMss = 48;
bool synchronized_established(State s) { return s == State::established || s == State::close_wait; }
}  // namespace

std::string_view state_name(State state) {
  constexpr std::string_view kNames[] = {"SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
                                         "CLOSING",      "LAST-ACK",    "TIME-WAIT",  "CLOSED"};
  return kNames[static_cast<std::size_t>(state)];
}

Connection::Connection(StackContext& context, const ConnectionLimits& limits, const Opening& opening,
                       const TcpView& syn, Output& out)
    : context_(context),
      limits_(limits),
      endpoints_(opening.endpoints),
      peer_mac_(opening.peer_mac),
      service_(opening.service),
      iss_(opening.iss),
      snd_una_(opening.iss),
      snd_nxt_(opening.iss + 1),
      snd_max_(opening.iss + 1),
      irs_(syn.sequence_number()),
      rcv_nxt_(syn.sequence_number() + 1),
      last_heard_(opening.now) {
  const std::size_t mss = opening.mss;
  const TcpOptions& options = syn.parsed_options();
  mss_ = std::min(mss, std::size_t{options.mss.value_or(kDefaultMss)});
  if (mss_ == 0) mss_ = kDefaultMss;  // an MSS option of 0 would stall the connection
  // A tiny MSS would make every byte a segment of its own (CVE-2019-11479): Linux's floor, tcp_min_snd_mss.
  mss_ = std::max(mss_, kMinSendMss);
  // RFC 7323 §2.2: scaling is on only if both SYNs carry the option; ours then carries the shift that lets the
  // buffer's size fit the 16-bit field.
  if (options.window_scale) {
    window_scaling_ = true;
    snd_wscale_ = std::min(*options.window_scale, kMaxWindowShift);
    rcv_wscale_ = window_shift_for(limits_.buffer_bytes);
  }
  snd_wnd_ = syn.window();  // never scaled in a SYN (RFC 7323 §2.2)
  recover_ = iss_;          // RFC 6582 §3.2 (1)
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = syn.sequence_number();
  // RFC 5681 §3.1 allows up to 4 segments; RFC 6928 (and Linux) start with 10.
  cwnd_ = 10 * mss_;
  ssthresh_ = SIZE_MAX;
  context_.counters.count(Counter::tcpPassiveOpens);
  context_.trace(Layer::tcp,
                 "LISTEN → SYN-RECEIVED: a SYN for the {} service; ISS {}, peer MSS {} (ours {}), window scale {} "
                 "(RFC 9293 §3.10.7.2)",
                 service_ == Service::echo ? "echo" : "discard", iss_, options.mss.value_or(kDefaultMss), mss,
                 window_scaling_ ? fmt::format("{} (ours {})", snd_wscale_, rcv_wscale_) : std::string{"not offered"});
  send_syn_ack(out, false);
  retransmit_at_ = opening.now + timer_.rto();
}

Connection::Connection(StackContext& context, const ConnectionLimits& limits, const Opening& opening, std::uint32_t irs)
    : context_(context),
      limits_(limits),
      endpoints_(opening.endpoints),
      peer_mac_(opening.peer_mac),
      service_(opening.service),
      iss_(opening.iss),
      snd_una_(opening.iss + 1),
      snd_nxt_(opening.iss + 1),
      snd_max_(opening.iss + 1),
      snd_wl1_(irs),  // before the ACK's sequence number, so that the ACK's window is taken
      mss_(opening.mss),
      irs_(irs),
      rcv_nxt_(irs + 1),
      rcv_wnd_(std::min<std::size_t>(limits.buffer_bytes, 0xffff)),  // what the cookie's SYN,ACK advertised
      last_heard_(opening.now),
      cwnd_(10 * opening.mss),
      ssthresh_(SIZE_MAX),
      recover_(opening.iss) {  // RFC 6582 §3.2 (1)
  context_.counters.count(Counter::tcpPassiveOpens);
  queue_.allocate(queue_capacity());
  enter(State::established, fmt::format("a SYN cookie came back: MSS {}, no window scaling (RFC 4987 §3.6)", mss_));
}

void Connection::enter(State next, std::string_view why) {
  context_.trace(Layer::tcp, "{} → {}: {}", state_name(state_), state_name(next), why);
  const bool was = synchronized_established(state_), is = synchronized_established(next);
  if (!was && is) context_.counters.count(Counter::tcpCurrEstab);
  if (was && !is) context_.counters.uncount(Counter::tcpCurrEstab);
  state_ = next;
  // Everything we sent is acknowledged before TIME-WAIT (our FIN, last): the queue goes, so that the connections
  // waiting there hold no buffer (Tcp::make_room() does not count them).
  if (next == State::time_wait || next == State::closed) queue_.release();
  if (next == State::closed) {
    retransmit_at_.reset();
    persist_at_.reset();
    delayed_ack_at_.reset();
    state_timer_at_.reset();
  }
}

void Connection::abort(std::string_view why) {
  if (state_ == State::syn_received) context_.counters.count(Counter::tcpAttemptFails);
  if (synchronized_established(state_)) context_.counters.count(Counter::tcpEstabResets);
  enter(State::closed, why);
}

std::optional<DropReason> Connection::receive(const TcpView& segment, Instant now, Output& out) {
  last_heard_ = now;
  probes_unanswered_ = 0;
  const std::uint32_t seq = segment.sequence_number();
  // SYN-RECEIVED and the SYN again: our SYN,ACK was lost or is late; answer it again (as Linux does).
  if (state_ == State::syn_received && segment.has(tcp_flag::syn) && !segment.has(tcp_flag::ack) && seq == irs_) {
    context_.trace(Layer::tcp, "the SYN again: our SYN,ACK is sent again (RFC 9293 §3.8.1)");
    send_syn_ack(out, true);
    return std::nullopt;
  }
  // First, the sequence number: RFC 9293 §3.10.7.4's acceptability test. With one exception, as Linux's
  // tcp_sequence(): a segment without data at exactly the right edge. A peer that has sent all our window allows,
  // the first of it lost, sends its ACKs there; the RFC's table refuses them, and with them the acknowledgment of
  // what we sent, so both sides would wait for their retransmission timers.
  const std::uint32_t right_edge = rcv_nxt_ + static_cast<std::uint32_t>(rcv_wnd_);
  const bool at_right_edge = segment.segment_length() == 0 && seq == right_edge && !segment.has(tcp_flag::rst);
  if (!at_right_edge && !acceptable(seq, segment.segment_length(), rcv_nxt_, static_cast<std::uint32_t>(rcv_wnd_))) {
    context_.trace(Layer::tcp,
                   "seq {} (+{}) is outside the receive window [{}, {}+{}): not acceptable "
                   "(RFC 9293 §3.10.7.4)",
                   seq, segment.segment_length(), rcv_nxt_, rcv_nxt_, rcv_wnd_);
    const bool fin_again = state_ == State::time_wait && segment.has(tcp_flag::fin) &&
                           seq + segment.segment_length() == rcv_nxt_;
    if (fin_again) {
      send_ack(out);
    } else if (!segment.has(tcp_flag::rst)) {
      answer_invalid(segment, now, out, false);
    }
    if (fin_again) {
      // The peer's FIN again: our ACK of it was lost. Restart the 2 MSL timeout (RFC 9293 §3.10.7.4, TIME-WAIT),
      // as Linux does for a duplicate FIN.
      context_.trace(Layer::tcp,
                     "the peer's FIN again in TIME-WAIT: acknowledged, 2 MSL from now (RFC 9293 §3.10.7.4)");
      state_timer_at_ = now + limits_.time_wait;
    }
    return DropReason::tcp_out_of_window;
  }
  // Second, RST (RFC 5961 §3.2): only one at exactly RCV.NXT resets; another in the window draws a challenge ACK.
  if (segment.has(tcp_flag::rst)) return receive_reset(segment, now, out);
  // Fourth, SYN in a synchronized state (RFC 5961 §4.2): a challenge ACK; the peer, if it restarted, answers it
  // with a RST that resets us.
  if (segment.has(tcp_flag::syn)) {
    context_.trace(Layer::tcp, "a SYN inside the window: challenge ACK (RFC 5961 §4.2)");
    answer_invalid(segment, now, out, true);
    return DropReason::tcp_syn_challenged;
  }
  // Fifth, the ACK field: "if the ACK bit is off, drop the segment".
  if (!segment.has(tcp_flag::ack)) return DropReason::tcp_no_ack;
  if (const auto drop = receive_ack(segment, now, out)) return drop;
  if (closed()) return std::nullopt;
  // Seventh and eighth: the text and FIN.
  const auto drop = receive_text(segment, now);
  transmit(now, out);
  return drop;
}

std::optional<DropReason> Connection::receive_reset(const TcpView& segment, Instant now, Output& out) {
  const std::uint32_t seq = segment.sequence_number();
  if (seq != rcv_nxt_) {
    context_.trace(Layer::tcp, "a RST at seq {}, in the window but not RCV.NXT {}: challenge ACK (RFC 5961 §3.2)", seq,
                   rcv_nxt_);
    answer_invalid(segment, now, out, true);
    return DropReason::tcp_reset_challenged;
  }
  abort(state_ == State::syn_received ? "reset by the peer; back to LISTEN (RFC 9293 §3.10.7.4)"
                                      : "reset by the peer (RFC 9293 §3.10.7.4)");
  return std::nullopt;
}

std::optional<DropReason> Connection::receive_ack(const TcpView& segment, Instant now, Output& out) {
  const std::uint32_t ack = segment.acknowledgment_number();
  const std::uint32_t seq = segment.sequence_number();
  if (state_ == State::syn_received) {
    if (!(seq_lt(snd_una_, ack) && seq_le(ack, snd_nxt_))) {
      // "If the segment acknowledgment is not acceptable, form a reset segment, <SEQ=SEG.ACK><CTL=RST>".
      out.send(*this, Outgoing{.seq = ack, .flags = tcp_flag::rst});
      return DropReason::tcp_bad_ack;
    }
    queue_.allocate(queue_capacity());
    enter(State::established, "our SYN is acknowledged (RFC 9293 §3.5)");
    snd_wl1_ = seq - 1;  // so that this segment's window is taken below
  }
  // RFC 5961 §5.2: an ACK for data never sent, or older than the largest window, is answered with an ACK and dropped.
  // (SND.NXT goes back after a retransmission timeout; what was sent before that is SND.MAX.)
  if (seq_gt(ack, snd_max_)) {
    answer_invalid(segment, now, out, true);
    return DropReason::tcp_ack_unsent;
  }
  if (seq_lt(ack, snd_una_ - static_cast<std::uint32_t>(max_snd_wnd_))) {
    answer_invalid(segment, now, out, true);
    return DropReason::tcp_ack_too_old;
  }
  const std::size_t window = std::size_t{segment.window()} << snd_wscale_;
  if (seq_lt(snd_una_, ack)) {
    if (take_new_ack(ack, now)) resend_first(out);
  } else if (ack == snd_una_ && segment.payload().empty() && !segment.has(tcp_flag::fin) && window == snd_wnd_ &&
             snd_una_ != snd_nxt_) {
    count_duplicate_ack(out);  // RFC 5681 §2's duplicate: no data, same window, data outstanding
  }
  // Send window update, with SND.WL1/WL2 so that an old segment cannot shrink it (§3.10.7.4).
  if (seq_lt(snd_wl1_, seq) || (snd_wl1_ == seq && seq_le(snd_wl2_, ack))) {
    if (window > snd_wnd_ && snd_wnd_ == 0) persist_at_.reset();
    snd_wnd_ = window;
    max_snd_wnd_ = std::max(max_snd_wnd_, window);
    snd_wl1_ = seq;
    snd_wl2_ = ack;
  }
  // Our FIN acknowledged.
  if (fin_sent_ && seq_gt(ack, fin_seq_)) {
    if (state_ == State::fin_wait_1) {
      enter(State::fin_wait_2, "our FIN is acknowledged (RFC 9293 §3.6)");
      state_timer_at_ = now + limits_.fin_wait_2;
    } else if (state_ == State::closing) {
      enter(State::time_wait, "our FIN is acknowledged; waiting 2 MSL (RFC 9293 §3.6)");
      state_timer_at_ = now + limits_.time_wait;
    } else if (state_ == State::last_ack) {
      enter(State::closed, "our FIN is acknowledged (RFC 9293 §3.6)");
    }
  }
  return std::nullopt;
}

bool Connection::take_new_ack(std::uint32_t ack, Instant now) {
  std::uint32_t acked = ack - snd_una_;
  if (snd_una_ == iss_) --acked;                    // our SYN
  if (fin_sent_ && seq_gt(ack, fin_seq_)) --acked;  // our FIN
  const std::size_t bytes = std::min<std::size_t>(acked, queue_.size());
  queue_.pop(bytes);
  if (snd_una_ != iss_ || bytes > 0) {  // (our SYN's ACK alone: the state change says so)
    context_.trace(Layer::tcp, "SEG.ACK {} acknowledges {} bytes{}: SND.UNA moves there (RFC 9293 §3.10.7.4)", ack,
                   bytes, fin_sent_ && seq_gt(ack, fin_seq_) ? " and our FIN" : "");
  }
  // The echo's window is its queue's free space: when an ACK frees enough of it, say so at once, else a peer facing
  // a small window waits for its persist timer. Enough: by min(buffer / 2, MSS) (RFC 1122 §4.2.3.3) and at least
  // double (as Linux's __tcp_cleanup_rbuf), so that a window that is already open is not announced segment by segment.
  const std::size_t free = free_space();
  if (service_ == Service::echo && free >= rcv_wnd_ + std::min(limits_.buffer_bytes / 2, mss_) &&
      free >= 2 * rcv_wnd_) {
    ack_now_ = true;
  }
  snd_una_ = ack;
  if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;  // after a go-back-N, an ACK for what was sent before
  // RFC 6298 §3 with Karn's rule: only a segment sent once times the round trip.
  if (timing_ && seq_ge(ack, timed_seq_)) {
    timer_.sample(now - timed_at_);
    timing_ = false;
  }
  retries_ = 0;
  // RFC 6298 §5.2-5.3: all acknowledged, stop the timer; else restart it.
  retransmit_at_.reset();
  if (snd_una_ != snd_nxt_) retransmit_at_ = now + timer_.rto();
  duplicate_acks_ = 0;
  if (in_recovery_ && seq_lt(ack, recover_)) {
    // RFC 6582 §3.2 (5), NewReno: a partial ACK means the next hole was lost too; it goes at once rather than at
    // the RTO. The window deflates by what was acknowledged, and grows by a segment if that was one or more.
    cwnd_ = cwnd_ - std::min(cwnd_, bytes) + (bytes >= mss_ ? mss_ : 0);
    context_.trace(Layer::tcp, "partial ACK {} in fast recovery (until {}): the next hole is resent (RFC 6582 §3.2)",
                   ack, recover_);
    return true;
  }
  // RFC 5681 §3.1-3.2: slow start, congestion avoidance, and the end of a fast recovery (RFC 6582 §3.2 (6): a full
  // ACK; the window deflates to ssthresh, or a segment more than the flight if that is less).
  if (in_recovery_) {
    cwnd_ = std::min(ssthresh_, flight_size() + mss_);
    in_recovery_ = false;
  } else if (cwnd_ < ssthresh_) {
    cwnd_ += std::min(bytes, mss_);
  } else {
    cwnd_ += std::max<std::size_t>(1, mss_ * mss_ / cwnd_);
  }
  return false;
}

void Connection::count_duplicate_ack(Output& out) {
  ++duplicate_acks_;
  // RFC 6582 §3.2 (2): not for data that an RTO already resends (SND.UNA at or below "recover").
  if (duplicate_acks_ == 3 && !in_recovery_ && seq_gt(snd_una_, recover_)) {
    // RFC 5681 §3.2: fast retransmit, then fast recovery until everything sent so far is acknowledged.
    ssthresh_ = std::max(flight_size() / 2, 2 * mss_);
    recover_ = snd_max_;
    context_.trace(Layer::tcp, "three duplicate ACKs for {}: fast retransmit; ssthresh {} (RFC 5681 §3.2)", snd_una_,
                   ssthresh_);
    resend_first(out);
    cwnd_ = ssthresh_ + 3 * mss_;
    in_recovery_ = true;
  } else if (in_recovery_) {
    cwnd_ += mss_;  // each further duplicate means a segment has left the network
  }
}

void Connection::answer_invalid(const TcpView& segment, Instant now, Output& out, bool challenge) {
  // A segment with data outside the window is no ACK loop, and a retransmission needs its duplicate ACK.
  if (!challenge && !segment.payload().empty() && !segment.has(tcp_flag::syn)) {
    send_ack(out);
    return;
  }
  if (last_invalid_ack_ && now - *last_invalid_ack_ < kInvalidAckInterval) {
    context_.trace(Layer::tcp, "no ACK: one went less than {} ms ago (RFC 5961 §7, Linux's tcp_invalid_ratelimit)",
                   kInvalidAckInterval.count());
    return;
  }
  last_invalid_ack_ = now;
  send_ack(out);
}

void Connection::resend_first(Output& out) {
  const std::size_t length = std::min(bytes_sent_unacked(), mss_);
  send_data(0, length, fin_sent_ && length == bytes_sent_unacked(), out);
  timing_ = false;  // Karn's rule: no sample while a retransmission is outstanding
}

std::optional<DropReason> Connection::receive_text(const TcpView& segment, Instant now) {
  if (state_ != State::established && state_ != State::fin_wait_1 && state_ != State::fin_wait_2) {
    return std::nullopt;  // after the peer's FIN: "ignore the segment text" (§3.10.7.4)
  }
  Bytes data = segment.payload();
  std::uint32_t seq = segment.sequence_number();
  bool fin = segment.has(tcp_flag::fin);
  if (data.empty() && !fin) return std::nullopt;  // an ACK alone: no text, and no ACK for it (as Linux)
  if (seq_lt(seq, rcv_nxt_)) {                    // the front was received before
    const std::size_t old = rcv_nxt_ - seq;
    if (old > data.size()) return std::nullopt;
    data = data.subspan(old);
    seq = rcv_nxt_;
  }
  const std::size_t gap = seq - rcv_nxt_;
  if (gap + data.size() > rcv_wnd_) {  // beyond the window: cut (and so is a FIN after it)
    data = data.first(rcv_wnd_ > gap ? rcv_wnd_ - gap : 0);
    fin = false;
  }
  if (gap > 0) {
    // Past a hole: held, and an immediate duplicate ACK tells the sender where the hole is (RFC 5681 §4.2).
    ack_now_ = true;
    if (!hold(seq, data, fin)) return DropReason::tcp_out_of_order;
    context_.trace(Layer::tcp,
                   "seq {} is {} bytes past RCV.NXT {}: {} bytes held out of order ({} runs); duplicate "
                   "ACK (RFC 5681 §4.2)",
                   seq, gap, rcv_nxt_, data.size(), held_.size());
    return std::nullopt;
  }
  if (!data.empty()) take_in_order(data, now);
  if (fin) {
    receive_fin(now);
  } else {
    take_held(now);
  }
  return std::nullopt;
}

void Connection::take_in_order(Bytes data, Instant now) {
  if (service_ == Service::echo) queue_.push(data);  // fits: the window is the queue's free space
  rcv_nxt_ += static_cast<std::uint32_t>(data.size());
  rcv_wnd_ -= std::min(data.size(), rcv_wnd_);
  context_.trace(Layer::tcp, "{} bytes in order: the {} service {}; RCV.NXT {}", data.size(),
                 service_ == Service::echo ? "echo" : "discard",
                 service_ == Service::echo ? "queues them to send back (RFC 862)" : "drops them (RFC 863)", rcv_nxt_);
  // RFC 1122 §4.2.3.2 and RFC 5681 §4.2: an ACK for at least every second full-sized segment, else within the
  // delayed-ACK time; at once when data fill a hole.
  if (++unacked_segments_ >= 2 || data.size() < mss_ || !held_.empty()) {
    ack_now_ = true;
  } else if (!delayed_ack_at_) {
    delayed_ack_at_ = now + limits_.delayed_ack;
  }
}

bool Connection::hold(std::uint32_t seq, Bytes data, bool fin) {
  if (fin) held_fin_ = seq + static_cast<std::uint32_t>(data.size());
  if (data.empty()) return true;
  // Merged with every run it overlaps or touches; the list stays sorted.
  Run run{seq, seq + static_cast<std::uint32_t>(data.size())};
  auto first = held_.begin();
  while (first != held_.end() && seq_lt(first->end, run.begin)) ++first;
  auto last = first;
  while (last != held_.end() && seq_le(last->begin, run.end)) {
    if (seq_lt(last->begin, run.begin)) run.begin = last->begin;
    if (seq_gt(last->end, run.end)) run.end = last->end;
    ++last;
  }
  if (first == last && held_.size() >= limits_.max_out_of_order) return false;
  held_.insert(held_.erase(first, last), run);
  // The bytes go where they will be once the hole is filled: the queue's free space, which the window reserves.
  if (service_ == Service::echo) queue_.write_ahead(seq - rcv_nxt_, data);
  return true;
}

void Connection::take_held(Instant now) {
  while (!held_.empty() && seq_le(held_.front().begin, rcv_nxt_)) {
    const Run run = held_.front();
    held_.erase(held_.begin());
    if (!seq_gt(run.end, rcv_nxt_)) continue;
    const std::size_t n = run.end - rcv_nxt_;
    if (service_ == Service::echo) queue_.commit(n);
    rcv_nxt_ = run.end;
    rcv_wnd_ -= std::min(n, rcv_wnd_);
    ack_now_ = true;
    context_.trace(Layer::tcp, "the hole is filled: {} held bytes follow; RCV.NXT {}", n, rcv_nxt_);
  }
  if (held_fin_ && *held_fin_ == rcv_nxt_) {
    held_fin_.reset();
    receive_fin(now);
  }
}

void Connection::receive_fin(Instant now) {
  rcv_nxt_ += 1;
  ack_now_ = true;
  // The services close when their peer does: echo once everything is sent back.
  fin_queued_ = true;
  if (state_ == State::established) {
    enter(State::close_wait, "the peer's FIN; the service closes too (RFC 9293 §3.6)");
  } else if (state_ == State::fin_wait_1) {
    enter(State::closing, "the peer's FIN crosses ours (RFC 9293 §3.6)");
  } else if (state_ == State::fin_wait_2) {
    enter(State::time_wait, "the peer's FIN; waiting 2 MSL (RFC 9293 §3.6)");
    state_timer_at_ = now + limits_.time_wait;
  }
}

}  // namespace ministack::tcp
