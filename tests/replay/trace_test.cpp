// The trace tells the whole story, and nothing but: what the stack reports to its Tracer, and what TracePrinter
// prints of it (`--trace`, `ministack explain`), for every fixture in pcaps/ and for a crafted capture that
// triggers every drop reason a received frame can end in.
//
//   - Every frame's trace starts at the link layer (the heading TracePrinter prints, then a `link` line).
//   - A dropped frame's trace ends in exactly one drop, the verdict's reason, and the printed line names the reason,
//     its meaning and the rule behind it (RFC or IEEE section): no unexplained drop.
//   - An answered frame's trace has notes from every layer it passed, in order (an echo request: link, ipv4, icmp,
//     out), and one `sent` per frame sent, with the very bytes the sink received.
//   - A frame neither answered nor dropped is a fragment, and its trace says it is held for reassembly.
//
// The captures are replayed as `ministack explain` replays them: the same PcapReplayDevice, MTU and default
// StackConfig, the capture's time as the stack's clock, TracePrinter::begin_frame() before each frame and
// Stack::poll() on the event loop's cadence. A TeeTracer hands every report both to a collector (what the stack
// said) and to a TracePrinter writing to a temporary file (what a person reads).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/ministack/trace_printer.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"
#include "replay_harness.hpp"
#include "stack/stack.hpp"
#include "stack/wire/trace.hpp"
#include "unit/packets.hpp"

namespace {

using namespace ministack;
using packets::Frame;

// ---- collecting the trace -----------------------------------------------------------------------------------------

struct Event {
  enum class Kind { note, drop, sent };
  Kind kind;
  Layer layer = Layer::link;      // note
  std::string text;               // note
  DropReason reason{};            // drop
  std::vector<std::uint8_t> frame;  // sent
};

class CollectingTracer final : public Tracer {
 public:
  void note(Layer layer, std::string_view text) override {
    events.push_back({Event::Kind::note, layer, std::string(text), {}, {}});
  }
  void dropped(DropReason reason) override { events.push_back({Event::Kind::drop, Layer::link, {}, reason, {}}); }
  void sent(Bytes frame) override {
    events.push_back({Event::Kind::sent, Layer::link, {}, {}, std::vector<std::uint8_t>(frame.begin(), frame.end())});
  }
  std::vector<Event> events;
};

class TeeTracer final : public Tracer {
 public:
  TeeTracer(Tracer& a, Tracer& b) : a_(a), b_(b) {}
  void note(Layer layer, std::string_view text) override {
    a_.note(layer, text);
    b_.note(layer, text);
  }
  void dropped(DropReason reason) override {
    a_.dropped(reason);
    b_.dropped(reason);
  }
  void sent(Bytes frame) override {
    a_.sent(frame);
    b_.sent(frame);
  }

 private:
  Tracer& a_;
  Tracer& b_;
};

struct CollectSink final : FrameSink {
  std::vector<std::vector<std::uint8_t>> frames;
  void send(Bytes frame) override { frames.emplace_back(frame.begin(), frame.end()); }
};

struct TracedFrame {
  std::size_t index = 0;  // 1-based, as TracePrinter numbers it
  std::vector<std::uint8_t> input;
  Verdict verdict;
  std::vector<std::vector<std::uint8_t>> sink;  // what the FrameSink received
  std::vector<Event> events;                    // what the stack told the tracer
  std::string printed;                          // what TracePrinter printed for it, heading included
};

struct TracedReplay {
  LinkLayer link = LinkLayer::ethernet;
  std::vector<TracedFrame> frames;
  std::vector<Event> timer_events;  // reported from Stack::poll(), outside any frame
};

// The text written to `file` since `from`.
std::string read_from(std::FILE* file, long from) {
  std::fflush(file);
  const long end = std::ftell(file);
  std::string text(static_cast<std::size_t>(end - from), '\0');
  std::fseek(file, from, SEEK_SET);
  const std::size_t n = std::fread(text.data(), 1, text.size(), file);
  text.resize(n);
  std::fseek(file, 0, SEEK_END);
  return text;
}

TracedReplay trace_capture(const std::string& path, StackConfig config = {}) {
  PcapReplayDevice device(path);  // MTU 1500, as `ministack explain`
  config.link = device.link();
  config.mtu = device.mtu();
  Stack stack(config);
  CollectingTracer collector;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
  if (!file) throw std::runtime_error("cannot create a temporary file");
  TracePrinter printer(file.get());
  TeeTracer tee(collector, printer);
  stack.set_tracer(&tee);

  TracedReplay out;
  out.link = device.link();
  std::vector<std::uint8_t> buffer(device.receive_buffer_size());
  std::optional<Instant> last_timers;
  for (;;) {
    const Received in = device.receive(buffer, std::chrono::milliseconds{0});
    if (in.status == Received::Status::end) break;
    const Instant now{std::chrono::duration_cast<Duration>(in.timestamp), in.timestamp};
    // The event loop runs the timers every 100 ms of (here, the capture's) time, before the frame.
    if (!last_timers || now - *last_timers >= Duration{100}) {
      collector.events.clear();
      CollectSink timer_sink;
      stack.poll(now, timer_sink);
      out.timer_events.insert(out.timer_events.end(), collector.events.begin(), collector.events.end());
      last_timers = now;
    }
    TracedFrame f;
    f.index = out.frames.size() + 1;
    f.input.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length));
    const long before = std::ftell(file.get());
    collector.events.clear();
    printer.begin_frame(f.index, in.length, in.timestamp);
    CollectSink sink;
    f.verdict = stack.receive(buffer, in.length, now, sink);
    f.sink = std::move(sink.frames);
    f.events = std::move(collector.events);
    f.printed = read_from(file.get(), before);
    out.frames.push_back(std::move(f));
  }
  return out;
}

// ---- reading a trace --------------------------------------------------------------------------------------------

std::size_t count_kind(const std::vector<Event>& events, Event::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [kind](const Event& e) { return e.kind == kind; }));
}

std::string describe_events(const std::vector<Event>& events) {
  std::string s;
  for (const Event& e : events) {
    switch (e.kind) {
      case Event::Kind::note:
        s += fmt::format("  note {}: {}\n", layer_name(e.layer), e.text);
        break;
      case Event::Kind::drop:
        s += fmt::format("  drop {}\n", describe(e.reason).name);
        break;
      case Event::Kind::sent:
        s += fmt::format("  sent {} bytes\n", e.frame.size());
        break;
    }
  }
  return s;
}

// The line TracePrinter prints for a drop, in plain text (the temporary file is not a terminal).
std::string drop_line(DropReason reason) {
  const auto info = describe(reason);
  return fmt::format("  dropped: {}: {} ({})\n", info.name, info.meaning, info.rule);
}

bool mentions_a_rule(std::string_view rule) {
  return rule.find("RFC ") != std::string_view::npos || rule.find("IEEE ") != std::string_view::npos;
}

// What a frame carries, read from its bytes here, independently of the stack.
struct Carried {
  bool arp = false;
  std::optional<std::uint8_t> ip_protocol;  // an IPv4 packet, with this protocol
  bool fragment = false;
};

Carried carried(LinkLayer link, const std::vector<std::uint8_t>& f) {
  Carried c;
  std::size_t ip = 0;
  if (link == LinkLayer::ethernet) {
    if (f.size() < 14) return c;
    const std::uint16_t type = packets::get16(f, 12);
    c.arp = type == 0x0806;
    if (type != 0x0800) return c;
    ip = 14;
  }
  if (f.size() < ip + 20 || (f[ip] >> 4) != 4) return c;
  c.ip_protocol = f[ip + 9];
  c.fragment = (packets::get16(f, ip + 6) & 0x3fff) != 0;  // MF or an offset
  return c;
}

// Checks one frame's trace against its verdict; `where` names it in failures.
void check_frame(LinkLayer link, const TracedFrame& f, const std::string& where, bool starts_at_link = true) {
  SCOPED_TRACE(fmt::format("{}, frame {}:\n{}", where, f.index, describe_events(f.events)));
  ASSERT_FALSE(f.events.empty()) << "the stack said nothing about this frame";

  // The printed story begins with the frame's heading, then the link layer.
  EXPECT_EQ(f.printed.rfind(fmt::format("frame {}: {} bytes at ", f.index, f.input.size()), 0), 0u) << f.printed;
  if (starts_at_link) {
    EXPECT_EQ(f.events.front().kind, Event::Kind::note);
    EXPECT_EQ(f.events.front().layer, Layer::link) << "the trace does not start at the link layer";
  }

  // One `sent` per frame sent, the same bytes, in the same order.
  EXPECT_EQ(count_kind(f.events, Event::Kind::sent), f.verdict.frames_sent);
  EXPECT_EQ(f.sink.size(), f.verdict.frames_sent);
  std::size_t n = 0;
  for (const Event& e : f.events) {
    if (e.kind != Event::Kind::sent || n >= f.sink.size()) continue;
    EXPECT_EQ(e.frame, f.sink[n]) << "sent frame " << n + 1 << " is not what the sink received";
    ++n;
  }
  std::size_t printed_sent = 0;
  for (std::size_t at = f.printed.find("\n  sent "); at != std::string::npos; at = f.printed.find("\n  sent ", at + 1)) {
    ++printed_sent;
  }
  EXPECT_EQ(printed_sent, f.verdict.frames_sent) << f.printed;

  if (f.verdict.drop) {
    // Exactly one drop, the last thing said, the verdict's reason, printed with its meaning and rule.
    EXPECT_EQ(count_kind(f.events, Event::Kind::drop), 1u);
    EXPECT_EQ(f.events.back().kind, Event::Kind::drop) << "the drop is not the end of the story";
    if (f.events.back().kind == Event::Kind::drop) {
      EXPECT_EQ(describe(f.events.back().reason).name, describe(*f.verdict.drop).name);
    }
    const auto info = describe(*f.verdict.drop);
    EXPECT_NE(f.printed.find(info.name), std::string::npos) << f.printed;
    EXPECT_NE(f.printed.find(info.rule), std::string::npos) << f.printed;
    EXPECT_TRUE(f.printed.ends_with(drop_line(*f.verdict.drop))) << f.printed;
    EXPECT_TRUE(mentions_a_rule(info.rule)) << info.name << ": '" << info.rule << "' names no RFC or IEEE rule";
  } else {
    EXPECT_EQ(count_kind(f.events, Event::Kind::drop), 0u);
    EXPECT_EQ(f.printed.find("dropped:"), std::string::npos) << f.printed;
  }

  const Carried c = carried(link, f.input);
  if (f.verdict.frames_sent > 0) {
    // The layers the frame passed, each of which must have said something, in this order (first appearances).
    std::vector<Layer> expected{Layer::link};
    if (c.arp) {
      expected.push_back(Layer::arp);
    } else {
      ASSERT_TRUE(c.ip_protocol) << "an answered frame that is neither ARP nor IPv4";
      expected.push_back(Layer::ipv4);
      if (*c.ip_protocol == 1) expected.push_back(Layer::icmp);
      if (*c.ip_protocol == 17) expected.push_back(Layer::udp);
      // Answered and dropped: an ICMP error was sent about it, which the icmp layer explains.
      if (f.verdict.drop && *c.ip_protocol != 1) expected.push_back(Layer::icmp);
      expected.push_back(Layer::out);
    }
    std::ptrdiff_t previous = -1;
    for (const Layer layer : expected) {
      const auto it = std::find_if(f.events.begin(), f.events.end(), [layer](const Event& e) {
        return e.kind == Event::Kind::note && e.layer == layer;
      });
      ASSERT_NE(it, f.events.end()) << "no note from the " << layer_name(layer) << " layer";
      const std::ptrdiff_t at = it - f.events.begin();
      EXPECT_GT(at, previous) << "the " << layer_name(layer) << " layer speaks out of order";
      previous = at;
    }
    // Nothing is sent before its story: the first `sent` follows the last layer's first note.
    const auto first_sent = std::find_if(f.events.begin(), f.events.end(),
                                         [](const Event& e) { return e.kind == Event::Kind::sent; });
    EXPECT_GT(first_sent - f.events.begin(), previous);
  } else if (!f.verdict.drop) {
    // Neither answered nor dropped: only a fragment waiting for the rest of its datagram, and the trace says so.
    EXPECT_TRUE(c.fragment) << "a frame neither answered nor dropped, and not a fragment";
    const Event& last = f.events.back();
    EXPECT_EQ(last.kind, Event::Kind::note);
    EXPECT_EQ(last.layer, Layer::ipv4);
    EXPECT_NE(last.text.find("held for reassembly"), std::string::npos) << last.text;
  }
}

// ---- the project's fixtures -------------------------------------------------------------------------------------

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

std::vector<std::string> fixture_names() { return ministack::testing::pcap_names(fixtures_dir()); }

std::string readable(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 5);
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

class FixtureTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTrace, EveryFrameToldLayerByLayer) {
  const TracedReplay replay = trace_capture((fixtures_dir() / GetParam()).string());
  ASSERT_FALSE(replay.frames.empty());
  EXPECT_TRUE(replay.timer_events.empty()) << "the timers reported something:\n"
                                           << describe_events(replay.timer_events);
  std::size_t answered = 0, dropped = 0, held = 0;
  for (const TracedFrame& f : replay.frames) {
    check_frame(replay.link, f, GetParam());
    answered += f.verdict.frames_sent > 0 ? 1 : 0;
    dropped += f.verdict.drop ? 1 : 0;
    held += !f.verdict.drop && f.verdict.frames_sent == 0 ? 1 : 0;
  }
  EXPECT_GT(answered, 0u) << "every fixture holds something ministack answers";
  std::cout << fmt::format("{}: {} frames, {} answered, {} dropped, {} held for reassembly\n", GetParam(),
                           replay.frames.size(), answered, dropped, held);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTrace, ::testing::ValuesIn(fixture_names()), readable);

TEST(FixtureTraces, ArePresent) { EXPECT_GE(fixture_names().size(), 10u) << "fixtures missing from " << fixtures_dir(); }

// An echo request's story in full, on both pipelines: the layers, and the reply's checksum as the trace reports it.
TEST(FixtureTraces, EchoRequestPassesLinkIpv4IcmpOut) {
  for (const char* name : {"tap_ping.pcap", "tun_ping.pcap"}) {
    const TracedReplay replay = trace_capture((fixtures_dir() / name).string());
    const auto request = std::find_if(replay.frames.begin(), replay.frames.end(), [&](const TracedFrame& f) {
      const Carried c = carried(replay.link, f.input);
      return c.ip_protocol == 1 && f.verdict.frames_sent == 1;
    });
    ASSERT_NE(request, replay.frames.end()) << name;
    std::vector<Layer> layers;
    for (const Event& e : request->events) {
      if (e.kind == Event::Kind::note && (layers.empty() || layers.back() != e.layer)) layers.push_back(e.layer);
    }
    EXPECT_EQ(layers, (std::vector<Layer>{Layer::link, Layer::ipv4, Layer::icmp, Layer::out})) << name;
    EXPECT_EQ(request->events.back().kind, Event::Kind::sent) << name;
    // The checksum the icmp layer says it wrote is the one in the reply sent.
    const std::size_t icmp_at = (replay.link == LinkLayer::ethernet ? 14 : 0) + 20;
    const std::uint16_t sent_checksum = packets::get16(request->sink.front(), icmp_at + 2);
    EXPECT_NE(request->printed.find(fmt::format("-> 0x{:04x} (RFC 1624", sent_checksum)), std::string::npos)
        << request->printed;
  }
}

// ---- a crafted capture: every drop reason a received frame can end in -------------------------------------------

// Drop reasons no received frame's verdict can carry: they are counted by timers or on the sending side.
const std::set<DropReason> kNotFromReceive = {
    DropReason::reasm_timeout,            // Ipv4Reassembler::expire(): a datagram, not a frame, runs out of time
    DropReason::icmp_error_rate_limited,  // an error not sent; the frame it was about keeps its own reason
    DropReason::arp_queue_full,           // Stack::send_udp(): a datagram we originate
    DropReason::arp_unresolved,           // Stack::poll(): queued datagrams whose ARP never resolved
};

struct Crafted {
  std::string what;
  Frame frame;
  std::optional<DropReason> expect;  // nullopt: a frame that sets the stage (a fragment held)
};

using packets::ethernet;
using packets::Ethernet;
using packets::Ipv4;
using packets::kOurIp;
using packets::kOurMac;
using packets::kPeerIp;
using packets::kPeerMac;
using packets::pattern;
using packets::put16;
using packets::put32;

constexpr MacAddress kGroupMac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
constexpr Ipv4Address kOurBroadcast{0xc0a803ff};  // 192.168.3.255

// A UDP datagram from kPeerIp to us; with `checksum`, a correct one unless `bad`.
Frame udp(std::uint16_t source_port, std::uint16_t destination_port, const Frame& payload, bool checksum,
          bool bad = false) {
  const auto length = static_cast<std::uint16_t>(8 + payload.size());
  Frame u(length);
  put16(u, 0, source_port);
  put16(u, 2, destination_port);
  put16(u, 4, length);
  packets::put_bytes(u, 8, payload);
  if (checksum) {
    Frame pseudo(12 + u.size());  // RFC 768 pseudo-header: source, destination, zero, protocol, UDP length
    put32(pseudo, 0, kPeerIp.value);
    put32(pseudo, 4, kOurIp.value);
    pseudo[9] = 17;
    put16(pseudo, 10, length);
    packets::put_bytes(pseudo, 12, u);
    std::uint16_t sum = packets::reference_checksum(pseudo);
    if (sum == 0) sum = 0xffff;
    put16(u, 6, bad ? static_cast<std::uint16_t>(sum ^ 0x0101) : sum);
  }
  return u;
}

Frame ip_frame(const Ipv4& h, const Frame& payload, const Ethernet& e = {}) {
  return ethernet(e, packets::ipv4(h, payload));
}

std::vector<Crafted> crafted_ethernet_frames() {
  const Frame echo = packets::icmp({});
  Frame arp_cut = packets::arp_frame();
  arp_cut.resize(14 + 20);
  Frame short_icmp = packets::icmp({.data = {}});
  short_icmp.resize(4);
  const Ethernet to_all{MacAddress::broadcast(), kPeerMac, packets::ethertype::ipv4};
  const Frame fragment16 = pattern(16);
  return {
      {"10 bytes: no room for an Ethernet header", Frame(10, 0xab), DropReason::eth_truncated},
      {"echo request to another MAC", packets::echo_request_frame({}, {}, {.destination = kPeerMac}),
       DropReason::eth_not_for_us},
      {"from a multicast MAC", packets::echo_request_frame({}, {}, {.source = kGroupMac}), DropReason::eth_bad_source},
      {"an IPv6 EtherType", ethernet({.type = packets::ethertype::ipv6}, pattern(40)),
       DropReason::eth_unsupported_type},
      {"ARP cut to 20 bytes", arp_cut, DropReason::arp_truncated},
      {"ARP over hardware type 6", packets::arp_frame({.htype = 6}), DropReason::arp_unsupported_format},
      {"ARP from a multicast sender", packets::arp_frame({.sender_mac = kGroupMac}), DropReason::arp_bad_sender},
      {"ARP who-has another address", packets::arp_frame({.target_ip = packets::ipv4_address(192, 168, 3, 13)}),
       DropReason::arp_not_for_us},
      {"ARP reply to us", packets::arp_frame({.operation = 2, .target_mac = kOurMac}, {kOurMac, kPeerMac, 0x0806}),
       DropReason::arp_not_request},
      {"total length beyond the frame", ip_frame({.total_length = 1000}, echo), DropReason::ip_truncated},
      {"IP version 5", ip_frame({.version = 5}, echo), DropReason::ip_bad_version},
      {"IHL 4", ip_frame({.ihl = 4}, echo), DropReason::ip_bad_ihl},
      {"total length 19", ip_frame({.total_length = 19}, echo), DropReason::ip_bad_total_length},
      {"bad header checksum", ip_frame({.bad_checksum = true}, echo), DropReason::ip_bad_checksum},
      {"to another IP address", ip_frame({.destination = packets::ipv4_address(192, 168, 3, 99)}, echo),
       DropReason::ip_not_for_us},
      {"from 127.0.0.1", ip_frame({.source = packets::ipv4_address(127, 0, 0, 1)}, echo), DropReason::ip_bad_source},
      {"unicast IP in a link broadcast", ip_frame({}, echo, to_all), DropReason::ip_link_broadcast},
      {"Record Route longer than the options", ip_frame({.options = {0x07, 0x27, 0x04, 0x00}}, echo),
       DropReason::ip_bad_options},
      {"echo request to the subnet broadcast", ip_frame({.destination = kOurBroadcast}, echo, to_all),
       DropReason::ip_broadcast_echo_ignored},
      {"first fragment of datagram 0x1111", ip_frame({.identification = 0x1111, .flags_fragment = 0x2000}, fragment16),
       std::nullopt},
      {"overlapping fragment of 0x1111", ip_frame({.identification = 0x1111, .flags_fragment = 0x2001}, fragment16),
       DropReason::reasm_overlap},
      {"first fragment of datagram 0x2222", ip_frame({.identification = 0x2222, .flags_fragment = 0x2000}, fragment16),
       std::nullopt},
      {"the same fragment again", ip_frame({.identification = 0x2222, .flags_fragment = 0x2000}, fragment16),
       DropReason::reasm_duplicate},
      {"last fragment of datagram 0x6666, ending at 32", ip_frame({.identification = 0x6666, .flags_fragment = 0x0002},
                                                                   pattern(16)),
       std::nullopt},
      {"a second last fragment, ending at 16", ip_frame({.identification = 0x6666, .flags_fragment = 0x0001}, pattern(8)),
       DropReason::reasm_conflict},
      {"last fragment at offset 65528", ip_frame({.identification = 0x3333, .flags_fragment = 0x1fff}, pattern(64)),
       DropReason::reasm_oversize},
      {"a non-final fragment of 12 bytes", ip_frame({.identification = 0x4444, .flags_fragment = 0x2000}, pattern(12)),
       DropReason::reasm_bad_length},
      {"a 16 KB datagram, over the reassembly memory cap",
       ip_frame({.identification = 0x5555, .flags_fragment = 2000}, pattern(8)), DropReason::reasm_evicted},
      {"protocol 6 (TCP)", ip_frame({.protocol = 6}, pattern(20)), DropReason::ip_unknown_protocol},
      {"ICMP of 4 bytes", ip_frame({}, short_icmp), DropReason::icmp_truncated},
      {"bad ICMP checksum", ip_frame({}, packets::icmp({.bad_checksum = true})), DropReason::icmp_bad_checksum},
      {"an echo reply", ip_frame({}, packets::icmp({.type = 0})), DropReason::icmp_type_ignored},
      {"UDP of 4 bytes", ip_frame({.protocol = 17}, pattern(4)), DropReason::udp_truncated},
      {"bad UDP checksum", ip_frame({.protocol = 17}, udp(40000, 7, pattern(6), true, true)),
       DropReason::udp_bad_checksum},
      {"UDP to port 9", ip_frame({.protocol = 17}, udp(40000, 9, pattern(6), false)), DropReason::udp_port_unreachable},
  };
}

std::vector<Crafted> crafted_ip_packets() {
  Frame ipv6(40);
  ipv6[0] = 0x60;
  return {{"an IPv6 packet on TUN", ipv6, DropReason::ipv6_not_spoken},
          {"an IPv4 echo request on TUN", packets::echo_request(), std::nullopt}};
}

class CraftedTrace : public ::testing::Test {
 protected:
  // Writes the frames as a capture, a millisecond apart, and explains it.
  TracedReplay explain(const std::vector<Crafted>& frames, int dlt, const StackConfig& config) {
    const auto path = dir_ / fmt::format("crafted-{}.pcap", dlt);
    {
      PcapWriter writer(path.string(), dlt);
      Received::Timestamp t{std::chrono::seconds{1'800'000'000}};
      for (const Crafted& c : frames) {
        writer.write(c.frame, t);
        t += std::chrono::milliseconds{1};
      }
    }
    return trace_capture(path.string(), config);
  }

  void check(const std::vector<Crafted>& crafted, const TracedReplay& replay, std::set<DropReason>& seen) {
    ASSERT_EQ(replay.frames.size(), crafted.size());
    for (std::size_t i = 0; i < crafted.size(); ++i) {
      const TracedFrame& f = replay.frames[i];
      SCOPED_TRACE(fmt::format("crafted frame {}: {}\n{}", i + 1, crafted[i].what, f.printed));
      ASSERT_EQ(f.verdict.drop.has_value(), crafted[i].expect.has_value());
      if (crafted[i].expect) {
        EXPECT_EQ(describe(*f.verdict.drop).name, describe(*crafted[i].expect).name);
        seen.insert(*f.verdict.drop);
      }
      // Only a frame too short for its Ethernet header has no link line before its drop.
      const bool no_header = crafted[i].expect == DropReason::eth_truncated;
      check_frame(replay.link, f, "crafted", !no_header);
      if (no_header) {
        EXPECT_EQ(f.events.size(), 1u) << "eth_truncated: the drop is all there is to say";
      }
    }
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("ministack-trace-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                       static_cast<long>(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(CraftedTrace, EveryDropFromReceiveIsNamedWithItsRule) {
  // The one setting that differs from `ministack explain`'s: a reassembly memory cap small enough that a datagram
  // reaching 16 KB can never fit (the cap's floor on the command line is 64 KiB; the stack takes any).
  StackConfig tap;
  tap.reassembly.max_bytes = 8 * 1024;
  const auto ethernet_frames = crafted_ethernet_frames();
  const auto ip_packets = crafted_ip_packets();
  std::set<DropReason> seen;
  check(ethernet_frames, explain(ethernet_frames, kDltEthernet, tap), seen);
  check(ip_packets, explain(ip_packets, kDltRaw, StackConfig{}), seen);

  // No unexplained drop: every reason is either triggered above, printed with its rule, or one no received frame
  // can end in. A new reason fails here until it is crafted or listed in kNotFromReceive.
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    const auto info = describe(reason);
    EXPECT_TRUE(mentions_a_rule(info.rule)) << info.name << ": '" << info.rule << "' names no RFC or IEEE rule";
    if (kNotFromReceive.contains(reason)) {
      EXPECT_FALSE(seen.contains(reason)) << info.name << " came from receive(): take it off kNotFromReceive";
    } else {
      EXPECT_TRUE(seen.contains(reason)) << info.name << ": no crafted frame ends in it";
    }
  }
  std::cout << fmt::format("{} of {} drop reasons triggered by crafted frames, each printed with its rule; {} only "
                           "from timers or sending\n",
                           seen.size(), kDropReasonCount, kNotFromReceive.size());
}

// The answer to an unknown protocol is told in full: ipv4, then icmp (the error), out, sent, and only then the drop.
TEST_F(CraftedTrace, AnErrorSentIsExplainedBeforeTheDrop) {
  const std::vector<Crafted> frames = {
      {"protocol 6 (TCP)", ip_frame({.protocol = 6}, pattern(20)), DropReason::ip_unknown_protocol}};
  const TracedReplay replay = explain(frames, kDltEthernet, StackConfig{});
  ASSERT_EQ(replay.frames.size(), 1u);
  const TracedFrame& f = replay.frames.front();
  EXPECT_EQ(f.verdict.frames_sent, 1u);
  EXPECT_NE(f.printed.find("      icmp destination unreachable, code 2 (protocol)"), std::string::npos) << f.printed;
  EXPECT_LT(f.printed.find("  sent "), f.printed.find("  dropped: ip_unknown_protocol: ")) << f.printed;
}

// ---- the golden text: `ministack explain pcaps/tap_ping.pcap`, exactly ------------------------------------------

// tests/golden/explain_tap_ping.txt is a reviewed snapshot, not a recording taken on trust: it was generated once
// with `ministack explain pcaps/tap_ping.pcap > tests/golden/explain_tap_ping.txt` (stdout not a terminal: plain
// text) and read line by line against the capture (tcpdump -vv -xx): the ARP request answered with a 60-byte
// padded reply, the kernel's four frames dropped as not for our MAC, the three echo requests with their real
// header and ICMP checksums, id 27583, seq 1 to 3, each reply's ICMP checksum 0x0800 above the request's (type 8 ->
// 0, RFC 1624), and its IP header checksum (id 0, 1, 2) recomputed by hand. When the output changes on purpose,
// regenerate it the same way and review the diff before committing it.
std::string read_file(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return {};
  std::string text;
  std::array<char, 4096> chunk{};
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get())) text.append(chunk.data(), n);
  return text;
}

TEST(ExplainGolden, TapPingPrintsTheReviewedStory) {
  const std::filesystem::path source = MINISTACK_SOURCE_DIR;
  const std::string golden = read_file(source / "tests/golden/explain_tap_ping.txt");
  ASSERT_FALSE(golden.empty()) << "tests/golden/explain_tap_ping.txt is missing or empty";
  // Run from the source tree, as the README does: the capture's path is part of the output.
  const std::string command =
      fmt::format("cd '{}' && '{}' explain pcaps/tap_ping.pcap", source.string(), MINISTACK_BINARY);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  ASSERT_TRUE(pipe) << command;
  std::string output;
  std::array<char, 4096> chunk{};
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) output.append(chunk.data(), n);
  const int status = ::pclose(pipe.release());
  EXPECT_EQ(status, 0) << command;
  EXPECT_EQ(output, golden) << "`ministack explain pcaps/tap_ping.pcap` no longer prints the reviewed snapshot in "
                               "tests/golden/explain_tap_ping.txt; if the change is intended, regenerate it and "
                               "review the diff";
}

}  // namespace
