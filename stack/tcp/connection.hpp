// One TCP connection (RFC 9293 §3.3.1's Transmission Control Block) opened passively by a service, and its state
// machine: the segment arrival rules of §3.10.7.4, the retransmission timer of RFC 6298, Reno congestion control
// (RFC 5681), flow control with window scaling (RFC 7323 §2) and the persist timer (§3.8.6.1), delayed ACKs
// (RFC 1122 §4.2.3.2), and RFC 5961's challenge ACKs.
//
//   LISTEN --SYN/SYN,ACK--> SYN-RECEIVED --ACK--> ESTABLISHED --FIN/ACK--> CLOSE-WAIT --our FIN--> LAST-ACK --ACK-->
//   CLOSED
//                                                  |  (idle timeout: we close first)
//                                                  +--our FIN--> FIN-WAIT-1 --ACK--> FIN-WAIT-2 --FIN/ACK--> TIME-WAIT
//                                                                    +--FIN/ACK--> CLOSING --ACK--> TIME-WAIT --2
//                                                                    MSL--> CLOSED
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "stack/layer.hpp"
#include "stack/tcp/byte_ring.hpp"
#include "stack/tcp/limits.hpp"
#include "stack/tcp/retransmit_timer.hpp"
#include "stack/wire/address.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/tcp.hpp"

namespace ministack::tcp {

// RFC 9293 §3.3.2's states (LISTEN is a listening port, not a connection; SYN-SENT never happens: we only accept).
enum class State {
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
  closed
};
std::string_view state_name(State state);  // "SYN-RECEIVED", ...

// How a connection opens: its 4-tuple, where its peer is on the link, its service, our ISS and the MSS we may send.
struct Opening {
  Endpoints endpoints;
  std::optional<MacAddress> peer_mac;  // the link peer the opening segment came from (TAP); answers go there
  Service service = Service::echo;
  std::uint32_t iss = 0;
  std::size_t mss = 0;  // ours (the MTU less 40), or, from a cookie, the one it kept
  Instant now;
};

// One segment a connection asks to send; its data are `data_length` bytes of the send queue from `data_offset`.
struct Outgoing {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;  // as it goes on the wire (scaled down)
  std::size_t data_offset = 0;
  std::size_t data_length = 0;
  bool syn_options = false;     // MSS, and window scale if the peer offered it (a SYN-ACK)
  bool retransmission = false;  // counted in tcpRetransSegs rather than tcpOutSegs (RFC 4022)
};

class Connection;

// Where a connection's segments go (the TCP layer, which writes and sends them).
class Output {
 public:
  virtual ~Output() = default;
  virtual void send(const Connection& connection, const Outgoing& segment) = 0;
};

// The window scale our SYN,ACK offers for a queue of `buffer_bytes`: the least shift that lets it fit the 16-bit
// window field, at most 14 (RFC 7323 §2.3).
std::uint8_t window_shift_for(std::size_t buffer_bytes);
constexpr std::uint8_t kMaxWindowShift = 14;  // RFC 7323 §2.3: a larger shift count is taken as 14
// Bytes an established echo connection's queue holds: `buffer_bytes`, and 16 granules of the window scale `shift` of
// slack, which keeping the window's right edge may take (Connection::advertised_window()).
std::size_t queue_capacity(std::size_t buffer_bytes, std::uint8_t shift);

class Connection {
 public:
  // Passive open (§3.10.7.2, LISTEN): `syn` was accepted for `service`; records IRS and the peer's MSS (536 if it
  // sent none, §3.7.1) and window scale, and sends SYN,ACK with ISS `iss`. `mss` is ours: the MTU less 40 bytes.
  Connection(StackContext& context, const ConnectionLimits& limits, const Opening& opening, const TcpView& syn,
             Output& out);

  // Made from the ACK that brought back a SYN cookie (RFC 4987 §3.6): ESTABLISHED at once with our ISS `iss`, the
  // peer's `irs` and the cookie's `mss`, without window scaling. The caller then hands it that ACK (its data).
  Connection(StackContext& context, const ConnectionLimits& limits, const Opening& opening, std::uint32_t irs);

  // A segment for this connection (§3.10.7.4, in its order: sequence number, RST, SYN, ACK, text, FIN). Sends what
  // it calls for. Returns why it was dropped, or nullopt if it was taken (even partly).
  std::optional<DropReason> receive(const TcpView& segment, Instant now, Output& out);
  // Runs the timers due at `now`: retransmission, persist, delayed ACK, idle, FIN-WAIT-2 and TIME-WAIT.
  void poll(Instant now, Output& out);
  // The earliest instant poll() has something to do, if any.
  std::optional<Instant> next_deadline() const;

  State state() const { return state_; }
  bool closed() const { return state_ == State::closed; }
  bool half_open() const { return state_ == State::syn_received; }
  const Endpoints& endpoints() const { return endpoints_; }
  const std::optional<MacAddress>& peer_mac() const { return peer_mac_; }
  const ByteRing& queue() const { return queue_; }
  std::uint8_t receive_window_shift() const { return rcv_wscale_; }
  bool window_scaling() const { return window_scaling_; }

 private:
  // Moves to `next`, tracing the change with the rule behind it, and keeps tcpCurrEstab.
  void enter(State next, std::string_view why);
  std::optional<DropReason> receive_reset(const TcpView& segment, Instant now, Output& out);
  // The ACK that answers an unacceptable segment, or a challenge ACK (`challenge`, RFC 5961): at most one per
  // kInvalidAckInterval for those a peer can draw at will (no data, or a challenge), so that a flood of them is not
  // answered one for one (RFC 5961 §7; Linux's tcp_invalid_ratelimit, 500 ms).
  void answer_invalid(const TcpView& segment, Instant now, Output& out, bool challenge);
  static constexpr std::chrono::milliseconds kInvalidAckInterval{500};
  std::optional<DropReason> receive_ack(const TcpView& segment, Instant now, Output& out);
  // Returns true for a partial ACK in fast recovery (RFC 6582 §3.2), whose next hole the caller resends.
  bool take_new_ack(std::uint32_t ack, Instant now);
  void count_duplicate_ack(Output& out);
  void resend_first(Output& out);  // the segment at SND.UNA again (fast retransmit, NewReno's partial ACK)
  std::optional<DropReason> receive_text(const TcpView& segment, Instant now);
  // Holds data that arrived past a hole (RFC 9293 §3.10.7.4: "Segments with higher beginning sequence numbers may
  // be held for later processing"); false if the runs held are at their cap.
  bool hold(std::uint32_t seq, Bytes data, bool fin);
  // Takes in the held data that RCV.NXT has reached, and a held FIN.
  void take_held(Instant now);
  void take_in_order(Bytes data, Instant now);
  void receive_fin(Instant now);
  // Sends what may be sent now: data within the windows, our FIN once the data are out, or an ACK that is due.
  void transmit(Instant now, Output& out);
  void send_data(std::size_t offset, std::size_t length, bool fin, Output& out);
  void send_syn_ack(Output& out, bool retransmission);
  void send_ack(Output& out);  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
  void retransmit_timeout(Instant now, Output& out);
  std::uint16_t advertised_window();
  std::size_t queue_capacity() const;      // bytes: the buffer and the slack that keeps the window's right edge
  std::size_t free_space() const;          // bytes the buffer can still take, not counting that slack
  std::size_t bytes_sent_unacked() const;  // data bytes between SND.UNA and SND.NXT
  std::size_t flight_size() const;         // RFC 5681's FlightSize, in bytes
  void abort(std::string_view why);        // to CLOSED at once, nothing sent

  StackContext& context_;
  const ConnectionLimits& limits_;
  Endpoints endpoints_;
  std::optional<MacAddress> peer_mac_;
  Service service_;
  State state_ = State::syn_received;
  ByteRing queue_;

  // Send sequence variables (§3.3.1).
  std::uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0;  // snd_max_: the highest SND.NXT yet
  std::size_t snd_wnd_ = 0, max_snd_wnd_ = 0;
  std::uint32_t snd_wl1_ = 0, snd_wl2_ = 0;
  std::uint8_t snd_wscale_ = 0;  // the peer's shift (RFC 7323 §2.3), 0 unless both sides sent the option
  bool fin_queued_ = false;      // the service has closed: a FIN follows the queued data
  bool fin_sent_ = false;        // our FIN has been sent at least once, as sequence number fin_seq_
  std::uint32_t fin_seq_ = 0;
  std::size_t mss_ = 536;

  // Receive sequence variables.
  std::uint32_t irs_ = 0, rcv_nxt_ = 0;
  std::uint8_t rcv_wscale_ = 0;
  bool window_scaling_ = false;
  std::size_t rcv_wnd_ = 0;  // the window last advertised, in bytes
  bool ack_now_ = false;
  std::uint32_t unacked_segments_ = 0;  // received since our last ACK
  struct Run {
    std::uint32_t begin = 0, end = 0;  // sequence numbers [begin, end) held past RCV.NXT
  };
  std::vector<Run> held_;                  // sorted, disjoint, not touching; at most limits_.max_out_of_order
  std::optional<std::uint32_t> held_fin_;  // the sequence number of a FIN that came past a hole

  // Timers.
  RetransmitTimer timer_;
  std::optional<Instant> retransmit_at_, persist_at_, delayed_ack_at_, state_timer_at_;
  Duration persist_backoff_{0};
  std::uint32_t retries_ = 0;
  bool timing_ = false;  // a round-trip measurement is running (Karn: never on a retransmitted segment)
  std::uint32_t timed_seq_ = 0;
  Instant timed_at_{};
  Instant last_heard_{};

  // Reno (RFC 5681): windows in bytes.
  std::size_t cwnd_ = 0, ssthresh_ = 0;
  std::uint32_t duplicate_acks_ = 0;
  bool in_recovery_ = false;
  std::optional<Instant> last_invalid_ack_;  // when answer_invalid() last sent one
  std::uint32_t probes_unanswered_ = 0;      // window probes sent since the peer was last heard
  std::uint32_t recover_ = 0;  // RFC 6582's "recover": SND.MAX when the recovery began, or at the last RTO
};

}  // namespace ministack::tcp
