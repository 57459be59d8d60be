// TCP sequence-number arithmetic (RFC 9293 §3.4): numbers live modulo 2^32, so "a < b" means "a comes before b"
// within half the space; and the segment acceptability test of §3.4 and §3.10.7.4.
#pragma once

#include <cstdint>

namespace ministack::tcp {

// a comes before b (RFC 9293 §3.4, "=<" and "<" are modulo 2^32): the signed distance from a to b is positive.
constexpr bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
constexpr bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }
constexpr bool seq_gt(std::uint32_t a, std::uint32_t b) { return seq_lt(b, a); }
constexpr bool seq_ge(std::uint32_t a, std::uint32_t b) { return seq_le(b, a); }

// RFC 9293 §3.10.7.4's table: whether a segment of `length` sequence numbers (SEG.LEN: data, SYN and FIN) starting
// at `seq` falls, at least in part, within the receive window [RCV.NXT, RCV.NXT + RCV.WND).
//
//   SEG.LEN  RCV.WND  test
//   0        0        SEG.SEQ = RCV.NXT
//   0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   >0       0        not acceptable
//   >0       >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//                     or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
constexpr bool acceptable(std::uint32_t seq, std::uint32_t length, std::uint32_t rcv_nxt, std::uint32_t rcv_wnd) {
  const auto in_window = [&](std::uint32_t s) { return seq_le(rcv_nxt, s) && seq_lt(s, rcv_nxt + rcv_wnd); };
  if (length == 0) return rcv_wnd == 0 ? seq == rcv_nxt : in_window(seq);
  if (rcv_wnd == 0) return false;
  return in_window(seq) || in_window(seq + length - 1);
}

}  // namespace ministack::tcp
