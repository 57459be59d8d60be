// SYN cookies (RFC 4987 §3.6): when the half-open connections are at their cap, a SYN is answered with a SYN,ACK
// whose ISS encodes what the connection needs, and no state is kept; the ACK that completes the handshake brings
// the cookie back (as its acknowledgment number less one) and the connection is made from it. A flood of SYNs from
// forged sources then fills nothing, and real clients still get in.
//
//   ISS = | counter (8 bits) | F(secret, 4-tuple, counter, client ISN) + MSS index (24 bits) |
//
// The counter is the minute the cookie was made; one from this minute or the last is accepted. F is SipHash-2-4
// (libsodium's crypto_shorthash), so no one can make a cookie without the secret. Like Linux's, a cookie keeps only
// an MSS from a small table: window scaling, SACK and timestamps are lost (Linux keeps them only in timestamps).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/tcp/initial_sequence.hpp"
#include "stack/wire/ip.hpp"

namespace ministack::tcp {

// The MSS values a cookie can carry (Linux's msstab for IPv4).
inline constexpr std::uint16_t kCookieMss[] = {536, 1300, 1440, 1460};

// The ISS for a SYN between `endpoints` with ISN `client_isn`, made at `now`, for an MSS of at most `mss` bytes (the
// largest table entry not above it, or 536).
std::uint32_t make_syn_cookie(const IsnSecret& secret, const Endpoints& endpoints, std::uint32_t client_isn,
                              std::uint16_t mss, Instant now);

// The MSS a cookie carries if `cookie` (the ACK's acknowledgment number less one) was made by make_syn_cookie for
// this 4-tuple and client ISN (the ACK's sequence number less one) in this minute or the last; nullopt if not.
std::optional<std::uint16_t> check_syn_cookie(const IsnSecret& secret, const Endpoints& endpoints,
                                              std::uint32_t client_isn, std::uint32_t cookie, Instant now);

}  // namespace ministack::tcp
