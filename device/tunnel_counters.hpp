// What an IP-over-UDP tunnel counts: packets and bytes each way, and drops by a named reason. Shared by `ministack
// tunnel` and the stack's UDP device (device/udp_endpoint.hpp), and shown by apps/ministack/stats.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <string_view>

namespace ministack {

// Why a datagram or a packet was not forwarded. Names are what the counters and the trace show.
enum class TunnelDrop : std::uint8_t {
  unknown_source,    // a datagram from an address other than the peer's
  not_ip,            // empty, or its first nibble is neither 4 nor 6
  bad_length,        // shorter than its IP header, or the IP length field disagrees with the datagram's length
  no_peer,           // a packet to send while no peer is known yet (listening, nothing received)
  send_queue_full,   // the socket's send buffer was full (EAGAIN, ENOBUFS): the underlay is slower than the traffic
  too_big,           // the underlay refused the datagram as too long (EMSGSIZE)
  send_failed,       // sendto() failed otherwise
  write_failed,      // the TUN device refused the packet
  receive_overflow,  // datagrams the kernel dropped because the socket's receive buffer was full (SO_RXQ_OVFL)
  loop,              // our own datagram to the peer, read back from the device: the route leads into the tunnel
};
inline constexpr std::size_t kTunnelDropCount = 10;

struct TunnelDropInfo {
  std::string_view name;     // "tunnel_unknown_source"
  std::string_view meaning;  // one sentence
};

inline constexpr TunnelDropInfo kTunnelDropInfo[] = {
    {"tunnel_unknown_source", "a datagram from an address other than the peer's (the tunnel trusts its source alone)"},
    {"tunnel_not_ip", "the datagram holds no IP packet: empty, or its version is neither 4 nor 6"},
    {"tunnel_bad_length",
     "shorter than its IP header, or its IP length field disagrees with the datagram's length (one whole packet per "
     "datagram)"},
    {"tunnel_no_peer", "a packet to send before any peer is known (listening, and nothing received yet)"},
    {"tunnel_send_queue_full",
     "the socket's send buffer was full: the underlay or the peer is slower than the traffic"},
    {"tunnel_too_big", "the underlay refused the datagram as too long (EMSGSIZE): lower the tunnel's MTU"},
    {"tunnel_send_failed", "sending the datagram failed (the log says why)"},
    {"tunnel_write_failed", "the TUN device refused the packet (the log says why)"},
    {"tunnel_receive_overflow", "datagrams the kernel dropped because the socket's receive buffer was full"},
    {"tunnel_loop",
     "our own datagram to the peer came back out of the device: the route to the peer leads into the tunnel"},
};
static_assert(std::size(kTunnelDropInfo) == kTunnelDropCount);

// The name and meaning of `reason`.
constexpr TunnelDropInfo describe(TunnelDrop reason) { return kTunnelDropInfo[static_cast<std::size_t>(reason)]; }

// What crossed the tunnel, in the style of IF-MIB's ifIn/ifOut rows: packets and their bytes (the inner IP packets,
// without the outer 28 or 48), and drops by reason.
struct TunnelCounters {
  std::uint64_t in_packets = 0;   // tunnelInPackets: decapsulated, valid, handed on
  std::uint64_t in_octets = 0;    // tunnelInOctets
  std::uint64_t out_packets = 0;  // tunnelOutPackets: encapsulated and sent to the peer
  std::uint64_t out_octets = 0;   // tunnelOutOctets
  std::array<std::uint64_t, kTunnelDropCount> drops{};

  void count(TunnelDrop reason, std::uint64_t n = 1) { drops[static_cast<std::size_t>(reason)] += n; }
  std::uint64_t get(TunnelDrop reason) const { return drops[static_cast<std::size_t>(reason)]; }
  std::uint64_t total_drops() const { return std::accumulate(drops.begin(), drops.end(), std::uint64_t{0}); }
};

}  // namespace ministack
