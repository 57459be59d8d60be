#include "tunnel_options.hpp"

#include <fmt/format.h>

#include "address_checks.hpp"

namespace ministack {

std::string check_socket_address(const std::string& text, bool local) {
  const auto address = SocketAddress::parse(text);
  if (!address && text.find("ffff:") != std::string::npos && text.find('.') != std::string::npos) {
    return fmt::format("'{}' is an IPv4-mapped address, which is never on the wire: give the IPv4 address itself, "
                       "such as 10.0.0.2:{}",
                       text, kTunnelPort);
  }
  if (!address) {
    return fmt::format("'{}' is not an address and port such as 10.0.0.2:{} or [fd00::2]:{} (numbers only: no host "
                       "name is looked up){}",
                       text, kTunnelPort, kTunnelPort,
                       local ? ", or only a port (:4789) to listen on all addresses" : "");
  }
  if (address->port() == 0) return fmt::format("'{}' has port 0: give a port from 1 to 65535", text);
  if (!local && address->is_any()) {
    return fmt::format("'{}' is the wildcard address, which names no peer: give the peer's own address", text);
  }
  return "";
}

CLI::App* add_tunnel_command(CLI::App& app, TunnelRaw& raw) {
  auto* tunnel = app.add_subcommand(
      "tunnel",
      "IP over UDP: every packet of a TUN device goes to --peer as one UDP datagram, and every datagram from the peer "
      "holding an IP packet goes into the device. Neither encrypted nor authenticated: over untrusted networks, use "
      "WireGuard");
  tunnel->add_option("--tun", raw.tun, "Create or attach the TUN device NAME (required)")
      ->option_text("NAME")
      ->required()
      ->check(check_ifname);
  tunnel
      ->add_option("--peer", raw.peer,
                   "The other end's UDP address and port, its own --local (required; the port is 4789 if left out)")
      ->option_text("ADDR[:PORT]")
      ->required()
      ->check([](const std::string& text) { return check_socket_address(text, false); });
  tunnel
      ->add_option("--local", raw.local,
                   "Where to receive and send from [default: :4789, every address of the peer's IP version]")
      ->option_text("ADDR:PORT")
      ->check([](const std::string& text) { return check_socket_address(text, true); });
  tunnel->add_option("--ip", raw.ip, "The device's address and the overlay's prefix")
      ->capture_default_str()
      ->type_name("ADDR/LEN")
      ->check(check_interface);
  tunnel->add_option("--ip6", raw.ip6, "An IPv6 address and prefix for the device too (for IPv6 over the tunnel)")
      ->type_name("ADDR6/LEN")
      ->check([](const std::string& text) { return check_interface6(text, Side::host); });
  tunnel->add_flag("--no-host-config", raw.no_host_config, "Leave the device's MTU, addresses and link as they are");
  tunnel->add_option("--mtu", raw.mtu, "The device's MTU [default: the route to the peer's, less 28 (IPv4) or 48]")
      ->check(number(576, 65535))
      ->type_name("BYTES");
  tunnel->add_option("--pcap", raw.pcap, "Write the inner packets, both ways, to FILE (raw IP; - for stdout)")
      ->option_text("FILE");
  tunnel
      ->add_option("--stats-json", raw.stats_json,
                   "Write the counters as JSON to FILE at start, on SIGUSR1 and at exit")
      ->type_name("FILE");
  tunnel->add_option("--user", raw.user, "After setup, run as NAME with no capabilities and a seccomp filter")
      ->capture_default_str()
      ->type_name("NAME");
  tunnel->add_flag("--trace", raw.trace, "One line per packet: direction, the inner packet, the outer datagram");
  add_log_options(*tunnel, raw.log);
  return tunnel;
}

std::string finish_tunnel(const CLI::App& tunnel, const TunnelRaw& raw, TunnelOptions& out) {
  out.device = raw.tun;
  out.peer = *SocketAddress::parse(raw.peer);
  // A local address left out (":PORT", or no --local) is every address of the peer's IP version.
  if (raw.local.empty() || raw.local.front() == ':') {
    const std::uint16_t port = raw.local.empty() ? kTunnelPort : SocketAddress::parse(raw.local)->port();
    out.local = SocketAddress::any(out.peer.family(), port);
  } else {
    out.local = *SocketAddress::parse(raw.local);
  }
  if (out.local.family() != out.peer.family()) {
    return fmt::format("--local {} and --peer {} are of different IP versions: the underlay is IPv4 or IPv6 at both "
                       "ends",
                       out.local.to_string(), out.peer.to_string());
  }
  if (out.local == out.peer) {
    return fmt::format("--local and --peer are both {}: the tunnel would send to itself", out.local.to_string());
  }
  out.ip = *Ipv4Interface::parse(raw.ip);
  if (!raw.ip6.empty()) out.ip6 = *Ipv6Interface::parse(raw.ip6);
  // The peer is reached over the underlay: were its address inside the overlay, the route to it would lead into
  // the tunnel itself, and each datagram would be wrapped again, and again.
  const auto peer4 = Ipv4Address::parse(out.peer.host());
  const auto peer6 = Ipv6Address::parse(out.peer.host());
  if ((peer4 && in_subnet(out.ip, *peer4)) || (peer6 && out.ip6 && out.ip6->contains(*peer6))) {
    return fmt::format("--peer {} is inside the overlay ({}): the route to it would lead into the tunnel itself; give "
                       "the peer's address on the network between the hosts (the underlay), or another --ip",
                       out.peer.to_string(), peer4 ? out.ip.to_string() : out.ip6->to_string());
  }
  out.host_config = !raw.no_host_config;
  out.mtu = raw.mtu;
  // One datagram holds at most 65535 bytes of IP, the outer headers included (RFC 791 §3.1; RFC 8200 has 65535 of
  // payload, but the UDP length field caps the inner packet the same way, RFC 768).
  if (out.mtu + out.peer.overhead() > 65535) {
    return fmt::format("--mtu {} leaves no room for the outer headers ({} bytes) in one datagram: give at most {}",
                       out.mtu, out.peer.overhead(), 65535 - out.peer.overhead());
  }
  if (raw.no_host_config && raw.mtu != 0) {
    return "--mtu sets the device's MTU, and --no-host-config leaves it alone: give one or the other";
  }
  out.pcap_output = names_stdout(raw.pcap) ? "-" : raw.pcap;
  out.stats_json = names_stdout(raw.stats_json) ? "-" : raw.stats_json;
  if (out.pcap_output == "-" && out.stats_json == "-") {
    return "--pcap and --stats-json both write to stdout: send one of them to a file";
  }
  out.user = raw.user;
  out.user_given = tunnel.get_option("--user")->count() > 0;
  out.trace = raw.trace;
  out.log_level = raw.log.level();
  return "";
}

}  // namespace ministack
