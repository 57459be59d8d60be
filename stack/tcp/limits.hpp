// TCP's configuration: the services that listen, and the caps and timers of connections (StackConfig::tcp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/tcp/initial_sequence.hpp"
#include "stack/wire/clock.hpp"

namespace ministack::tcp {

// What a listening port does with the bytes it receives.
enum class Service {
  echo,     // RFC 862: sends back what it receives; closes after the peer does
  discard,  // RFC 863: throws it away; closes after the peer does
};

// Per-connection limits and timers (StackConfig::tcp).
struct ConnectionLimits {
  std::size_t buffer_bytes = 64 * 1024;             // the send queue; its free space is the receive window we advertise
  Duration idle_timeout = std::chrono::minutes(5);  // nothing heard for this long: we close
  Duration time_wait = std::chrono::seconds(60);    // 2 MSL, as Linux's TCP_TIMEWAIT_LEN
  Duration fin_wait_2 = std::chrono::seconds(60);   // Linux's tcp_fin_timeout
  Duration delayed_ack = std::chrono::milliseconds(40);  // Linux's TCP_DELACK_MIN; RFC 1122 §4.2.3.2: < 0.5 s
  std::size_t max_out_of_order = 16;                     // separate runs of data held past a hole (in the queue itself)
  std::uint32_t syn_ack_retries = 5;                     // Linux's tcp_synack_retries
  std::uint32_t retries = 15;                            // Linux's tcp_retries2
};

// The whole of TCP's configuration. Caps bound memory whatever arrives: at most `max_connections` connections, of
// which `max_half_open` in SYN-RECEIVED, each with a queue of `connection.buffer_bytes` once established, and all
// queues together within `total_buffer_bytes`.
struct Config {
  std::optional<std::uint16_t> echo_port = 7;     // RFC 862; nullopt: no echo service
  std::optional<std::uint16_t> discard_port = 9;  // RFC 863; nullopt: no discard service
  std::size_t max_connections = 1024;
  std::size_t max_half_open = 128;  // Linux's tcp_max_syn_backlog default is 128 on a small machine
  // Room for every connection's default buffer (1024 x 64 KiB): the caps agree, so max_connections is reachable.
  std::size_t total_buffer_bytes = std::size_t{64} * 1024 * 1024;
  bool syn_cookies = true;  // past max_half_open, answer SYNs with cookies (RFC 4987 §3.6), as Linux's tcp_syncookies=1
  ConnectionLimits connection;
  IsnSecret isn_secret{};  // RFC 6528's secret key; the program fills it with random bytes at start
};

}  // namespace ministack::tcp
