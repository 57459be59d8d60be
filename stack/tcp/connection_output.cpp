// What a connection sends (data within the send and congestion windows, FIN, ACKs, window probes) and its timers
// (RFC 6298 retransmission, §3.8.6.1 persist, RFC 1122 §4.2.3.2 delayed ACK, idle, FIN-WAIT-2, TIME-WAIT).
#include <algorithm>

#include "stack/tcp/connection.hpp"
#include "stack/tcp/sequence.hpp"

namespace ministack::tcp {

namespace {
// Linux's bound on the persist timer's back-off (TCP_RTO_MAX); RFC 1122 §4.2.2.17 only says to keep probing.
constexpr Duration kMaxPersist = RetransmitTimer::kMax;
}  // namespace

std::size_t Connection::bytes_sent_unacked() const {
  std::size_t n = snd_nxt_ - snd_una_;
  if (state_ == State::syn_received) return 0;
  if (fin_sent_ && seq_gt(snd_nxt_, fin_seq_)) --n;
  return std::min(n, queue_.size());
}

std::size_t Connection::flight_size() const { return bytes_sent_unacked(); }

std::uint8_t window_shift_for(std::size_t buffer_bytes) {
  std::uint8_t shift = 0;
  while ((buffer_bytes >> shift) > 0xffff && shift < kMaxWindowShift) ++shift;
  return shift;
}

std::size_t queue_capacity(std::size_t buffer_bytes, std::uint8_t shift) {
  constexpr std::size_t kSlackGranules = 16;  // room for the bytes that keeping the right edge costs
  return buffer_bytes + (kSlackGranules << shift);
}

std::size_t Connection::queue_capacity() const { return tcp::queue_capacity(limits_.buffer_bytes, rcv_wscale_); }

std::size_t Connection::free_space() const {
  // The echo service's space is what its queue can still take; discard takes anything.
  if (service_ != Service::echo) return limits_.buffer_bytes;
  return limits_.buffer_bytes - std::min(queue_.size(), limits_.buffer_bytes);
}

std::uint16_t Connection::advertised_window() {
  // The window is the free space, which the 16-bit field can say only in granules of 2^shift (RFC 7323 §2.3).
  // Rounded down, it would move the right edge left whenever odd amounts arrive, which a receiver should not do
  // (RFC 9293 §3.8.6, SHLD-14); so, as Linux's tcp_select_window, the old window is rounded up instead. That can
  // offer a few bytes more than the buffer, which the queue's slack takes. Only when the slack is spent too does
  // the field round down: the retraction of less than a granule that RFC 7323 §2.4 warns senders of. The bytes
  // offered before are still taken.
  const std::size_t granule = std::size_t{1} << rcv_wscale_;
  const std::size_t max = std::size_t{0xffff} << rcv_wscale_;
  std::size_t window = std::min(free_space(), max) & ~(granule - 1);
  if (window < rcv_wnd_) {
    const std::size_t room = service_ == Service::echo ? queue_.free() : SIZE_MAX;
    window = std::min((rcv_wnd_ + granule - 1) & ~(granule - 1), std::min(room, max) & ~(granule - 1));
  }
  rcv_wnd_ = std::max(window, rcv_wnd_);
  unacked_segments_ = 0;
  ack_now_ = false;
  delayed_ack_at_.reset();
  return static_cast<std::uint16_t>(window >> rcv_wscale_);
}

void Connection::send_syn_ack(Output& out, bool retransmission) {
  // The SYN's window is never scaled (RFC 7323 §2.2).
  const std::size_t free = std::min<std::size_t>(limits_.buffer_bytes, 0xffff);
  rcv_wnd_ = free;
  out.send(*this, Outgoing{.seq = iss_,
                           .ack = rcv_nxt_,
                           .flags = tcp_flag::syn | tcp_flag::ack,
                           .window = static_cast<std::uint16_t>(free),
                           .syn_options = true,
                           .retransmission = retransmission});
}

void Connection::send_ack(Output& out) {
  out.send(*this, Outgoing{.seq = snd_nxt_, .ack = rcv_nxt_, .flags = tcp_flag::ack, .window = advertised_window()});
}

void Connection::send_data(std::size_t offset, std::size_t length, bool fin, Output& out) {
  const auto seq = snd_una_ + static_cast<std::uint32_t>(offset);
  std::uint8_t flags = tcp_flag::ack;
  if (length > 0 && offset + length == queue_.size()) flags |= tcp_flag::psh;  // the last of what we have
  if (fin) flags |= tcp_flag::fin;
  const bool retransmission = seq_lt(seq, snd_max_);
  out.send(*this, Outgoing{.seq = seq,
                           .ack = rcv_nxt_,
                           .flags = flags,
                           .window = advertised_window(),
                           .data_offset = offset,
                           .data_length = length,
                           .retransmission = retransmission});
}

void Connection::transmit(Instant now, Output& out) {
  if (state_ == State::syn_received || state_ == State::closed) return;
  const std::size_t window = std::min(snd_wnd_, cwnd_);
  for (;;) {
    const std::size_t sent = bytes_sent_unacked();
    const std::size_t unsent = queue_.size() - sent;
    if (unsent == 0 || sent >= window) break;
    const std::size_t length = std::min({unsent, mss_, window - sent});
    const bool fin_out = fin_sent_ && seq_gt(snd_nxt_, fin_seq_);
    const bool last = length == unsent && fin_queued_ && !fin_out;
    send_data(sent, length, last, out);
    const auto end = snd_nxt_ + static_cast<std::uint32_t>(length);
    if (!timing_ && !seq_lt(snd_nxt_, snd_max_)) {  // Karn: time only what is sent the first time
      timing_ = true;
      timed_seq_ = end;
      timed_at_ = now;
    }
    snd_nxt_ = end;
    if (last) {
      fin_seq_ = snd_nxt_++;
      fin_sent_ = true;
    }
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (!retransmit_at_) retransmit_at_ = now + timer_.rto();
  }
  // The FIN on its own once every byte is out (it needs no window: it carries no data).
  if (fin_queued_ && !(fin_sent_ && seq_gt(snd_nxt_, fin_seq_)) && bytes_sent_unacked() == queue_.size()) {
    fin_seq_ = snd_nxt_;
    send_data(queue_.size(), 0, true, out);
    snd_nxt_ = fin_seq_ + 1;
    fin_sent_ = true;
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (!retransmit_at_) retransmit_at_ = now + timer_.rto();
  }
  if (fin_sent_ && state_ == State::established) enter(State::fin_wait_1, "we close: our FIN is sent (RFC 9293 §3.6)");
  if (fin_sent_ && state_ == State::close_wait) enter(State::last_ack, "our FIN is sent (RFC 9293 §3.6)");
  // The peer's window is shut with data waiting: probe it when the persist timer runs out (§3.8.6.1).
  if (snd_wnd_ == 0 && queue_.size() > bytes_sent_unacked() && snd_una_ == snd_nxt_ && !persist_at_) {
    persist_backoff_ = timer_.rto();
    persist_at_ = now + persist_backoff_;
  }
  if (ack_now_) send_ack(out);
}

void Connection::retransmit_timeout(Instant now, Output& out) {
  const std::uint32_t limit = state_ == State::syn_received ? limits_.syn_ack_retries : limits_.retries;
  if (++retries_ > limit) {
    abort("retransmitted too often: the peer is gone (RFC 9293 §3.8.3, R2)");
    return;
  }
  timer_.back_off();  // RFC 6298 §5.5
  timing_ = false;
  if (state_ == State::syn_received) {
    context_.trace(Layer::tcp, "no ACK for our SYN,ACK: sent again, RTO now {} ms (RFC 6298 §5.4-5.5)",
                   timer_.rto().count());
    send_syn_ack(out, true);
    retransmit_at_ = now + timer_.rto();
    return;
  }
  // RFC 5681 §3.1 (4): after a timeout, ssthresh is half the flight and the window one segment; everything from
  // SND.UNA is sent again (go-back-N), starting with one segment.
  ssthresh_ = std::max(flight_size() / 2, 2 * mss_);
  cwnd_ = mss_;
  in_recovery_ = false;
  recover_ = snd_max_;  // RFC 6582 §4: no fast retransmit for what the go-back-N resends
  duplicate_acks_ = 0;
  context_.trace(Layer::tcp,
                 "retransmission timeout at SND.UNA {}: RTO now {} ms, cwnd one segment (RFC 6298 §5.4-5.6, "
                 "RFC 5681 §3.1)",
                 snd_una_, timer_.rto().count());
  snd_nxt_ = snd_una_;
  retransmit_at_.reset();
  transmit(now, out);
  if (!retransmit_at_) retransmit_at_ = now + timer_.rto();
}

void Connection::poll(Instant now, Output& out) {
  if (closed()) return;
  if (state_timer_at_ && now >= *state_timer_at_) {
    enter(State::closed, state_ == State::time_wait ? "2 MSL have passed (RFC 9293 §3.6)"
                                                    : "FIN-WAIT-2 for too long (Linux's tcp_fin_timeout)");
    return;
  }
  if (retransmit_at_ && now >= *retransmit_at_) {
    retransmit_at_.reset();
    retransmit_timeout(now, out);
    if (closed()) return;
  }
  if (persist_at_ && now >= *persist_at_) {
    // Probes that draw nothing at all mean the peer is gone: given up after as many as retransmissions are
    // (RFC 9293 §3.8.3's R2; Linux's tcp_retries2 for probes too). A peer that answers them keeps its connection.
    if (++probes_unanswered_ > limits_.retries) {
      abort("window probes unanswered: the peer is gone (RFC 9293 §3.8.6.1, §3.8.3)");
      return;
    }
    // A window probe: an ACK one below SND.NXT draws an ACK with the window (as Linux's zero-window probe).
    context_.trace(Layer::tcp, "the peer's window is still zero: window probe (RFC 9293 §3.8.6.1)");
    out.send(*this,
             Outgoing{.seq = snd_una_ - 1, .ack = rcv_nxt_, .flags = tcp_flag::ack, .window = advertised_window()});
    persist_backoff_ = std::min(persist_backoff_ * 2, kMaxPersist);
    persist_at_ = now + persist_backoff_;
  }
  if (delayed_ack_at_ && now >= *delayed_ack_at_) send_ack(out);
  if (now - last_heard_ >= limits_.idle_timeout && (state_ == State::established)) {
    if (fin_queued_) {  // a second idle time, our FIN still behind a shut window: nothing more to wait for
      abort("nothing heard for another idle time, our FIN still held by a zero window: dropped");
      return;
    }
    context_.trace(Layer::tcp, "nothing heard for {} s: we close", limits_.idle_timeout.count() / 1000);
    fin_queued_ = true;
    last_heard_ = now;
    transmit(now, out);
  }
}

std::optional<Instant> Connection::next_deadline() const {
  std::optional<Instant> next;
  for (const auto& at : {retransmit_at_, persist_at_, delayed_ack_at_, state_timer_at_}) {
    if (at && (!next || *at < *next)) next = at;
  }
  if (state_ == State::established) {
    const Instant idle = last_heard_ + limits_.idle_timeout;
    if (!next || idle < *next) next = idle;
  }
  return next;
}

}  // namespace ministack::tcp
