#include "stack/tcp/initial_sequence.hpp"

#include <sodium.h>

#include "stack/wire/bytes.hpp"

namespace ministack::tcp {

static_assert(crypto_shorthash_KEYBYTES == std::tuple_size_v<IsnSecret>);

std::uint32_t initial_sequence(const IsnSecret& secret, const Endpoints& endpoints, Instant now) {
  std::array<std::uint8_t, 12> tuple{};
  store_be32(tuple.data(), endpoints.local.v4().value);
  store_be16(tuple.data() + 4, endpoints.local_port);
  store_be32(tuple.data() + 6, endpoints.remote.v4().value);
  store_be16(tuple.data() + 10, endpoints.remote_port);
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  crypto_shorthash(hash.data(), tuple.data(), tuple.size(), secret.data());
  // M: 4-microsecond ticks of the monotonic clock (RFC 6528 §3, after RFC 793's ISN generator).
  const auto ticks = static_cast<std::uint32_t>(now.since_start.count() * 250);
  return load_be32(hash.data()) + ticks;
}

}  // namespace ministack::tcp
