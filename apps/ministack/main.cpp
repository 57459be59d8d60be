// ministack: a userspace IPv4 stack on a TUN or TAP device that answers ARP and ping.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "device/host_config.hpp"
#include "device/tuntap.hpp"
#include "event_loop.hpp"
#include "stack/address.hpp"
#include "stack/stack.hpp"

#ifndef MINISTACK_VERSION
#define MINISTACK_VERSION "unknown"
#endif

namespace {

using namespace ministack;

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a signal must interrupt poll() so the loop sees it at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct Options {
  std::string tap;
  std::string tun;
  std::string ip = "192.168.3.12/24";
  std::string mac = "02:00:00:00:00:01";
  std::string host_ip = "192.168.3.11/24";
  bool no_host_config = false;
  bool verbose = false;
};

std::string check_interface(const std::string& text) {
  return Ipv4Interface::parse(text) ? "" : fmt::format("'{}' is not an IPv4 address/prefix such as 192.168.3.12/24", text);
}

// Linux interface names: 1 to 15 bytes (IFNAMSIZ - 1), no '/', no white space (dev_valid_name()).
std::string check_ifname(const std::string& text) {
  const bool valid = !text.empty() && text.size() <= 15 && text != "." && text != ".." &&
                     text.find_first_of("/: \t\n") == std::string::npos;
  return valid ? "" : fmt::format("'{}' is not a usable interface name: 1 to 15 characters, no '/', ':' or spaces", text);
}

std::string check_mac(const std::string& text) {
  const auto mac = MacAddress::parse(text);
  if (!mac) return fmt::format("'{}' is not a MAC address such as 02:00:00:00:00:01", text);
  if (mac->is_group()) return fmt::format("'{}' is a multicast/broadcast MAC; a station needs a unicast one", text);
  return "";
}

int usage_error(const std::string& message) {
  fmt::print(stderr, "ministack: {}\nTry 'ministack --help' for more information.\n", message);
  return 2;
}

void print_summary(const Stack& stack, const LoopStats& loop) {
  const Counters& c = stack.counters();
  fmt::print("ministack: stopped: {} frames in, {} replies out ({} ARP, {} echo), {} dropped, {} send errors\n",
             c.get(Counter::ifInFrames), c.get(Counter::ifOutFrames), c.get(Counter::arpOutReplies),
             c.get(Counter::icmpOutEchoReps), c.total_drops(), loop.transmit_errors);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    if (const auto n = c.get(reason)) fmt::print("  {:>8}  {} ({})\n", n, describe(reason).name, describe(reason).meaning);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"ministack: a userspace TCP/IP stack that answers ARP and ping on a TUN or TAP device.", "ministack"};
  app.set_version_flag("--version", "ministack " MINISTACK_VERSION);
  auto* tap = app.add_option("--tap", opt.tap, "Create or attach the TAP (Ethernet) device NAME")->option_text("NAME")->check(check_ifname);
  auto* tun = app.add_option("--tun", opt.tun, "Create or attach the TUN (raw IP) device NAME")->option_text("NAME")->check(check_ifname);
  tap->excludes(tun);
  app.add_option("--ip", opt.ip, "ministack's address and prefix")->capture_default_str()->type_name("ADDR/LEN")->check(check_interface);
  app.add_option("--mac", opt.mac, "ministack's MAC address (TAP)")->capture_default_str()->type_name("MAC")->check(check_mac);
  app.add_option("--host-ip", opt.host_ip, "Address given to the host side of the device")
      ->capture_default_str()
      ->type_name("ADDR/LEN")
      ->check(check_interface);
  app.add_flag("--no-host-config", opt.no_host_config, "Leave the host side of the device as it is (link, address)");
  app.add_flag("-v,--verbose", opt.verbose, "Print one line per frame: its reply or why it was dropped");
  app.footer("Example: sudo ministack --tap tap0   then, in another shell: ping 192.168.3.12");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version: print to stdout, exit 0
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (opt.tap.empty() == opt.tun.empty()) return usage_error("say which device to use: --tap NAME or --tun NAME");
  const Ipv4Interface ip = *Ipv4Interface::parse(opt.ip);
  const Ipv4Interface host_ip = *Ipv4Interface::parse(opt.host_ip);
  if (ip.address == host_ip.address && !opt.no_host_config) {
    return usage_error(fmt::format("--ip and --host-ip are both {}: the host and ministack need different addresses",
                                   ip.address.to_string()));
  }

  const LinkLayer link = opt.tap.empty() ? LinkLayer::ip : LinkLayer::ethernet;
  const std::string& name = opt.tap.empty() ? opt.tun : opt.tap;
  install_signal_handlers();

  std::unique_ptr<TunTapDevice> device;
  try {
    device = TunTapDevice::open(link, name);
    if (!opt.no_host_config) configure_host_side(device->name(), host_ip);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ministack: error: {}\n", e.what());
    return 1;
  }

  Stack stack(StackConfig{link, ip, *MacAddress::parse(opt.mac)});
  fmt::print("ministack: listening on {} ({}, MTU {}) as {}{}{}\n", device->name(),
             link == LinkLayer::ethernet ? "TAP" : "TUN", device->mtu(), ip.to_string(),
             link == LinkLayer::ethernet ? ", MAC " + stack.config().mac.to_string() : "",
             opt.no_host_config ? ", host side left as it is" : "; host side " + host_ip.to_string() + ", link up");
  std::fflush(stdout);

  LoopStats loop;
  try {
    loop = run_event_loop(*device, stack, g_stop, opt.verbose);
  } catch (const DeviceError& e) {
    fmt::print(stderr, "ministack: error: {}\n", e.what());
    print_summary(stack, loop);
    return 1;
  }
  print_summary(stack, loop);
  return 0;
}
