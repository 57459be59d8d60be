#include "tunnel.hpp"

#include <poll.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
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

// Packets moved one way before the other way gets its turn (neither direction can starve the other), in one
// sendmmsg or recvmmsg.
constexpr std::size_t kBatch = UdpEndpoint::kMaxBatch;
// Room for one packet: the largest an IP header's 16-bit length allows.
constexpr std::size_t kSlot = 65535;
// The longest wait before the loop looks at its stop flag and the device's link events again.
constexpr int kWaitMs = 200;

Received::Timestamp now_since_epoch() {
  return std::chrono::duration_cast<Received::Timestamp>(std::chrono::system_clock::now().time_since_epoch());
}

// The device's MTU: --mtu, or the underlay's route to the peer less the outer headers (RFC 768's 8 bytes of UDP and
// the outer IP header's 20 or 40). `how` says where it came from, for the log.
std::size_t tunnel_mtu(const TunnelOptions& opt, const std::optional<UdpEndpoint::Route>& route, std::string& how) {
  if (opt.mtu != 0) {
    how = "--mtu";
    return opt.mtu;
  }
  const std::size_t overhead = opt.peer.overhead();
  const std::size_t underlay = route ? route->mtu : 1500;
  how = fmt::format("{} {} less {} bytes of outer IP and UDP headers",
                    route ? "the route to the peer has MTU" : "no route to the peer yet, so MTU", underlay, overhead);
  return underlay - overhead;
}

class Tunnel {
 public:
  // `source`: where our datagrams come from, as the trace shows it.
  Tunnel(const TunnelOptions& opt, Logger& log, TunTapDevice& device, UdpEndpoint& endpoint, PcapWriter* pcap,
         std::FILE* trace, SocketAddress source)
      : source_(std::move(source)),
        opt_(opt),
        log_(log),
        device_(device),
        endpoint_(endpoint),
        pcap_(pcap),
        trace_(trace),
        buffers_(kBatch * kSlot) {}

  // Forwards until `stop`; throws DeviceError if the device is removed or fails.
  void run(const std::atomic<bool>& stop, std::atomic<bool>& stats_request) {
    pollfd pfds[2] = {{device_.descriptor(), POLLIN, 0}, {endpoint_.descriptor(), POLLIN, 0}};
    while (!stop) {
      if (stats_request.exchange(false)) report();
      // `|`, not `||`: each way gets its batch on every turn.
      const bool busy = outward() | inward();
      if (busy) continue;
      ++polls_;
      // A signal ends the wait (EINTR) and the loop looks at `stop`.
      ::poll(pfds, 2, kWaitMs);
    }
  }

  // With --stats-json, the counters as JSON; throws std::runtime_error when the file cannot be written.
  void write_json() const {
    if (opt_.stats_json.empty()) return;
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

  // Room for packet i of a batch: the largest IP packet fits (a TUN device delivers whatever its sender wrote).
  MutableBytes slot(std::size_t i) { return MutableBytes{buffers_}.subspan(i * kSlot, kSlot); }

  // A batch from the device to the peer: read while packets wait, then one sendmmsg. Returns whether any was read.
  bool outward() {
    std::array<Bytes, kBatch> packets;
    std::array<Received::Timestamp, kBatch> stamps;
    std::size_t n = 0;
    for (; n < kBatch; ++n) {
      // No timeout: a read, and a look at the device's link events (its MTU, its removal).
      const Received in = device_.receive(slot(n), std::chrono::milliseconds(0));
      if (in.status != Received::Status::frame) break;
      packets[n] = slot(n).first(in.length);
      stamps[n] = in.timestamp;
    }
    if (n == 0) return false;
    std::array<std::optional<TunnelDrop>, kBatch> drops;
    std::array<Bytes, kBatch> to_send;
    std::array<std::size_t, kBatch> which{};  // to_send[k] is packets[which[k]]
    const std::size_t sendable = weed_out_loops({packets.data(), n}, drops, to_send, which);
    std::array<std::optional<TunnelDrop>, kBatch> sent;
    endpoint_.send_many({to_send.data(), sendable}, {sent.data(), sendable});
    for (std::size_t k = 0; k < sendable; ++k) drops[which[k]] = sent[k];
    for (std::size_t i = 0; i < n; ++i) {
      // Each new reason once: an unreachable peer must not write a line per packet.
      if (drops[i] == TunnelDrop::send_failed) tell_once(endpoint_.last_error(), "tunnel_send_failed");
      if (drops[i] == TunnelDrop::too_big && !too_big_told_) {
        too_big_told_ = true;
        log_.error("a packet of {} bytes does not fit in one datagram to {}: lower {}'s MTU (told once; all are "
                   "counted as tunnel_too_big)",
                   packets[i].size(), opt_.peer.to_string(), device_.name());
      }
      // A send that worked ends the outage: the next failure is news again.
      if (!drops[i]) reported_error_.clear();
      if (!drops[i] && pcap_) pcap_->write(packets[i], stamps[i]);
      if (trace_) trace(stamps[i], packets[i], drops[i], Way::out, source_, endpoint_.peer());
    }
    return true;
  }

  // Sets aside our own datagrams to the peer read back from the device (the route to the peer leads into the
  // tunnel: a default route through it, say), which wrapped again would circle for ever: dropped as tunnel_loop in
  // `drops`. The others go to `to_send`, packet `which[k]` as `to_send[k]`. Returns how many are to be sent.
  std::size_t weed_out_loops(std::span<const Bytes> packets, std::span<std::optional<TunnelDrop>> drops,
                             std::span<Bytes> to_send, std::span<std::size_t> which) {
    std::size_t sendable = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      if (!is_datagram_to(packets[i], opt_.peer)) {
        which[sendable] = i;
        to_send[sendable++] = packets[i];
        continue;
      }
      drops[i] = TunnelDrop::loop;
      endpoint_.counters().count(TunnelDrop::loop);
      if (loop_told_) continue;
      loop_told_ = true;
      log_.error("a datagram for the peer {} came back out of {}: the route to the peer leads into the tunnel itself; "
                 "route the peer's address through the underlay (ip route get {}) (told once; all are counted as "
                 "tunnel_loop)",
                 opt_.peer.to_string(), device_.name(), opt_.peer.host());
    }
    return sendable;
  }

  // A batch from the peer to the device: one recvmmsg, then a write for each packet. Returns whether any arrived.
  bool inward() {
    std::array<MutableBytes, kBatch> slots;
    for (std::size_t i = 0; i < kBatch; ++i) slots[i] = slot(i);
    std::array<Datagram, kBatch> datagrams;
    const std::size_t n = endpoint_.receive_many(slots, datagrams);
    const auto stamp = now_since_epoch();
    for (std::size_t i = 0; i < n; ++i) {
      const Datagram& d = datagrams[i];
      const Bytes packet = slots[i].first(d.length);
      std::optional<TunnelDrop> drop = d.drop;
      if (drop == TunnelDrop::unknown_source && !stranger_told_) {
        stranger_told_ = true;
        log_.warn("dropped a datagram from {}, which is not the peer {} (told once; all are counted as "
                  "tunnel_unknown_source): if it is the peer answering from another of its addresses, give the peer "
                  "a --local with that address",
                  d.source.to_string(), opt_.peer.to_string());
      }
      if (!drop) {
        try {
          device_.transmit(packet);
          reported_error_.clear();
        } catch (const DeviceError& e) {
          endpoint_.counters().count(TunnelDrop::write_failed);
          tell_once(e.what(), "tunnel_write_failed");
          drop = TunnelDrop::write_failed;
        }
      }
      if (!drop && pcap_) pcap_->write(packet, stamp);
      if (drop && drop != TunnelDrop::write_failed) {
        log_.debug("dropped a datagram from {} as {}: {}", d.source.to_string(), describe(*drop).name,
                   describe(*drop).meaning);
      }
      if (trace_) trace(stamp, packet, drop, Way::in, d.source, source_);
    }
    return n > 0;
  }

  // Logs `error` unless it was the last one logged: a failure repeated for every packet is told once.
  void tell_once(const std::string& error, std::string_view counted_as) {
    if (error == reported_error_) return;
    reported_error_ = error;
    log_.error("{} (told once; every failure is counted as {})", error, counted_as);
  }

  enum class Way { out, in };  // to the peer, or from it (or from another)

  // One line: when, which way, the inner packet, the outer datagram (`from` and `to`); or why it was dropped.
  void trace(Received::Timestamp when, Bytes packet, std::optional<TunnelDrop> drop, Way direction,
             const SocketAddress& from, const std::optional<SocketAddress>& to) const {
    const std::string way = direction == Way::out                ? fmt::format("{} > peer", device_.name())
                            : drop == TunnelDrop::unknown_source ? fmt::format("other > {}", device_.name())
                                                                 : fmt::format("peer > {}", device_.name());
    const std::string outer = fmt::format("UDP {} > {}, {} B", from.to_string(), to ? to->to_string() : "(no peer)",
                                          packet.size() + opt_.peer.overhead());
    const std::string inner = fmt::format("{}, {} B", frame_summary(LinkLayer::ip, packet), packet.size());
    const std::string verdict = drop ? fmt::format("dropped as {}: ", describe(*drop).name) : std::string{};
    fmt::print(trace_, "{} {:<13} {}{} | outer {}\n", time_of_day(when), way, verdict, inner, outer);
    std::fflush(trace_);
  }

  SocketAddress source_;
  const TunnelOptions& opt_;
  Logger& log_;
  TunTapDevice& device_;
  UdpEndpoint& endpoint_;
  PcapWriter* pcap_;
  std::FILE* trace_;
  std::vector<std::uint8_t> buffers_;  // kBatch slots of kSlot bytes: 2 MiB, allocated once
  std::uint64_t polls_ = 0;
  std::string reported_error_;  // the last failure logged, until something works again
  bool stranger_told_ = false;  // a datagram from another source was logged
  bool loop_told_ = false;      // a datagram of ours came back out of the device: logged
  bool too_big_told_ = false;   // a packet too long for one datagram: logged
};

// The device's MTU and host side, as the options ask. Returns what the log says of it.
std::string configure(const TunnelOptions& opt, const TunTapDevice& device, std::size_t mtu, const std::string& how,
                      Logger& log) {
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
  // Below 1280 the kernel takes no IPv6 on the device (run_tunnel has said so): ask for none.
  const HostSideReport report = configure_host_side(device.name(), opt.ip, mtu >= 1280 ? opt.ip6 : std::nullopt);
  if (!report.ipv6_warning.empty()) log.warn("{}", report.ipv6_warning);
  return fmt::format("{}, {}{}, link up", mtu_text, opt.ip.to_string(),
                     report.has_ipv6 ? " and " + opt.ip6->to_string() : std::string{});
}

// Throws when the route to the peer, with the device configured, leads into the device itself: the kernel would
// then take the device's own address as the source of our datagrams (ip route get PEER).
void ensure_route_avoids(const TunnelOptions& opt, const UdpEndpoint& endpoint) {
  const auto route = endpoint.route();
  if (!route) return;
  const std::string source = route->source.host();
  const bool ours = source == opt.ip.address.to_string() || (opt.ip6 && source == opt.ip6->address.to_string());
  if (!ours) return;
  throw std::runtime_error(fmt::format("the route to the peer {} leads into {} itself (a route through it covers {}), "
                                       "so every datagram would come back to be wrapped again: route the peer "
                                       "through the network between the hosts (ip route get {} shows the way)",
                                       opt.peer.to_string(), opt.device, opt.peer.host(), opt.peer.host()));
}

}  // namespace

int run_tunnel(const TunnelOptions& opt, Logger& log, const std::atomic<bool>& stop, std::atomic<bool>& stats_request) {
  // A reader of the table on stdout that went away must not stop the tunnel; a trace, or a capture on stdout, ends
  // with its reader, as a filter does (a failed capture write exits 1).
  if (!opt.trace) ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TunTapDevice> device;
  std::optional<UdpEndpoint> endpoint;
  std::optional<PcapWriter> pcap;
  std::optional<UdpEndpoint::Route> route;
  std::string setup;
  try {
    device = TunTapDevice::open(LinkLayer::ip, opt.device);
    endpoint.emplace(opt.local, opt.peer);
    route = endpoint->route();
    std::string how;
    const std::size_t mtu = tunnel_mtu(opt, route, how);
    if (opt.ip6 && mtu < 1280) {
      log.warn("{}'s MTU {} is below IPv6's minimum of 1280 (RFC 8200 §5): the kernel gives it no IPv6 and --ip6 {} is "
               "not set; {}",
               opt.device, mtu, opt.ip6->to_string(),
               opt.mtu ? std::string("give --mtu 1280 or more")
                       : fmt::format("give an underlay whose MTU is at least {}", 1280 + opt.peer.overhead()));
    }
    setup = configure(opt, *device, mtu, how, log);
    ensure_route_avoids(opt, *endpoint);
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
  // A wildcard --local sends from the address the route chooses: name that one.
  const SocketAddress source = route && endpoint->local().is_any() ? route->source : endpoint->local();
  log.info("tunnel {}: {}; UDP {} <-> peer {}{}", device->name(), setup, source.to_string(), opt.peer.to_string(),
           pcap ? "; capturing the inner packets to " + opt.pcap_output : std::string{});

  std::FILE* trace = nullptr;
  if (opt.trace) trace = names_stdout(opt.pcap_output) || names_stdout(opt.stats_json) ? stderr : stdout;
  Tunnel tunnel(opt, log, *device, *endpoint, pcap ? &*pcap : nullptr, trace, source);
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
