// The command line: what the user asked for, parsed and checked, or the exit code to leave with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/udp_endpoint.hpp"
#include "log.hpp"
#include "stack/stack.hpp"
#include "stack/wire/address.hpp"

namespace ministack {

struct Options {
  enum class Mode { live, replay };
  Mode mode = Mode::live;
  LinkLayer link = LinkLayer::ethernet;  // live mode: --tap or --tun
  std::string device;                    // live mode: the device name
  std::string replay_input;              // replay mode: the capture to play
  std::string pcap_output;               // --pcap FILE, or empty
  Ipv4Interface ip;
  MacAddress mac;
  Ipv4Interface host_ip;
  bool ipv6 = true;        // false with --no-ipv6: the stack speaks no IPv6, the host side gets no IPv6 address
  Ipv6Interface ip6;       // --ip6: our global or unique-local address (the link-local one comes from the MAC)
  Ipv6Interface host_ip6;  // --host-ip6: the host side's
  bool host_config = true;
  LogLevel log_level = LogLevel::info;
  std::string stats_json;       // --stats-json FILE, or empty
  std::string user = "nobody";  // --user: whom to run as after setup
  bool user_given = false;      // --user was on the command line
  bool trace = false;           // --trace, or `ministack explain`
  std::string html_output;      // `explain --html FILE|-`: the page of pictures instead of the text trace, or empty
  std::size_t mtu = 0;          // 0: the device's (1500 in a replay)
  bool answer_broadcast_echo = false;
  ReassemblyLimits reassembly;
  IcmpRateLimits icmp_rate;
  tcp::Config tcp;  // the services' ports (--tcp-echo, --tcp-discard) and the caps (--tcp-*)
  // How a live device waits for frames (--io): poll (the default, the faster in docs/PERFORMANCE.md), io_uring, or
  // io_uring where the kernel allows it and poll elsewhere.
  enum class Io { automatic, poll, uring };
  Io io = Io::poll;
  // --busy-poll: microseconds to spin after a frame before sleeping (docs/PERFORMANCE.md measures the default).
  unsigned busy_poll_us = kDefaultBusyPollUs;
  static constexpr unsigned kDefaultBusyPollUs = 50;
  // --queues: a multi-queue device (IFF_MULTI_QUEUE) with one worker thread, stack and loop per queue.
  unsigned queues = 1;
  // Replay and explain: a BPF filter (--filter, or explain's words after the file) and a frame count (-c).
  std::string filter;
  std::uint64_t max_frames = 0;
  // --color: colour the trace always, never, or when it goes to a terminal and NO_COLOR is not set.
  enum class Color { automatic, always, never };
  Color color = Color::automatic;
  // --udp-listen: the stack behind a UDP socket (device/udp_device.hpp) instead of a device; with --udp-peer, only
  // that peer's datagrams are taken (else the first sender's).
  std::optional<SocketAddress> udp_listen;
  std::optional<SocketAddress> udp_peer;
};

// `ministack tunnel`: IP over UDP between a TUN device and a peer (apps/ministack/tunnel.hpp).
struct TunnelOptions {
  std::string device;                // --tun NAME
  SocketAddress local;               // --local: where datagrams are received and sent from
  SocketAddress peer;                // --peer: the only source taken, and where every packet goes
  Ipv4Interface ip;                  // --ip: the TUN's own address and the overlay's prefix
  std::optional<Ipv6Interface> ip6;  // --ip6, when given
  bool host_config = true;           // false with --no-host-config: the TUN's MTU, addresses and link left alone
  std::size_t mtu = 0;               // --mtu; 0: the route to the peer's MTU less the outer headers (28 or 48)
  std::string pcap_output;           // --pcap: the inner packets, both ways, as raw IP
  std::string stats_json;            // --stats-json
  std::string user = "nobody";
  bool user_given = false;
  bool trace = false;
  LogLevel log_level = LogLevel::info;
};

// Whether an output path names stdout: "-", /dev/stdout, /dev/fd/1 or /proc/self/fd/1.
bool names_stdout(const std::string& path);

// Parses argv: the program's options, or `ministack tunnel`'s (then ParsedOptions::tunnel). On --help/--version it
// prints to stdout and returns exit code 0; on a usage error it prints the problem and a hint to stderr and returns 2.
// Otherwise returns the options, and `warnings`: what is allowed but probably not meant (each a sentence for the log,
// which the caller has and the parser has not).
struct ParsedOptions {
  std::optional<Options> options;
  int exit_code = 0;
  std::vector<std::string> warnings;
  std::optional<TunnelOptions> tunnel;  // `ministack tunnel ...` (then `options` is empty)
};
ParsedOptions parse_options(int argc, char** argv);

}  // namespace ministack
