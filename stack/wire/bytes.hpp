// Big-endian load/store helpers: the only way ministack reads or writes a multi-byte wire field.
// Packet bytes are never cast onto structs and never byte-swapped in place.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace ministack {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

// Callers check the length once (in a view's parse()); these index without a check of their own. Outside constant
// evaluation each is one unaligned load or store (memcpy) and a byte swap on little-endian hosts, where the
// byte-by-byte form left GCC a shift and a store per byte on the echo path.
namespace detail {
constexpr std::uint16_t to_big_endian(std::uint16_t v) {
  return std::endian::native == std::endian::little ? __builtin_bswap16(v) : v;
}
constexpr std::uint32_t to_big_endian(std::uint32_t v) {
  return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}
}  // namespace detail

constexpr std::uint16_t load_be16(const std::uint8_t* p) {
  if (std::is_constant_evaluated()) return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return detail::to_big_endian(v);
}

constexpr std::uint32_t load_be32(const std::uint8_t* p) {
  if (std::is_constant_evaluated()) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  }
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return detail::to_big_endian(v);
}

constexpr void store_be16(std::uint8_t* p, std::uint16_t v) {
  if (std::is_constant_evaluated()) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
    return;
  }
  v = detail::to_big_endian(v);
  std::memcpy(p, &v, sizeof v);
}

constexpr void store_be32(std::uint8_t* p, std::uint32_t v) {
  if (std::is_constant_evaluated()) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
    return;
  }
  v = detail::to_big_endian(v);
  std::memcpy(p, &v, sizeof v);
}

}  // namespace ministack
