#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "packet_fixer.hpp"
#include "packets.hpp"
#include "stack_invariants.hpp"

namespace ministack::fuzz {

namespace {

const char* name(Mode mode) {
  switch (mode) {
    case Mode::tap: return "tap";
    case Mode::tun: return "tun";
    case Mode::tap_fixed: return "tap_fixed";
    case Mode::fragments: return "fragments";
  }
  return "?";
}

[[noreturn]] void violated(Mode mode, std::size_t record, const std::string& what) {
  std::fprintf(stderr, "ministack fuzz (%s): invariant violated at record %zu: %s\n", name(mode), record, what.c_str());
  std::abort();
}

// An IPv4 packet in an Ethernet frame from the test peer to us.
Packet in_ethernet(const Packet& ip) { return packets::ethernet({}, ip); }

}  // namespace

StackConfig fuzz_config(Mode mode) {
  StackConfig config;
  config.link = mode == Mode::tun ? LinkLayer::ip : LinkLayer::ethernet;
  // TAP: one 65535-byte datagram fits (with its piece list), two do not, so a reassembled echo is answered. TUN: the
  // limits of issue 9's reproducer (fuzz/regressions/tun/), where memory, not datagrams, binds at once.
  config.reassembly =
      mode == Mode::tun
          ? ReassemblyLimits{.max_datagrams = 3, .max_bytes = 20'000, .timeout = std::chrono::seconds(3)}
          : ReassemblyLimits{.max_datagrams = 4, .max_bytes = 100'000, .timeout = std::chrono::seconds(3)};
  config.neighbors.capacity = 4;
  config.neighbors.stale_after = std::chrono::seconds(4);
  config.neighbors.queue_packets = 3;
  config.neighbors.queue_bytes = 3000;
  config.neighbors.retry_interval = std::chrono::milliseconds(500);
  return config;
}

void run_input(Mode mode, const std::uint8_t* data, std::size_t size) {
  testing::CheckedStack stack(fuzz_config(mode));
  RecordReader reader(Bytes{data, size});
  Instant now{Duration{0}, std::chrono::microseconds{1'700'000'000'000'000}};
  std::size_t index = 0;
  const auto check = [&](const std::optional<testing::Violation>& v) {
    if (v) violated(mode, index, *v);
  };
  while (const auto record = reader.next()) {
    ++index;
    now = now + record->step;
    const Bytes body = record->body;
    if (record->originate) {
      const std::uint32_t host = body.empty() ? 1 : 1 + body[0] % 254u;
      const Bytes payload = body.empty() ? body : body.subspan(1);
      check(stack.send_udp(Ipv4Address{0xc0a80300 | host}, 9, payload, now));
    } else if (mode == Mode::tap || mode == Mode::tun) {
      check(stack.receive(body, now));
    } else if (mode == Mode::tap_fixed) {
      Packet frame(body.begin(), body.end());
      fix_ethernet(frame);
      check(stack.receive(frame, now));
    } else {
      const std::size_t plan = std::min<std::size_t>(body.size(), 4);
      const Cut cut = cut_into_fragments(body.first(plan), body.subspan(plan));
      for (const Packet& fragment : cut.fragments) {
        if (cut.spaced) now = now + kStepUnit;
        check(stack.receive(in_ethernet(fragment), now));
        if (cut.spaced) check(stack.poll(now));
      }
    }
    check(stack.poll(now));
  }
}

}  // namespace ministack::fuzz
