// `ministack tunnel`'s command line (its options are its own: the stack's do not apply to it).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "option_checks.hpp"
#include "options.hpp"

namespace ministack {

// What `ministack tunnel` was given, before it is checked as a whole.
struct TunnelRaw {
  std::string tun, local, peer, ip = "192.168.3.11/24", ip6, pcap, stats_json, user = "nobody";
  bool no_host_config = false, trace = false;
  std::size_t mtu = 0;
  LogFlags log;
};

// Adds the `tunnel` subcommand and its options to `app`; returns it.
CLI::App* add_tunnel_command(CLI::App& app, TunnelRaw& raw);

// Turns what `tunnel` parsed into `out`. Returns what is wrong (for a usage error, exit 2), or "".
std::string finish_tunnel(const CLI::App& tunnel, const TunnelRaw& raw, TunnelOptions& out);

// An address given as ADDR:PORT: what is wrong with `text`, or "". `local`: the address may be left out (":4789").
std::string check_socket_address(const std::string& text, bool local);

}  // namespace ministack
