#include "stack/tcp/syn_cookies.hpp"

#include <array>
#include <cstddef>

#include <sodium.h>

#include "stack/wire/bytes.hpp"

namespace ministack::tcp {

namespace {

constexpr std::uint32_t kLow24 = 0x00ffffff;

std::uint32_t minute(Instant now) { return static_cast<std::uint32_t>(now.since_start.count() / 60000); }

// F: SipHash-2-4 of the 4-tuple, the counter and the client's ISN; the low 24 bits.
std::uint32_t keyed_hash(const IsnSecret& secret, const Endpoints& e, std::uint32_t client_isn, std::uint32_t counter) {
  std::array<std::uint8_t, kEndpointsMaxLength + 8> input{};
  const std::size_t tuple = write_endpoints(input.data(), e);
  store_be32(input.data() + tuple, client_isn);
  store_be32(input.data() + tuple + 4, counter);
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  // 8 bytes more input than the ISN hashes: a cookie tells nothing about the ISN of the same 4-tuple.
  crypto_shorthash(hash.data(), input.data(), tuple + 8, secret.data());
  return load_be32(hash.data()) & kLow24;
}

}  // namespace

std::uint32_t make_syn_cookie(const IsnSecret& secret, const Endpoints& endpoints, std::uint32_t client_isn,
                              std::uint16_t mss, Instant now) {
  std::uint32_t index = 0;
  for (std::uint32_t i = 0; i < std::size(kCookieMss); ++i) {
    if (kCookieMss[i] <= mss) index = i;
  }
  const std::uint32_t counter = minute(now);
  const std::uint32_t hash = keyed_hash(secret, endpoints, client_isn, counter);
  return (counter << 24) | ((hash + index) & kLow24);
}

std::optional<std::uint16_t> check_syn_cookie(const IsnSecret& secret, const Endpoints& endpoints,
                                              std::uint32_t client_isn, std::uint32_t cookie, Instant now) {
  const std::uint32_t current = minute(now);
  for (const std::uint32_t counter : {current, current - 1}) {
    if ((cookie >> 24) != (counter & 0xff)) continue;
    const std::uint32_t hash = keyed_hash(secret, endpoints, client_isn, counter);
    const std::uint32_t index = ((cookie & kLow24) - hash) & kLow24;
    if (index < std::size(kCookieMss)) return kCookieMss[index];
  }
  return std::nullopt;
}

}  // namespace ministack::tcp
