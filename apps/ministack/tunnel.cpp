#include "tunnel.hpp"

#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "confine.hpp"
#include "device/host_config.hpp"
#include "device/pcap_writer.hpp"
#include "device/tuntap.hpp"
#include "device/udp_endpoint.hpp"
#include "frame_summary.hpp"
#include "stats.hpp"

namespace ministack {

namespace {

// Packets moved one way before the other way gets its turn: neither direction can starve the other.
constexpr int kBatch = 64;
// The longest wait before the loop looks at its stop flag and the device's link events again.
constexpr int kWaitMs = 200;

Received::Timestamp now_since_epoch() {
  return std::chrono::duration_cast<Received::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
}

// The device's MTU: --mtu, or the underlay's route to the peer less the outer headers (RFC 768's 8 bytes of UDP and
// the outer IP header's 20 or 40). `how` says where it came from, for the log.
std::size_t tunnel_mtu(const TunnelOptions& opt, const UdpEndpoint& endpoint, std::string& how) {
  if (opt.mtu != 0) {
    how = "--mtu";
    return opt.mtu;
  }
  const std::size_t overhead = opt.peer.overhead();
  const auto path = endpoint.path_mtu();
  const std::size_t underlay = path.value_or(1500);
  how = fmt::format("{} {} less {} bytes of outer IP and UDP headers",
                    path ? "the route to the peer has MTU" : "no route to the peer yet, so MTU", underlay, overhead);
  return underlay - overhead;
}

class Tunnel {
 public:
  Tunnel(const TunnelOptions& opt, Logger& log, TunTapDevice& device, UdpEndpoint& endpoint, PcapWriter* pcap,
         std::FILE* trace)
      : opt_(opt), log_(log), device_(device), endpoint_(endpoint), pcap_(pcap), trace_(trace), buffer_(65535) {}

  // Forwards until `stop`; throws DeviceError if the device is removed or fails.
  void run(const std::atomic<bool>& stop, std::atomic<bool>& stats_request) {
    pollfd pfds[2] = {{device_.descriptor(), POLLIN, 0}, {endpoint_.descriptor(), POLLIN, 0}};
    while (!stop) {
      if (stats_request.exchange(false)) report();
      const bool busy = outward() | inward();
      if (busy) continue;
      ++polls_;
      // A signal ends the wait (EINTR) and the loop looks at `stop`.
      ::poll(pfds, 2, kWaitMs);
    }
  }

  // With --stats-json, the counters as JSON; throws std::runtime_error when the file cannot be written.
  void write_json() const {
    if (!opt_.stats_json.empty())
      write_json_file(opt_.stats_json, tunnel_json(endpoint_.counters(), MINISTACK_VERSION, io()));
  }

  // The counters: the JSON file, then a table on the report stream.
  void report() const {
    try {
      write_json();
    } catch (const std::exception& e) {
      log_.error("{}", e.what());
    }
    if (opt_.log_level < LogLevel::info) return;
    const std::string table = tunnel_table(endpoint_.counters(), io());
    std::FILE* out = names_stdout(opt_.pcap_output) || names_stdout(opt_.stats_json) || opt_.trace ? stderr : stdout;
    std::fwrite(table.data(), 1, table.size(), out);
    std::fflush(out);
  }

 private:
  IoStats io() const {
    IoStats io = endpoint_.io_stats();
    io += device_.io_stats();
    io.poll += polls_;
    return io;
  }

  // From the device to the peer. Returns whether anything was read.
  bool outward() {
    bool any = false;
    for (int i = 0; i < kBatch; ++i) {
      // No timeout: a read, and a look at the device's link events (its MTU, its removal).
      const Received in = device_.receive(buffer_, std::chrono::milliseconds(0));
      if (in.status != Received::Status::frame) break;
      any = true;
      const Bytes packet = Bytes{buffer_}.first(in.length);
      const std::optional<TunnelDrop> drop = endpoint_.send(packet);
      // Each new reason once: an unreachable peer must not write a line per packet.
      if (drop == TunnelDrop::send_failed && endpoint_.last_error() != reported_error_) {
        reported_error_ = endpoint_.last_error();
        log_.error("{} (told once; every failure is counted as tunnel_send_failed)", reported_error_);
      }
      if (!drop && pcap_) pcap_->write(packet, in.timestamp);
      if (trace_) trace(in.timestamp, packet, drop, true, endpoint_.local(), endpoint_.peer());
    }
    return any;
  }

  // From the peer to the device. Returns whether anything was received.
  bool inward() {
    bool any = false;
    for (int i = 0; i < kBatch; ++i) {
      const Datagram d = endpoint_.receive(buffer_);
      if (d.status == Datagram::Status::none) break;
      any = true;
      const Bytes packet = Bytes{buffer_}.first(d.length);
      std::optional<TunnelDrop> drop = d.drop;
      if (!drop) {
        try {
          device_.transmit(packet);
        } catch (const DeviceError& e) {
          endpoint_.counters().count(TunnelDrop::write_failed);
          if (e.what() != reported_error_) {
            reported_error_ = e.what();
            log_.error("{} (told once; every failure is counted as tunnel_write_failed)", reported_error_);
          }
          drop = TunnelDrop::write_failed;
        }
      }
      const auto stamp = now_since_epoch();
      if (!drop && pcap_) pcap_->write(packet, stamp);
      if (drop && drop != TunnelDrop::write_failed) {
        log_.debug("dropped a datagram from {} as {}: {}", d.source.to_string(), describe(*drop).name,
                   describe(*drop).meaning);
      }
      if (trace_) trace(stamp, packet, drop, false, d.source, endpoint_.local());
    }
    return any;
  }

  // One line: when, which way, the inner packet, the outer datagram; or why it was dropped.
  void trace(Received::Timestamp when, Bytes packet, std::optional<TunnelDrop> drop, bool out,
             const std::optional<SocketAddress>& from, const std::optional<SocketAddress>& to) const {
    const std::string way = out ? fmt::format("{} > peer", device_.name()) : fmt::format("peer > {}", device_.name());
    const std::string outer = fmt::format("UDP {} > {}, {} B", from ? from->to_string() : "?",
                                          to ? to->to_string() : "(no peer)", packet.size() + opt_.peer.overhead());
    const std::string inner = drop == TunnelDrop::not_ip
                                  ? fmt::format("{} B, not IP", packet.size())
                                  : frame_summary(LinkLayer::ip, packet) + fmt::format(", {} B", packet.size());
    const std::string verdict = drop ? fmt::format("dropped as {}: ", describe(*drop).name) : std::string{};
    fmt::print(trace_, "{} {:<12} {}{} | outer {}\n", time_of_day(when), way, verdict, inner, outer);
    std::fflush(trace_);
  }

  const TunnelOptions& opt_;
  Logger& log_;
  TunTapDevice& device_;
  UdpEndpoint& endpoint_;
  PcapWriter* pcap_;
  std::FILE* trace_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t polls_ = 0;
  std::string reported_error_;  // the last failure logged
};

// The device's MTU and host side, as the options ask. Returns what the log says of it.
std::string configure(const TunnelOptions& opt, const TunTapDevice& device, std::size_t mtu, const std::string& how) {
  if (!opt.host_config) {
    const std::string advice =
        device.mtu() > mtu ? fmt::format(" (above the {} that fits in one datagram: {}; the underlay will fragment "
                                         "larger packets)",
                                         mtu, how)
                           : "";
    return fmt::format("MTU {}{}, host side left as it is", device.mtu(), advice);
  }
  if (device.mtu() != mtu) set_link_mtu(device.name(), mtu);
  const std::string mtu_text = fmt::format("MTU {} ({})", mtu, how);
  if (host_side_configured(device.name(), opt.ip, opt.ip6)) {
    return fmt::format("{}, already up with {}", mtu_text, opt.ip.to_string());
  }
  const HostSideReport report = configure_host_side(device.name(), opt.ip, opt.ip6);
  return fmt::format("{}, {}{}, link up", mtu_text, opt.ip.to_string(),
                     report.has_ipv6 ? " and " + opt.ip6->to_string() : std::string{});
}

}  // namespace

int run_tunnel(const TunnelOptions& opt, Logger& log, const std::atomic<bool>& stop, std::atomic<bool>& stats_request) {
  // A reader of stdout that went away must not stop the tunnel; a trace ends with its reader, as a filter does.
  if (!opt.trace) ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TunTapDevice> device;
  std::optional<UdpEndpoint> endpoint;
  std::optional<PcapWriter> pcap;
  std::string setup;
  try {
    device = TunTapDevice::open(LinkLayer::ip, opt.device);
    endpoint.emplace(opt.local, opt.peer);
    std::string how;
    const std::size_t mtu = tunnel_mtu(opt, *endpoint, how);
    setup = configure(opt, *device, mtu, how);
    if (!opt.pcap_output.empty()) pcap.emplace(opt.pcap_output, kDltRaw);
    PrivilegeRequest request;
    request.user = opt.user;
    request.user_given = opt.user_given;
    confine(request, log, LogLevel::info);
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  log.warn("the tunnel is neither encrypted nor authenticated: anyone on the path can read what crosses it, and "
           "anyone who can send from {} can put packets into {}; over networks you do not trust, use WireGuard (wg(8)) "
           "instead",
           opt.peer.to_string(), opt.device);
  log.info("tunnel {}: {}; UDP {} <-> peer {}{}", device->name(), setup, endpoint->local().to_string(),
           opt.peer.to_string(), pcap ? "; capturing the inner packets to " + opt.pcap_output : std::string{});

  std::FILE* trace = nullptr;
  if (opt.trace) trace = names_stdout(opt.pcap_output) || names_stdout(opt.stats_json) ? stderr : stdout;
  Tunnel tunnel(opt, log, *device, *endpoint, pcap ? &*pcap : nullptr, trace);
  int status = 0;
  try {
    // A path the confined process cannot write fails now, not at exit.
    if (opt.stats_json != "-") tunnel.write_json();
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 1;
  }
  try {
    tunnel.run(stop, stats_request);
  } catch (const DeviceError& e) {
    log.error("{}", e.what());
    status = 1;
  }
  const TunnelCounters& c = endpoint->counters();
  log.info("stopped: {} to the peer ({} B), {} from the peer ({} B), {} dropped", plural(c.out_packets, "packet"),
           c.out_octets, plural(c.in_packets, "packet"), c.in_octets, c.total_drops());
  tunnel.report();
  return status;
}

}  // namespace ministack
