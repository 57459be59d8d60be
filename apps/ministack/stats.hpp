// The counters, shown to people and to scripts: a table grouped by layer (printed at exit and on SIGUSR1), and JSON
// with a stable schema (--stats-json FILE).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "device/device.hpp"
#include "device/tunnel_counters.hpp"
#include "stack/link/neighbor_cache.hpp"
#include "stack/wire/counters.hpp"

namespace ministack {

// The schema tag of counters_json(): bumped whenever a key changes meaning or disappears (adding a counter or a drop
// reason does not change it).
inline constexpr std::string_view kCountersJsonSchema = "ministack-counters/2";

// Every counter, grouped by layer, one row each: MIB-style name, value, meaning. Then the drops with a non-zero
// count: name, count, meaning and the rule behind it. Then, for a live device (io.mode not empty), one line of the
// system calls it made. Columns aligned; ends with a newline.
std::string counters_table(const Counters& counters, const IoStats& io = {});

// The neighbor cache as `ip neigh` shows it, one line each, with its age: "neighbors (2):" then
// "  192.168.3.11 dev tap0 lladdr 02:00:00:00:00:02 REACHABLE (confirmed 1.2 s ago)", IPv4 and IPv6 alike;
// "neighbors: none" when empty. Ends with a newline.
std::string neighbor_table(const std::vector<NeighborRow>& rows, std::string_view device);

// {"schema": "ministack-counters/2", "version": VERSION, "counters": {every counter}, "drops": {every drop reason,
// zeros included}, "total_drops": N, "io": {"mode": "poll", "io_uring" or "none", "system_calls": N, and N per call:
// "read", "write", "poll", "io_uring_enter", "netlink", "getrusage"}}, keys in declaration order, indented; ends with a
// newline.
// With `tunnel` (the stack over --udp-listen), a "tunnel" object after "io": tunnel_json()'s "counters", "drops" and
// "total_drops".
std::string counters_json(const Counters& counters, std::string_view version, const IoStats& io = {},
                          const TunnelCounters* tunnel = nullptr);

// The schema tag of tunnel_json(), versioned as kCountersJsonSchema is.
inline constexpr std::string_view kTunnelJsonSchema = "ministack-tunnel/1";

// A tunnel's counters, one row each (tunnelInPackets, tunnelInOctets, tunnelOutPackets, tunnelOutOctets), then its
// drops with a non-zero count, name and meaning, then the system calls (as counters_table() shows the stack's). For
// the stack over --udp-listen, it follows the stack's table with an empty `io`. Ends with a newline.
std::string tunnel_table(const TunnelCounters& counters, const IoStats& io = {});

// {"schema": "ministack-tunnel/1", "version": VERSION, "counters": {the four}, "drops": {every reason, zeros
// included}, "total_drops": N, "io": {as counters_json()}}; ends with a newline.
std::string tunnel_json(const TunnelCounters& counters, std::string_view version, const IoStats& io = {});

// Writes `text` to `path` as write_counters_json() does (atomically, "-" for stdout); throws std::runtime_error.
void write_json_file(const std::string& path, const std::string& text);

// Writes counters_json() to `path` atomically: a temporary file in the same directory, then rename(), so a reader
// never sees half a file. "-" is stdout, and a path that exists but is no regular file (/dev/stdout, a FIFO) is
// written in place. Throws std::runtime_error naming the path and the system error on failure.
void write_counters_json(const std::string& path, const Counters& counters, std::string_view version,
                         const IoStats& io = {}, const TunnelCounters* tunnel = nullptr);

}  // namespace ministack
