// ministack: a userspace IPv4 stack on a TUN or TAP device that answers ARP and ping, or the same stack run over a
// pcap capture.
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "confine.hpp"
#include "device/capture_device.hpp"
#include "device/host_config.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"
#include "device/routes.hpp"
#include "device/tuntap.hpp"
#include "device/udp_device.hpp"
#include "event_loop.hpp"
#include "html/html_output.hpp"
#include "log.hpp"
#include "options.hpp"
#include "queues.hpp"
#include "stats.hpp"
#include "syscall_filter.hpp"
#include "tunnel.hpp"

namespace {

using namespace ministack;

// Lock-free atomics: safe to set from a signal handler, and to read from the worker threads of --queues.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_stats_request{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_signal(int) { g_stop = true; }
void on_stats_signal(int) { g_stats_request = true; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a signal must interrupt poll() so the loop sees it at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // SIGHUP (the terminal went away, or a supervisor's "stop"): end as cleanly as on SIGTERM, with the summary.
  sigaction(SIGHUP, &sa, nullptr);
  // SIGUSR1: print the counters and keep running.
  sa.sa_handler = on_stats_signal;
  sigaction(SIGUSR1, &sa, nullptr);
}

// Live, a reader of stdout that went away (`ministack --tap tap0 | head -1`) must not stop the service: the table's
// write fails instead. A replay or a trace ends by SIGPIPE, as any filter does when its reader is done.
void ignore_sigpipe_when_serving(const Options& opt) {
  if (opt.mode != Options::Mode::live || opt.trace) return;
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, nullptr);
}

// One line for the log (stderr); the full table goes to report_stream().
void log_summary(Logger& log, const Counters& c, const LoopStats& loop) {
  log.info("stopped: {} in, {} out ({}, {}, {}, {}, {}, {}, {}), {} dropped, {}", plural(c.frames_received(), "frame"),
           plural(c.frames_sent(), "frame"), plural(c.get(Counter::arpOutReplies), "ARP reply", "ARP replies"),
           plural(c.get(Counter::Icmp6OutNeighborAdvertisements), "neighbor advertisement"),
           plural(c.get(Counter::icmpOutEchoReps) + c.get(Counter::Icmp6OutEchoReplies), "echo reply", "echo replies"),
           plural(c.get(Counter::udpOutDatagrams), "UDP datagram"), plural(c.get(Counter::tcpOutSegs), "TCP segment"),
           plural(c.get(Counter::icmpOutDestUnreachs) + c.get(Counter::Icmp6OutDestUnreachs) +
                      c.get(Counter::Icmp6OutParmProblems),
                  "ICMP error"),
           plural(c.get(Counter::ipFragCreates) + c.get(Counter::Ip6FragCreates), "fragment"), c.total_drops(),
           plural(loop.transmit_errors, "send error"));
}

// Where the counters table and the neighbor cache go: stdout, unless a data stream has it (--pcap -,
// --stats-json -, --trace), for a reader of that stream must get nothing else.
std::FILE* report_stream(const Options& opt) {
  return names_stdout(opt.pcap_output) || names_stdout(opt.stats_json) || opt.trace || !opt.html_output.empty()
             ? stderr
             : stdout;
}

// Where --trace goes: stdout, unless --pcap or --stats-json took it.
std::FILE* trace_stream(const Options& opt) {
  return names_stdout(opt.pcap_output) || names_stdout(opt.stats_json) ? stderr : stdout;
}

// --color, NO_COLOR (https://no-color.org) and whether `out` is a terminal.
bool use_colour(const Options& opt, std::FILE* out) {
  if (opt.color != Options::Color::automatic) return opt.color == Options::Color::always;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return ::isatty(::fileno(out)) == 1;
}

// The counters as a table and, with --stats-json, as JSON: at exit and on SIGUSR1; with `neighbors`, the neighbor
// cache after the table.
// With `tunnel` (--udp-listen), the UDP device's counters follow the stack's.
void report_counters(const Options& opt, Logger& log, const Counters& counters, const IoStats& io,
                     const std::string& neighbors = {}, const TunnelCounters* tunnel = nullptr) {
  // The JSON first: once the table shows, a script watching the log finds the file written too.
  if (!opt.stats_json.empty()) {
    try {
      write_counters_json(opt.stats_json, counters, MINISTACK_VERSION, io, tunnel);
    } catch (const std::exception& e) {
      log.error("{}", e.what());
    }
  }
  if (opt.log_level < LogLevel::info) return;
  // fwrite, not fmt::print (which throws): a stdout that went away (| head -1) loses the table, not the stack.
  const std::string table = counters_table(counters, io) + (tunnel ? tunnel_table(*tunnel) : "") + neighbors;
  std::FILE* out = report_stream(opt);
  std::fwrite(table.data(), 1, table.size(), out);
  std::fflush(out);
}

// The host side's subnet already routed through another interface (a LAN on 192.168.3.0/24): the address ministack
// gives the host side would take over part of it, or the other route would win.
void warn_if_routed_elsewhere(const Options& opt, const std::string& device, Logger& log) {
  if (!opt.host_config) return;
  std::vector<Ipv6Interface> prefixes6;
  if (opt.ipv6) prefixes6.push_back(opt.host_ip6);
  for (const RouteClash& clash : routes_elsewhere(device, opt.host_ip, prefixes6)) {
    const std::string route = clash.route == clash.subnet ? "" : fmt::format(" (by the route to {})", clash.route);
    log.warn("{} is already routed through {}{}: giving {} a second route into it can cut this host off from that "
             "network, or hide ministack behind it; choose a free subnet with --ip (e.g. --ip 10.213.7.12/24), or run "
             "ministack in a network namespace (scripts/sandbox.sh)",
             clash.subnet, clash.device, route, device);
  }
}

// The live device's queue (one of --queues N, or the only one), waiting for frames as --io and --busy-poll say.
std::unique_ptr<TunTapDevice> open_queue(const Options& opt, Logger& log) {
  IoOptions io;
  io.mode = opt.io == Options::Io::uring  ? IoMode::uring
            : opt.io == Options::Io::poll ? IoMode::poll
                                          : IoMode::automatic;
  io.busy_poll = std::chrono::microseconds(opt.busy_poll_us);
  io.multi_queue = opt.queues > 1;
  auto device = TunTapDevice::open(opt.link, opt.device, io);
  if (!device->fallback_reason().empty()) log.info("{}: waiting with poll", device->fallback_reason());
  return device;
}

// Opens the device the options name: a TUN/TAP device (set up on the host side unless told not to) or a capture.
// `host_side` says, for the log, what became of the host side.
std::unique_ptr<Device> open_device(const Options& opt, std::string& host_side, Logger& log) {
  if (opt.mode == Options::Mode::replay) {
    return std::make_unique<PcapReplayDevice>(opt.replay_input, 1500, ReplaySelection{opt.filter, opt.max_frames});
  }
  if (opt.udp_listen) {
    auto device = std::make_unique<UdpDevice>(*opt.udp_listen, opt.udp_peer, opt.mtu);
    device->set_observer([&log](const Datagram& d) {
      if (d.new_peer)
        log.info("peer is {} (the first to send an IP packet): only its datagrams are taken now", d.source.to_string());
      if (d.drop)
        log.debug("dropped a datagram from {} as {}: {}", d.source.to_string(), describe(*d.drop).name,
                  describe(*d.drop).meaning);
    });
    host_side = opt.udp_peer ? "peer " + opt.udp_peer->to_string()
                             : "no peer yet: the first to send an IP packet becomes it";
    return device;
  }
  auto device = open_queue(opt, log);
  warn_if_routed_elsewhere(opt, device->name(), log);
  if (!opt.host_config) {
    host_side = "host side left as it is";
    return device;
  }
  const std::optional<Ipv6Interface> host6 = opt.ipv6 ? std::optional(opt.host_ip6) : std::nullopt;
  if (host_side_configured(device->name(), opt.host_ip, host6)) {
    // Already done (a persistent device set up once by root): nothing to change, so no privilege needed.
    host_side = fmt::format("host side already up with {}{}", opt.host_ip.to_string(),
                            host6 ? " and " + host6->to_string() : "");
    return device;
  }
  // Only what is missing is changed; an IPv6 address the host cannot have is a warning, never a failure.
  const HostSideReport report = configure_host_side(device->name(), opt.host_ip, host6);
  const std::string addresses = opt.host_ip.to_string() +
                                (report.has_ipv6 ? " and " + opt.host_ip6.to_string() : std::string{});
  host_side = report.changed ? fmt::format("host side {}, link up", addresses)
                             : fmt::format("host side already up with {}", addresses);
  if (!report.ipv6_warning.empty()) log.warn("{}", report.ipv6_warning);
  return device;
}

// After setup nothing needs privilege: become the --user, drop every capability, forbid all but the loop's
// system calls. A replay keeps its user unless --user is given (it opened no device). Throws on failure.
PrivilegeState confine(const Options& opt, Logger& log, bool threads = false) {
  PrivilegeRequest request;
  request.user = opt.user;
  request.user_given = opt.user_given;
  request.change_user = opt.mode == Options::Mode::live || opt.user_given;
  // Live, worth a line; a replay or explain is quiet about it.
  return ministack::confine(request, log, opt.mode == Options::Mode::live ? LogLevel::info : LogLevel::debug, threads);
}

// The first JSON snapshot, written once confined: a path the confined process cannot write fails at start, not at
// exit. Throws with advice when it cannot.
void write_first_snapshot(const Options& opt, const PrivilegeState& confined, const Device& device) {
  // stdout gets whole documents at SIGUSR1 and exit only: a stream of snapshots would start with an empty one.
  if (opt.stats_json.empty() || names_stdout(opt.stats_json)) return;
  try {
    write_counters_json(opt.stats_json, Counters{}, MINISTACK_VERSION, device.io_stats());
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "{}. After setup ministack runs as {} (uid {}) with no capabilities, and replaces the file whole (a "
        "temporary file beside it, then rename), so that user must be able to create files in that directory: "
        "choose one it may write (e.g. made with 'install -d -o {} DIR'), or another --user",
        e.what(), confined.user, confined.uid, confined.user));
  }
}

// 16 bytes from the kernel's random source (getrandom(2), which blocks only before the pool is first seeded).
tcp::IsnSecret random_secret() {
  tcp::IsnSecret secret{};
  std::size_t done = 0;
  while (done < secret.size()) {
    const ssize_t n = ::getrandom(secret.data() + done, secret.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "reading random bytes for TCP's ISN secret");
    done += static_cast<std::size_t>(n);
  }
  return secret;
}

// What the page of `explain --html` names and how it reads frames: the capture's file name and its link layer.
PageSource html_source(const Options& opt, const Device& device) {
  const std::size_t slash = opt.replay_input.rfind('/');
  return {slash == std::string::npos ? opt.replay_input : opt.replay_input.substr(slash + 1), device.link()};
}

StackConfig stack_config(const Options& opt, const Device& device) {
  StackConfig config;
  config.link = device.link();
  config.interface = opt.ip;
  config.ipv6 = opt.ipv6;
  config.interface6 = opt.ip6;
  config.mac = opt.mac;
  config.mtu = opt.mtu ? opt.mtu : device.mtu();
  config.answer_broadcast_echo = opt.answer_broadcast_echo;
  config.reassembly = opt.reassembly;
  config.icmp_rate = opt.icmp_rate;
  config.tcp = opt.tcp;
  // RFC 6528's secret: random for a live device, so that no one off the path can guess our ISNs; fixed (zero) for a
  // replay, whose output must be the same on every run.
  if (opt.mode == Options::Mode::live) config.tcp.isn_secret = random_secret();
  return config;
}

// The loop options every live or replayed run shares.
LoopOptions loop_options_for(const Options& opt, const Device& device, Logger& log) {
  LoopOptions options;
  options.log = &log;
  // A gratuitous ARP tells the link our address at once (RFC 5227 §2.3); a replay has no link to tell.
  options.announce = opt.mode == Options::Mode::live && device.link() == LinkLayer::ethernet;
  // Replies follow the device's MTU as the host changes it, unless the user fixed it with --mtu.
  options.follow_device_mtu = opt.mode == Options::Mode::live && opt.mtu == 0;
  return options;
}

// Where the stack answers: "192.168.3.12/24, fd00:3::12/64 and fe80::ff:fe00:1%tap0". The link-local address is
// ours on TUN too (derived from the MAC all the same); a replay's has no zone, for a capture is no interface.
std::string our_addresses(const Options& opt, const Device& device, const Stack& stack) {
  if (!stack.config().ipv6) return opt.ip.to_string();
  const std::string zone = opt.mode == Options::Mode::live && !opt.udp_listen ? "%" + device.name() : std::string{};
  return fmt::format("{}, {} and {}{}", opt.ip.to_string(), stack.config().interface6.to_string(),
                     stack.config().link_local6(), zone);
}

std::string describe_start(const Options& opt, const Device& device, const Stack& stack, const std::string& host_side) {
  const bool tap = device.link() == LinkLayer::ethernet;
  const std::string addresses = our_addresses(opt, device, stack);
  std::string line = opt.mode == Options::Mode::replay ? fmt::format("replaying {} ({} pipeline) as {}", device.name(),
                                                                     tap ? "TAP" : "TUN", addresses)
                     : opt.udp_listen ? fmt::format("listening on UDP {} (one IP packet per datagram, MTU {}) as {}",
                                                    opt.udp_listen->to_string(), stack.config().mtu, addresses)
                                      : fmt::format("listening on {} ({}, MTU {}, {}, busy-poll {} µs) as {}",
                                                    device.name(), tap ? "TAP" : "TUN", stack.config().mtu,
                                                    device.io_stats().mode, opt.busy_poll_us, addresses);
  if (tap) line += ", MAC " + stack.config().mac.to_string();
  if (opt.mode == Options::Mode::live) {
    line += "; " + host_side;
  }
  if (!opt.pcap_output.empty()) line += "; capturing to " + opt.pcap_output;
  return line;
}

// The neighbor cache for SIGUSR1, on TAP (TUN has no link addresses to resolve).
std::string neighbors_of(const Stack& stack, const Device& device, Instant now) {
  if (device.link() != LinkLayer::ethernet) return {};
  return neighbor_table(stack.neighbors().snapshot(now), device.name());
}

// What the UDP device (--udp-listen) keeps from the stack, told: the peer it learnt, and each datagram it dropped (in
// the trace too). Returns its counters, or nullptr for another device.
const TunnelCounters* watch_udp_device(UdpDevice* udp, Logger& log, std::optional<TracePrinter>& trace) {
  if (!udp) return nullptr;
  udp->set_observer([&log, &trace](const Datagram& d) {
    if (d.new_peer) {
      log.info("peer is {} (the first to send an IP packet): only its datagrams are taken now", d.source.to_string());
    }
    if (!d.drop) return;
    const TunnelDropInfo info = describe(*d.drop);
    log.debug("dropped a datagram from {} as {}: {}", d.source.to_string(), info.name, info.meaning);
    if (trace) {
      trace->begin_event(fmt::format("a datagram from {}, {} B: dropped as {} ({}) before the stack",
                                     d.source.to_string(), d.length, info.name, info.meaning));
    }
  });
  log.warn("UDP datagrams are neither encrypted nor authenticated: anyone who can send from the peer's address can "
           "talk to the stack; over networks you do not trust, use WireGuard (wg(8)) instead");
  return &udp->counters();
}

// --queues N: the device's N queues, a stack and a thread each. Returns the exit status.
int run_queues(const Options& opt, Logger& log) {
  std::vector<std::unique_ptr<QueueWorker>> workers;
  std::string host_side;
  try {
    for (unsigned i = 0; i < opt.queues; ++i) {
      auto worker = std::make_unique<QueueWorker>();
      // The first queue creates the device and sets up the host side; the others attach to it.
      worker->device = i == 0 ? open_device(opt, host_side, log) : open_queue(opt, log);
      worker->stack = std::make_unique<Stack>(stack_config(opt, *worker->device));
      workers.push_back(std::move(worker));
    }
    // A second ministack would silently take half the flows: refuse, as a single-queue device does (EBUSY).
    if (const auto* first = dynamic_cast<const TunTapDevice*>(workers[0]->device.get())) {
      first->ensure_only_queues(opt.queues);
    }
    write_first_snapshot(opt, confine(opt, log, true), *workers[0]->device);
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  log.info("{}; {} queues, a worker thread each",
           describe_start(opt, *workers[0]->device, *workers[0]->stack, host_side), opt.queues);
  int status = 0;
  try {
    status = run_queue_workers(
        workers, QueueSignals{g_stop, g_stats_request}, loop_options_for(opt, *workers[0]->device, log),
        [] { lock_thread_start(); }, [&](const QueueReport& r) { report_counters(opt, log, r.counters, r.io); });
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  const QueueReport final = merge_final(workers);
  std::string spread;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    spread += fmt::format("{}queue {}: {}", i ? ", " : "", i, workers[i]->stack->counters().frames_received());
  }
  log.info("frames in by queue: {}", spread);
  log_summary(log, final.counters, final.loop);
  report_counters(opt, log, final.counters, final.io);
  return status;
}

// Where frames come from and what is written besides the stack's own output, opened before privileges are dropped.
struct Sources {
  std::unique_ptr<Device> device;
  std::optional<PcapWriter> writer;
  std::optional<CaptureDevice> capture;  // --pcap: records around `device`
  std::optional<HtmlOutput> html;        // explain --html
  std::string host_side;
};

// Opens the device and the outputs; returns 0, or the exit code after saying what failed.
int open_sources(const Options& opt, Logger& log, Sources& s) {
  try {
    s.device = open_device(opt, s.host_side, log);
    if (!opt.html_output.empty()) s.html.emplace(opt.html_output, html_source(opt, *s.device));
    if (!opt.pcap_output.empty()) {
      s.writer.emplace(opt.pcap_output, s.device->capture_link_type());
      const bool replay = opt.mode == Options::Mode::replay;
      // Replay output holds only what the stack sent, each reply stamped like the frame that caused it.
      s.capture.emplace(*s.device, *s.writer,
                        replay ? CaptureDevice::Record::transmitted_only : CaptureDevice::Record::both_directions,
                        replay);
    }
  } catch (const ReplayFilterError& e) {
    fmt::print(stderr, "ministack: {} (a filter takes tcpdump's syntax: man 7 pcap-filter)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  return 0;
}

// `ministack tunnel`: the same signals as the stack, and its own loop.
int tunnel_command(const TunnelOptions& options) {
  Logger log(options.log_level);
  install_signal_handlers();
  return run_tunnel(options, log, g_stop, g_stats_request);
}

}  // namespace

int main(int argc, char** argv) {
  const ParsedOptions parsed = parse_options(argc, argv);
  if (parsed.tunnel) return tunnel_command(*parsed.tunnel);
  if (!parsed.options) return parsed.exit_code;
  const Options& opt = *parsed.options;
  Logger log(opt.log_level);
  for (const std::string& warning : parsed.warnings) log.warn("{}", warning);
  install_signal_handlers();
  ignore_sigpipe_when_serving(opt);
  if (opt.queues > 1) return run_queues(opt, log);

  Sources sources;
  if (const int status = open_sources(opt, log, sources); status != 0) return status;
  Device& io = sources.capture ? static_cast<Device&>(*sources.capture) : *sources.device;

  Stack stack(stack_config(opt, io));
  std::optional<TracePrinter> trace;
  if (opt.trace) trace.emplace(trace_stream(opt), use_colour(opt, trace_stream(opt)));
  if (trace || sources.html) stack.set_tracer(sources.html ? static_cast<Tracer*>(&sources.html->recorder()) : &*trace);
  try {
    // Last, once everything that needs privilege or asks the terminal (isatty) is done.
    write_first_snapshot(opt, confine(opt, log), io);
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  log.info("{}", describe_start(opt, io, stack, sources.host_side));
  const TunnelCounters* tunnel = watch_udp_device(dynamic_cast<UdpDevice*>(sources.device.get()), log, trace);

  LoopStats loop;
  int status = 0;
  try {
    LoopOptions loop_options = loop_options_for(opt, io, log);
    loop_options.trace = trace ? &*trace : nullptr;
    if (sources.html) loop_options.observer = &sources.html->recorder();
    loop_options.stats_request = &g_stats_request;
    loop_options.report = [&](Instant now) {
      report_counters(opt, log, stack.counters(), io.io_stats(), neighbors_of(stack, io, now), tunnel);
    };
    loop = run_event_loop(io, stack, g_stop, loop_options);
    if (sources.html) sources.html->finish();
  } catch (const std::runtime_error& e) {  // DeviceError, or the page that could not be written
    log.error("{}", e.what());
    status = 1;
  }
  log_summary(log, stack.counters(), loop);
  report_counters(opt, log, stack.counters(), io.io_stats(), {}, tunnel);
  return status;
}
