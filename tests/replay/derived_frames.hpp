// Frames derived in memory from real ones of the captures, never written anywhere: echo requests given IP options,
// requests re-addressed, UDP datagrams turned to the echo port, grown and cut into fragments, TCP segments edited;
// and a fresh stack to run them through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "replay_record.hpp"
#include "wire_reads.hpp"

namespace ministack::realworld {

using ministack::testing::Replay;

// What a correct stack does with an echo request carrying an option variant: answers it, drops it as
// ip_bad_options, or either.
enum class Want { answer, drop, either };

struct OptionVariant {
  const char* name;
  Bytes options;  // a multiple of 4 bytes
  Want want;
};

// Record Route and Timestamp options as ping -R and -T would send them, and a few odd or malformed ones, for an echo
// request from `requester`; `stamp` is an earlier hop's timestamp.
std::vector<OptionVariant> option_variants(std::uint32_t requester, std::uint32_t stamp);

// `request` (Ethernet, IHL 5) with `options` inserted after its header; total length and checksum fixed.
Bytes with_options(const Bytes& request, const Bytes& options);

// Writes a fresh transport checksum over the pseudo-header for the datagram at frame[l3] (not a fragment): TCP's
// always, UDP's unless it is 0 ("none", RFC 768). Other protocols are left as they are.
void set_transport_checksum(Bytes& frame, std::size_t l3);

// `frame` (Ethernet, one datagram) sent to `destination` instead, its header and transport checksums fixed; to the
// link-layer broadcast as well if `link_broadcast`.
Bytes readdressed(const Bytes& frame, std::uint32_t destination, bool link_broadcast);

// A UDP datagram (Ethernet, IHL 5, no fragment) sent to `port` instead, its data repeated to `data_length` bytes
// (0: as it is), its UDP checksum recomputed.
Bytes to_udp_port(const Bytes& frame, std::uint16_t port, std::size_t data_length = 0);

// `frame` (Ethernet, one unfragmented TCP segment) changed by `edit`, which gets the frame and where the TCP header
// starts in it and may grow or cut it; the IP total length then follows the frame's size, and both checksums are
// rewritten after it.
Bytes edited_tcp(const Bytes& frame, const std::function<void(Bytes&, std::size_t)>& edit);

// `frame` (Ethernet, one datagram) cut into fragments of at most `chunk` data bytes (a multiple of 8), each with the
// frame's Ethernet header (packets::fragments: options, if any, only in the first).
std::vector<Bytes> fragments_of(const Bytes& frame, std::size_t chunk);

// Frames through a fresh stack at the given instants (the frame feeder), collected as a replay.
Replay run_stack(LinkLayer link, const std::vector<Bytes>& frames, const std::vector<std::int64_t>& times_us,
                 std::size_t mtu = kMtu);

}  // namespace ministack::realworld
