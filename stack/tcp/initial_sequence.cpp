#include "stack/tcp/initial_sequence.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "stack/wire/bytes.hpp"

namespace ministack::tcp {

static_assert(crypto_shorthash_KEYBYTES == std::tuple_size_v<IsnSecret>);

std::size_t write_endpoints(std::uint8_t* out, const Endpoints& endpoints) {
  std::uint8_t* p = out;
  for (const auto& [address, port] :
       {std::pair{endpoints.local, endpoints.local_port}, std::pair{endpoints.remote, endpoints.remote_port}}) {
    if (address.is_v6()) {
      std::copy(address.v6().bytes.begin(), address.v6().bytes.end(), p);
      p += 16;
    } else {
      store_be32(p, address.v4().value);
      p += 4;
    }
    store_be16(p, port);
    p += 2;
  }
  return static_cast<std::size_t>(p - out);
}

std::uint32_t initial_sequence(const IsnSecret& secret, const Endpoints& endpoints, Instant now) {
  std::array<std::uint8_t, kEndpointsMaxLength> tuple{};
  const std::size_t length = write_endpoints(tuple.data(), endpoints);
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  crypto_shorthash(hash.data(), tuple.data(), length, secret.data());
  // M: 4-microsecond ticks of the monotonic clock (RFC 6528 §3, after RFC 793's ISN generator).
  const auto ticks = static_cast<std::uint32_t>(now.since_start.count() * 250);
  return load_be32(hash.data()) + ticks;
}

}  // namespace ministack::tcp
