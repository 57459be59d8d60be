// How full each bounded table of a stack is, beside its cap: what a checker asserts after every frame (the fuzz
// targets' sink, the tests). Every `used` must stay at or below its `cap`, after every operation.
#pragma once

#include <cstddef>
#include <string_view>

namespace ministack {

// One bounded quantity: how much is in use and the configured most.
struct Bounded {
  std::size_t used = 0;
  std::size_t cap = 0;
  bool within() const { return used <= cap; }
};

struct StackUsage {
  Bounded reassembly_bytes;      // reassembly buffers and piece lists, in use or kept for reuse (bytes)
  Bounded reassembly_datagrams;  // datagrams in progress
  Bounded reassembly6_bytes;     // the same for IPv6
  Bounded reassembly6_datagrams;
  Bounded neighbors;        // neighbor cache entries
  Bounded pending_packets;  // datagrams waiting for ARP resolution
  Bounded pending_bytes;    // their bytes (IP datagrams, without link headroom)
  Bounded tcp_connections;  // TCP connections in any state
  Bounded tcp_half_open;    // of them, in SYN-RECEIVED
  Bounded tcp_queue_bytes;  // the echo queues' capacity: the buffers, each with its slack (tcp/connection.hpp)

  // Calls fn(name, bounded) for every quantity, in the order above.
  template <class Fn>
  void for_each(Fn&& fn) const {
    fn(std::string_view{"reassembly_bytes"}, reassembly_bytes);
    fn(std::string_view{"reassembly_datagrams"}, reassembly_datagrams);
    fn(std::string_view{"reassembly6_bytes"}, reassembly6_bytes);
    fn(std::string_view{"reassembly6_datagrams"}, reassembly6_datagrams);
    fn(std::string_view{"neighbors"}, neighbors);
    fn(std::string_view{"pending_packets"}, pending_packets);
    fn(std::string_view{"pending_bytes"}, pending_bytes);
    fn(std::string_view{"tcp_connections"}, tcp_connections);
    fn(std::string_view{"tcp_half_open"}, tcp_half_open);
    fn(std::string_view{"tcp_queue_bytes"}, tcp_queue_bytes);
  }
};

}  // namespace ministack
