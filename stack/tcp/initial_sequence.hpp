// Initial sequence numbers (RFC 6528 §3): ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M
// is a timer that ticks every 4 microseconds and F a keyed hash, SipHash-2-4 as Linux uses (libsodium's
// crypto_shorthash). Off-path attackers cannot guess it; one connection's numbers move on with the clock, so a new
// incarnation of the same 4-tuple starts past the old one's.
#pragma once

#include <array>
#include <cstdint>

#include "stack/wire/address.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/ip.hpp"

namespace ministack::tcp {

// The secret of F: 16 random bytes, chosen once per process (the caller reads them from the kernel's random source;
// tests fix them).
using IsnSecret = std::array<std::uint8_t, 16>;

// The 4-tuple that names a connection.
struct Endpoints {
  IpAddress local;
  std::uint16_t local_port = 0;
  IpAddress remote;
  std::uint16_t remote_port = 0;
  friend bool operator==(const Endpoints&, const Endpoints&) = default;
};

// The longest 4-tuple write_endpoints() writes: two IPv6 addresses and two ports.
inline constexpr std::size_t kEndpointsMaxLength = 36;
// Writes the 4-tuple at `out` (kEndpointsMaxLength bytes of room) for hashing: local address, local port, remote
// address, remote port, in network order, 12 bytes for IPv4 and 36 for IPv6. Returns the bytes written.
std::size_t write_endpoints(std::uint8_t* out, const Endpoints& endpoints);

// The ISN for a connection with these endpoints opened at `now`.
std::uint32_t initial_sequence(const IsnSecret& secret, const Endpoints& endpoints, Instant now);

}  // namespace ministack::tcp
