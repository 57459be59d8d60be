// ministack: a userspace IPv4 stack on a TUN or TAP device that answers ARP and ping, or the same stack run over a
// pcap capture.
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "device/capture_device.hpp"
#include "device/host_config.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"
#include "device/tuntap.hpp"
#include "event_loop.hpp"
#include "options.hpp"

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

void print_summary(const Stack& stack, const LoopStats& loop) {
  const Counters& c = stack.counters();
  fmt::print(
      "ministack: stopped: {} frames in, {} frames out ({} ARP replies, {} echo replies, {} UDP, {} ICMP errors, "
      "{} fragments), {} dropped, {} send errors\n",
      c.get(Counter::ifInFrames), c.get(Counter::ifOutFrames), c.get(Counter::arpOutReplies),
      c.get(Counter::icmpOutEchoReps), c.get(Counter::udpOutDatagrams), c.get(Counter::icmpOutDestUnreachs),
      c.get(Counter::ipFragCreates), c.total_drops(), loop.transmit_errors);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    if (const auto n = c.get(reason)) {
      fmt::print("  {:>8}  {} ({})\n", n, describe(reason).name, describe(reason).meaning);
    }
  }
}

// Opens the device the options name: a TUN/TAP device (set up on the host side unless told not to) or a capture.
std::unique_ptr<Device> open_device(const Options& opt) {
  if (opt.mode == Options::Mode::replay) return std::make_unique<PcapReplayDevice>(opt.replay_input);
  auto device = TunTapDevice::open(opt.link, opt.device);
  if (opt.host_config) configure_host_side(device->name(), opt.host_ip);
  return device;
}

std::string describe_start(const Options& opt, const Device& device, const Stack& stack) {
  const bool tap = device.link() == LinkLayer::ethernet;
  std::string line =
      opt.mode == Options::Mode::replay
          ? fmt::format("ministack: replaying {} ({} pipeline) as {}", device.name(), tap ? "TAP" : "TUN",
                        opt.ip.to_string())
          : fmt::format("ministack: listening on {} ({}, MTU {}) as {}", device.name(), tap ? "TAP" : "TUN",
                        stack.config().mtu, opt.ip.to_string());
  if (tap) line += ", MAC " + stack.config().mac.to_string();
  if (opt.mode == Options::Mode::live) {
    line += opt.host_config ? "; host side " + opt.host_ip.to_string() + ", link up" : "; host side left as it is";
  }
  if (!opt.pcap_output.empty()) line += "; capturing to " + opt.pcap_output;
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const ParsedOptions parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const Options& opt = *parsed.options;
  install_signal_handlers();

  std::unique_ptr<Device> device;
  std::optional<PcapWriter> writer;
  std::optional<CaptureDevice> capture;
  try {
    device = open_device(opt);
    if (!opt.pcap_output.empty()) {
      writer.emplace(opt.pcap_output, device->capture_link_type());
      const bool replay = opt.mode == Options::Mode::replay;
      // Replay output holds only what the stack sent, each reply stamped like the frame that caused it.
      capture.emplace(*device, *writer,
                      replay ? CaptureDevice::Record::transmitted_only : CaptureDevice::Record::both_directions,
                      replay);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "ministack: error: {}\n", e.what());
    return 1;
  }
  Device& io = capture ? static_cast<Device&>(*capture) : *device;

  StackConfig config;
  config.link = io.link();
  config.interface = opt.ip;
  config.mac = opt.mac;
  config.mtu = opt.mtu ? opt.mtu : io.mtu();
  config.answer_broadcast_echo = opt.answer_broadcast_echo;
  config.reassembly = opt.reassembly;
  config.icmp_rate = opt.icmp_rate;
  Stack stack(config);
  fmt::print("{}\n", describe_start(opt, io, stack));
  std::fflush(stdout);

  LoopStats loop;
  int status = 0;
  try {
    // A gratuitous ARP tells the link our address at once (RFC 5227 §2.3); a replay has no link to tell.
    const bool announce = opt.mode == Options::Mode::live && io.link() == LinkLayer::ethernet;
    loop = run_event_loop(io, stack, g_stop, LoopOptions{.verbose = opt.verbose, .announce = announce});
  } catch (const DeviceError& e) {
    fmt::print(stderr, "ministack: error: {}\n", e.what());
    status = 1;
  }
  print_summary(stack, loop);
  return status;
}
