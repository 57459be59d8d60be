#include "options.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "about.hpp"
#include "address_checks.hpp"
#include "option_checks.hpp"
#include "tunnel_options.hpp"

namespace ministack {

namespace {

// `help`: the command whose --help lists what was expected.
ParsedOptions usage_error(const std::string& message, std::string_view help = "ministack") {
  fmt::print(stderr, "ministack: {}\nTry '{} --help' for more information.\n", message, help);
  return {std::nullopt, 2, {}, std::nullopt};
}

// What the command line says before it is checked and turned into Options.
struct Raw {
  std::string tap, tun, replay, pcap;
  std::string ip = "192.168.3.12/24", mac = "02:00:00:00:00:01", host_ip = "192.168.3.11/24";
  std::string ip6 = "fd00:3::12/64", host_ip6 = "fd00:3::11/64";
  bool no_ipv6 = false, no_host_config = false;
  LogFlags log;
  std::string explain_file;
  bool host_ip_given = false, host_ip6_given = false;
  std::size_t reasm_timeout_s = 30, icmp_ratelimit_ms = 1000;
  std::string io = "poll";
  std::vector<std::string> explain_filter;  // explain's words after the file, joined into one filter
  std::string color = "auto";
  std::string filter;
  std::string tcp_echo = "7", tcp_discard = "9";
  std::string udp_listen, udp_peer;
  std::size_t tcp_idle_timeout_s = 300;
};

// A TCP service's port: 1 to 65535, or "off".
std::string check_service_port(const std::string& text) {
  if (text == "off") return {};
  std::size_t used = 0;
  try {
    const unsigned long port = std::stoul(text, &used);
    if (used == text.size() && port >= 1 && port <= 65535) return {};
  } catch (const std::exception&) {
  }
  return "a port from 1 to 65535, or off";
}

std::optional<std::uint16_t> service_port(const std::string& text) {
  if (text == "off") return std::nullopt;
  return static_cast<std::uint16_t>(std::stoul(text));
}

// --ip, --ip6, --no-ipv6 and --mac, which the program and `explain` both take. Returns --no-ipv6, which
// add_io_options() makes exclude --host-ip6.
CLI::Option* add_address_options(CLI::App& app, Raw& raw) {
  app.add_option("--ip", raw.ip, "ministack's address and prefix")
      ->capture_default_str()
      ->type_name("ADDR/LEN")
      ->check(check_interface);
  auto* ip6_opt =
      app.add_option("--ip6", raw.ip6,
                     "ministack's global or unique-local IPv6 address and prefix (its link-local one comes from --mac)")
          ->capture_default_str()
          ->type_name("ADDR6/LEN")
          ->check([](const std::string& text) { return check_interface6(text, Side::ours); });
  auto* no_ipv6_opt =
      app.add_flag("--no-ipv6", raw.no_ipv6, "Speak no IPv6, and give the host side no IPv6 address (IPv4 only)");
  no_ipv6_opt->excludes(ip6_opt);
  app.add_option("--mac", raw.mac, "ministack's MAC address (TAP)")
      ->capture_default_str()
      ->type_name("MAC")
      ->check(check_mac);
  return no_ipv6_opt;
}

// Where frames come from and go to: a device, or a capture; and the host side of a device.
void add_io_options(CLI::App& app, Raw& raw) {
  auto* tap_opt = app.add_option("--tap", raw.tap, "Create or attach the TAP (Ethernet) device NAME")
                      ->option_text("NAME")
                      ->check(check_ifname);
  auto* tun_opt = app.add_option("--tun", raw.tun, "Create or attach the TUN (raw IP) device NAME")
                      ->option_text("NAME")
                      ->check(check_ifname);
  auto* replay_opt = app.add_option("--replay", raw.replay,
                                    "Play the capture IN through the stack instead of a device (no root needed)")
                         ->option_text("IN.pcap");
  app.add_option("--pcap", raw.pcap,
                 "Write a capture: live, both directions; with --replay, exactly the frames the stack sent")
      ->option_text("FILE");
  auto* udp_opt =
      app.add_option("--udp-listen", raw.udp_listen,
                     "Run the stack behind a UDP socket on ADDR:PORT (:4789 for all addresses), one IP packet per "
                     "datagram, as `ministack tunnel` sends them: no device, no root")
          ->option_text("ADDR:PORT")
          ->check([](const std::string& text) { return check_socket_address(text, true); });
  app.add_option("--udp-peer", raw.udp_peer,
                 "With --udp-listen: take datagrams from this peer only (port 4789 if left out) [default: the first "
                 "that sends an IP packet]")
      ->option_text("ADDR[:PORT]")
      ->needs(udp_opt)
      ->check([](const std::string& text) { return check_socket_address(text, false); });
  auto* no_ipv6_opt = add_address_options(app, raw);
  auto* host_ip_opt = app.add_option("--host-ip", raw.host_ip, "Address given to the host side of the device")
                          ->capture_default_str()
                          ->type_name("ADDR/LEN")
                          ->check(check_interface);
  auto* host_ip6_opt =
      app.add_option("--host-ip6", raw.host_ip6, "IPv6 address given to the host side of the device (without DAD)")
          ->capture_default_str()
          ->type_name("ADDR6/LEN")
          ->check([](const std::string& text) { return check_interface6(text, Side::host); });
  auto* no_host_opt = app.add_flag("--no-host-config", raw.no_host_config,
                                   "Leave the host side of the device as it is (link, addresses)");
  tap_opt->excludes(tun_opt, replay_opt, udp_opt);
  tun_opt->excludes(replay_opt, udp_opt);
  udp_opt->excludes(replay_opt, host_ip_opt, host_ip6_opt, no_host_opt);
  replay_opt->excludes(host_ip_opt, host_ip6_opt, no_host_opt);
  no_ipv6_opt->excludes(host_ip6_opt);
}

// The MTU, the broadcast echo policy, and the limits of reassembly and ICMP errors.
void add_limit_options(CLI::App& app, Options& o, Raw& raw) {
  app.add_option("--mtu", o.mtu, "Largest datagram sent unfragmented [default: the device's; 1500 in a replay]")
      ->check(number(576, 65535))
      ->type_name("BYTES");
  app.add_flag("--answer-broadcast-echo", o.answer_broadcast_echo,
               "Answer echo requests sent to broadcast/multicast (off, as Linux's icmp_echo_ignore_broadcasts=1)");
  auto* reasm = app.add_option_group("Reassembly", "Limits on IP fragments held for reassembly");
  reasm->add_option("--reasm-max-datagrams", o.reassembly.max_datagrams, "Datagrams in progress at once")
      ->capture_default_str()
      ->check(number(1, 100000))
      ->type_name("N");
  reasm->add_option("--reasm-max-bytes", o.reassembly.max_bytes, "Memory held for them, in bytes")
      ->capture_default_str()
      ->check(number(65536, 1 << 30))
      ->type_name("BYTES");
  reasm->add_option("--reasm-timeout", raw.reasm_timeout_s, "Seconds before an incomplete datagram is dropped")
      ->capture_default_str()
      ->check(number(1, 60))  // RFC 1122 §3.3.2: at most 60 s
      ->type_name("SECONDS");
  auto* icmp = app.add_option_group("ICMP errors", "Rate limits on the ICMP errors sent (0 = unlimited)");
  icmp->add_option("--icmp-ratelimit", raw.icmp_ratelimit_ms, "Milliseconds per error to one destination (burst 6)")
      ->capture_default_str()
      ->check(number(0, 3600000))
      ->type_name("MS");
  icmp->add_option("--icmp-msgs-per-sec", o.icmp_rate.msgs_per_sec, "Errors per second to all destinations")
      ->capture_default_str()
      ->check(number(0, 1000000))
      ->type_name("N");
  icmp->add_option("--icmp-msgs-burst", o.icmp_rate.msgs_burst, "Burst allowed above that rate")
      ->capture_default_str()
      ->check(number(0, 1000000))
      ->type_name("N");
}

// TCP's services and caps (stack/tcp/limits.hpp says what each bounds).
void add_tcp_options(CLI::App& app, Options& o, Raw& raw) {
  auto* tcp = app.add_option_group("TCP", "TCP's services and the caps on its connections");
  tcp->add_option("--tcp-echo", raw.tcp_echo, "Port of the echo service (RFC 862), or off")
      ->capture_default_str()
      ->check(check_service_port)
      ->type_name("PORT|off");
  tcp->add_option("--tcp-discard", raw.tcp_discard, "Port of the discard service (RFC 863), or off")
      ->capture_default_str()
      ->check(check_service_port)
      ->type_name("PORT|off");
  tcp->add_option("--tcp-max-connections", o.tcp.max_connections, "Connections at once, in any state")
      ->capture_default_str()
      ->check(number(1, 1000000))
      ->type_name("N");
  tcp->add_option("--tcp-max-half-open", o.tcp.max_half_open, "Connections in SYN-RECEIVED at once")
      ->capture_default_str()
      ->check(number(1, 1000000))
      ->type_name("N");
  tcp->add_option("--tcp-buffer", o.tcp.connection.buffer_bytes,
                  "Bytes queued per connection (its receive window; the echo's backlog)")
      ->capture_default_str()
      ->check(number(1024, 1 << 24))
      ->type_name("BYTES");
  tcp->add_option("--tcp-max-buffer", o.tcp.total_buffer_bytes, "Bytes queued by all connections together")
      ->capture_default_str()
      ->check(number(1024, 1 << 30))
      ->type_name("BYTES");
  tcp->add_option("--tcp-idle-timeout", raw.tcp_idle_timeout_s, "Seconds of silence before we close a connection")
      ->capture_default_str()
      ->check(number(1, 86400))
      ->type_name("SECONDS");
}

// How a live device waits for frames, and how long it spins first.
void add_speed_options(CLI::App& app, Options& o, Raw& raw) {
  auto* speed = app.add_option_group("Speed", "How a live device waits for frames (docs/PERFORMANCE.md)");
  speed
      ->add_option("--io", raw.io,
                   "poll (read, write, and poll() when no frame waits: the fastest here, docs/PERFORMANCE.md), uring "
                   "(one io_uring_enter per reply), or auto (io_uring if the kernel allows it, else poll)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "uring", "poll"}))
      ->type_name("MODE");
  speed
      ->add_option("--busy-poll", o.busy_poll_us,
                   "After a frame, look for the next one this long before sleeping (0: never spin; idle costs nothing)")
      ->capture_default_str()
      ->check(number(0, 1000000))
      ->type_name("USEC");
  speed
      ->add_option("--queues", o.queues,
                   "Open N queues of a multi-queue device, one worker thread and stack each (the kernel spreads "
                   "flows over them)")
      ->capture_default_str()
      ->check(number(1, 64))
      ->type_name("N");
}

// The host side's addresses: derived from ours when not given (address_checks.hpp says how), and when given, in our
// subnet or prefix, for the host's route to us is that subnet's. Returns what is wrong, or "".
std::string check_host_side(Options& o, const Raw& raw) {
  o.host_ip = raw.host_ip_given ? *Ipv4Interface::parse(raw.host_ip) : derive_host_ip(o.ip);
  const auto derived6 = derive_host_ip6(o.ip6);
  o.host_ip6 = raw.host_ip6_given ? *Ipv6Interface::parse(raw.host_ip6) : derived6.value_or(Ipv6Interface{});
  if (!o.host_config) return "";
  if (o.ip.address == o.host_ip.address) {
    return fmt::format("--ip and --host-ip are both {}: the host and ministack need different addresses",
                       o.ip.address.to_string());
  }
  if (!in_subnet(o.ip, o.host_ip.address)) {
    return fmt::format("--host-ip {} is outside --ip {}'s subnet, so the host would have no route to ministack: give "
                       "an address in it, such as {} (what ministack picks when --host-ip is not given)",
                       o.host_ip.to_string(), o.ip.to_string(), derive_host_ip(o.ip).to_string());
  }
  if (!o.ipv6) return "";
  if (!raw.host_ip6_given && !derived6) {
    return fmt::format("--ip6 {} leaves no address for the host side in its prefix: give a prefix of /120 or "
                       "shorter, or --host-ip6",
                       o.ip6.to_string());
  }
  if (o.ip6.address == o.host_ip6.address) {
    return fmt::format("--ip6 and --host-ip6 are both {}: the host and ministack need different addresses",
                       o.ip6.address);
  }
  if (!o.ip6.contains(o.host_ip6.address)) {
    return fmt::format("--host-ip6 {} is outside --ip6 {}'s prefix, so the host would have no route to ministack: "
                       "give an address in it{}",
                       o.host_ip6.to_string(), o.ip6.to_string(),
                       derived6 ? fmt::format(", such as {} (what ministack picks when --host-ip6 is not given)",
                                              derived6->to_string())
                                : "");
  }
  return "";
}

// Where output goes and which frames of a capture are played (--pcap, --stats-json, --filter or explain's filter,
// -c, --color). Returns what is wrong, or "".
std::string finish_output(Options& o, const Raw& raw, bool explain) {
  // Every name of stdout as "-": written through the stdout stream, never opened again (which, on a redirection to
  // a file, would write over what the stream wrote) nor replaced by rename.
  if (names_stdout(o.pcap_output)) o.pcap_output = "-";
  if (names_stdout(o.stats_json)) o.stats_json = "-";
  if (o.pcap_output == "-" && o.stats_json == "-") {
    return "--pcap and --stats-json both write to stdout: send one of them to a file";
  }
  if (o.html_output == "-" && o.stats_json == "-") {
    return "--html and --stats-json both write to stdout: send one of them to a file";
  }
  o.filter = raw.filter;
  if (explain && !raw.explain_filter.empty()) {
    if (!o.filter.empty()) return "explain takes its filter after the file or as --filter, not both";
    for (const std::string& word : raw.explain_filter) o.filter += (o.filter.empty() ? "" : " ") + word;
  }
  if (o.mode != Options::Mode::replay && (!o.filter.empty() || o.max_frames != 0)) {
    return "--filter and -c choose frames of a capture: use them with --replay or explain";
  }
  o.color = raw.color == "always"  ? Options::Color::always
            : raw.color == "never" ? Options::Color::never
                                   : Options::Color::automatic;
  return "";
}

// --udp-listen and --udp-peer: a listening address left out (":PORT") is every address of the peer's IP version, or
// IPv4's without a peer. Returns what is wrong, or "".
std::string finish_udp(Options& o, const Raw& raw) {
  o.link = LinkLayer::ip;
  if (!raw.udp_peer.empty()) o.udp_peer = SocketAddress::parse(raw.udp_peer);
  o.udp_listen = SocketAddress::parse(raw.udp_listen);
  if (raw.udp_listen.front() == ':' && o.udp_peer) {
    o.udp_listen = SocketAddress::any(o.udp_peer->family(), o.udp_listen->port());
  }
  if (o.udp_peer && o.udp_peer->family() != o.udp_listen->family()) {
    return fmt::format("--udp-listen {} and --udp-peer {} are of different IP versions: the underlay is IPv4 or IPv6 "
                       "at both ends",
                       o.udp_listen->to_string(), o.udp_peer->to_string());
  }
  if (o.udp_peer && *o.udp_peer == *o.udp_listen) {
    return fmt::format("--udp-listen and --udp-peer are both {}: the stack would answer itself",
                       o.udp_listen->to_string());
  }
  o.device = "udp " + o.udp_listen->to_string();
  return "";
}

// Where frames come from: a capture (--replay, explain), a UDP socket (--udp-listen) or a device (--tap, --tun).
// Returns what is wrong, or "".
std::string choose_source(Options& o, const Raw& raw, bool explain) {
  if (explain) {
    if (!raw.tap.empty() || !raw.tun.empty() || !raw.replay.empty() || !raw.pcap.empty() || !raw.udp_listen.empty()) {
      return "explain reads a capture and writes its trace to stdout: it takes no device (--tap, --tun, "
             "--udp-listen), --replay or --pcap; for those, run ministack --replay FILE --trace";
    }
    o.mode = Options::Mode::replay;
    o.replay_input = raw.explain_file;
    // --html draws the trace into the page: the text trace would only repeat it, or mix into a page on stdout.
    o.trace = o.html_output.empty();
    if (names_stdout(o.html_output)) o.html_output = "-";
  } else if (!raw.replay.empty()) {
    o.mode = Options::Mode::replay;
    o.replay_input = raw.replay;
  } else if (!raw.udp_listen.empty()) {
    return finish_udp(o, raw);
  } else if (raw.tap.empty() == raw.tun.empty()) {
    return "say what to run on: --tap NAME or --tun NAME (a device), --udp-listen ADDR:PORT (a UDP socket), or "
           "--replay IN.pcap (a capture)";
  } else {
    o.link = raw.tap.empty() ? LinkLayer::ip : LinkLayer::ethernet;
    o.device = raw.tap.empty() ? raw.tun : raw.tap;
  }
  return "";
}

// Turns what was parsed into Options, or a usage error for combinations CLI11 cannot express.
ParsedOptions finish(Options o, const Raw& raw, bool explain) {
  o.reassembly.timeout = std::chrono::seconds(raw.reasm_timeout_s);
  o.icmp_rate.per_destination_interval = std::chrono::milliseconds(raw.icmp_ratelimit_ms);
  o.tcp.echo_port = service_port(raw.tcp_echo);
  o.tcp.discard_port = service_port(raw.tcp_discard);
  o.tcp.connection.idle_timeout = std::chrono::seconds(raw.tcp_idle_timeout_s);
  if (o.tcp.echo_port && o.tcp.echo_port == o.tcp.discard_port) {
    return usage_error(fmt::format("--tcp-echo and --tcp-discard are both port {}: give one of them another port, "
                                   "or off",
                                   *o.tcp.echo_port));
  }
  if (o.tcp.total_buffer_bytes < o.tcp.connection.buffer_bytes) {
    return usage_error("--tcp-max-buffer is below --tcp-buffer: not even one connection would fit");
  }
  if (const std::string error = choose_source(o, raw, explain); !error.empty()) return usage_error(error);
  o.pcap_output = raw.pcap;
  o.io = raw.io == "uring" ? Options::Io::uring : raw.io == "poll" ? Options::Io::poll : Options::Io::automatic;
  o.ip = *Ipv4Interface::parse(raw.ip);
  o.mac = *MacAddress::parse(raw.mac);
  o.host_config = o.mode == Options::Mode::live && !raw.no_host_config && !o.udp_listen;
  o.log_level = raw.log.level();
  o.ipv6 = !raw.no_ipv6;
  o.ip6 = *Ipv6Interface::parse(raw.ip6);
  std::vector<std::string> warnings;
  if (const std::string error = check_host_side(o, raw); !error.empty()) return usage_error(error);
  // RFC 8200 §5: IPv6 needs a link MTU of 1280; below it the stack, as Linux, takes no IPv6 at all.
  if (o.ipv6 && o.mtu != 0 && o.mtu < 1280) {
    warnings.push_back(fmt::format("--mtu {} is below IPv6's minimum of 1280 (RFC 8200 §5): IPv6 packets will be "
                                   "dropped as ipv6_not_spoken; give --no-ipv6 to say so, or an MTU of 1280 or more",
                                   o.mtu));
  }
  if (o.udp_listen && (o.queues > 1 || o.io == Options::Io::uring)) {
    return usage_error("--udp-listen is one socket, waited on with poll: it takes no --queues or --io uring");
  }
  if (o.queues > 1 && (o.mode != Options::Mode::live || !o.pcap_output.empty() || o.trace)) {
    return usage_error(
        "--queues N runs one worker per queue of a live device; it does not combine with --replay, --pcap or "
        "--trace, whose output is one ordered stream: use --queues 1 with those");
  }
  if (const std::string error = finish_output(o, raw, explain); !error.empty()) return usage_error(error);
  if (!o.pcap_output.empty() && o.pcap_output == o.replay_input) {
    return usage_error("--pcap would overwrite the --replay input: choose another output file");
  }
  return {o, 0, warnings, std::nullopt};
}

// What to show and where: --color, -c, --filter, --stats-json, --user, --trace.
CLI::Option* add_output_options(CLI::App& app, Options& o, Raw& raw) {
  app.add_option("--stats-json", o.stats_json,
                 "Write the counters as JSON to FILE (- for stdout) at start, on SIGUSR1 and at exit")
      ->type_name("FILE");
  auto* user_opt = app.add_option("--user", o.user,
                                  "After setup, run as NAME with no capabilities and a seccomp filter "
                                  "(root keeps uid 0 but no capabilities)")
                       ->capture_default_str()
                       ->type_name("NAME");
  app.add_flag("--trace", o.trace,
               "For every frame, one line per layer: what it read and decided, what was sent, why a drop");
  app.add_option("--color", raw.color, "Colour the trace: auto (on a terminal, unless NO_COLOR is set), always, never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");
  app.add_option("--filter", raw.filter, "Replay only the frames this BPF filter matches (tcpdump's syntax)")
      ->type_name("EXPR");
  app.add_option("-c", o.max_frames, "Replay at most N frames (after --filter), as tcpdump -c")
      ->check(number(1, 1'000'000'000))
      ->type_name("N");
  return user_opt;
}

}  // namespace

bool names_stdout(const std::string& path) {
  return path == "-" || path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1";
}

ParsedOptions parse_options(int argc, char** argv) {
  Raw raw;
  Options o;
  CLI::App app{"ministack: a userspace TCP/IP stack that answers ARP, ping, UDP and TCP echo\n"
               "on a TUN or TAP device, or replays a pcap capture through the same stack.",
               "ministack"};
  app.formatter(std::make_shared<WrappingFormatter>());
  app.get_formatter()->column_width(30);
  app.set_version_flag("-V,--version", [] { return version_text(); });
  add_io_options(app, raw);
  add_log_options(app, raw.log);
  auto* user_opt = add_output_options(app, o, raw);
  auto* explain =
      app.add_subcommand("explain",
                         "Replay a capture with --trace on and no output file: see any capture with the stack's eyes");
  // The program's options work after `explain FILE` too (-c, -v, --color); those explain cannot use are refused
  // with a reason by finish(), not as "unexpected arguments".
  explain->fallthrough();
  explain->add_option("FILE.pcap", raw.explain_file, "The capture (Ethernet, raw IP or Linux cooked)")->required();
  explain->add_option("FILTER", raw.explain_filter,
                      "A BPF filter, as tcpdump takes it: only matching frames are played (numbered as in the file)");
  explain
      ->add_option("--html", o.html_output,
                   "Write one HTML page (- for stdout) that draws every frame's headers as the RFCs draw them, "
                   "with the trace beside each layer, instead of printing the trace")
      ->type_name("FILE");
  add_address_options(*explain, raw);
  add_limit_options(app, o, raw);
  add_tcp_options(app, o, raw);
  add_speed_options(app, o, raw);
  TunnelRaw tunnel_raw;
  CLI::App* tunnel = add_tunnel_command(app, tunnel_raw);
  app.footer(help_footer());

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return {std::nullopt, app.exit(e), {}, std::nullopt};  // --help, --version: printed to stdout, exit 0
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what(), tunnel->parsed() ? "ministack tunnel" : "ministack");
  }
  if (tunnel->parsed()) {
    // Options before the word `tunnel` belong to the stack, which does not run; only the log's apply to both.
    bool log_given = false;
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() == 0) continue;
      const std::string name = option->get_name();
      if (name == "--verbose" || name == "--quiet" || name == "--log-level") {
        log_given = true;
        continue;
      }
      return usage_error(fmt::format("{} is not an option of ministack tunnel: give the tunnel's options after the "
                                     "word tunnel (ministack tunnel --help lists them)",
                                     name),
                         "ministack tunnel");
    }
    TunnelOptions t;
    if (const std::string error = finish_tunnel(*tunnel, tunnel_raw, t); !error.empty()) {
      return usage_error(error, "ministack tunnel");
    }
    const bool tunnel_log_given = tunnel_raw.log.verbose || tunnel_raw.log.quiet || !tunnel_raw.log.level_name.empty();
    if (log_given && tunnel_log_given) {
      return usage_error("the log's level is given both before and after the word tunnel: give it once",
                         "ministack tunnel");
    }
    if (log_given) t.log_level = raw.log.level();
    return {std::nullopt, 0, {}, t};
  }
  o.user_given = user_opt->count() > 0;
  raw.host_ip_given = app.get_option("--host-ip")->count() > 0;
  raw.host_ip6_given = app.get_option("--host-ip6")->count() > 0;
  return finish(o, raw, explain->parsed());
}

}  // namespace ministack
