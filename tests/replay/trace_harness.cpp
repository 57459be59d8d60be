// Replaying a capture with its trace, and reading the trace (trace_harness.hpp).
#include "trace_harness.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "apps/ministack/event_loop.hpp"
#include "apps/ministack/trace_printer.hpp"
#include "packets.hpp"
#include "replay.hpp"
#include "temp_files.hpp"

namespace trace_test {

namespace {

// Told of every frame by the loop: keeps what the stack told the collector while handling it, and what the printer
// printed for it (heading included); what the collector heard between frames came from the timers.
class TraceWatch final : public LoopObserver {
 public:
  TraceWatch(CollectingTracer& collector, const ministack::testing::TempFile& file)
      : collector_(collector), file_(file) {}

  void frame_received(std::size_t, Bytes, Received::Timestamp, Instant) override {
    take_timer_events();
    before_ = std::ftell(file_.get());  // before the loop prints the frame's heading
  }
  void frame_handled(std::size_t, const Verdict&) override {
    events.push_back(std::move(collector_.events));
    collector_.events.clear();
    std::fflush(file_.get());
    printed.push_back(file_.written(before_));
  }
  void take_timer_events() {
    timer_events.insert(timer_events.end(), collector_.events.begin(), collector_.events.end());
    collector_.events.clear();
  }

  std::vector<std::vector<Event>> events;  // per frame
  std::vector<std::string> printed;        // per frame
  std::vector<Event> timer_events;

 private:
  CollectingTracer& collector_;
  const ministack::testing::TempFile& file_;
  long before_ = 0;
};

}  // namespace

TracedReplay trace_capture(const std::string& path, StackConfig config) {
  CollectingTracer collector;
  const ministack::testing::TempFile file;
  TracePrinter printer(file.get());
  TeeTracer tee(collector, printer);
  TraceWatch watch(collector, file);
  const ministack::testing::Replay replay =
      ministack::testing::replay_capture(path,
                                         {.config = config, .tracer = &tee, .trace = &printer, .observer = &watch});
  watch.take_timer_events();

  TracedReplay out;
  out.link = replay.link;
  out.timer_events = std::move(watch.timer_events);
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ministack::testing::ReplayedFrame& r = replay.frames[i];
    out.frames.push_back(
        {r.index, r.input, r.verdict, r.sent, std::move(watch.events.at(i)), std::move(watch.printed.at(i))});
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
      case Event::Kind::note: s += fmt::format("  note {}: {}\n", layer_name(e.layer), e.text); break;
      case Event::Kind::drop: s += fmt::format("  drop {}\n", describe(e.reason).name); break;
      case Event::Kind::sent: s += fmt::format("  sent {} bytes\n", e.frame.size()); break;
    }
  }
  return s;
}

std::string drop_line(DropReason reason) {
  const auto info = describe(reason);
  return fmt::format("  dropped: {}: {} ({})\n", info.name, info.meaning, info.rule);
}

bool mentions_a_rule(std::string_view rule) {
  return rule.find("RFC ") != std::string_view::npos || rule.find("IEEE ") != std::string_view::npos;
}

namespace {
// An IPv6 packet at f[ip]: its upper layer past the extension headers (RFC 8200 §4), and whether it is a fragment.
Carried carried_ipv6(const std::vector<std::uint8_t>& f, std::size_t ip) {
  Carried c;
  c.ipv6 = true;
  std::uint8_t next = f[ip + 6];
  std::size_t at = ip + 40;
  while ((next == 0 || next == 43 || next == 44 || next == 60) && at + 8 <= f.size()) {
    if (next == 44) c.fragment = c.fragment || (packets::get16(f, at + 2) & 0xfff9u) != 0;
    const std::size_t length = next == 44 ? 8 : (std::size_t{f[at + 1]} + 1) * 8;
    next = f[at];
    at += length;
  }
  c.ip_protocol = next;
  return c;
}
}  // namespace

Carried carried(LinkLayer link, const std::vector<std::uint8_t>& f) {
  Carried c;
  std::size_t ip = 0;
  if (link == LinkLayer::ethernet) {
    if (f.size() < 14) return c;
    const std::uint16_t type = packets::get16(f, 12);
    c.arp = type == 0x0806;
    if (type != 0x0800 && type != 0x86dd) return c;
    ip = 14;
  }
  if (f.size() >= ip + 40 && (f[ip] >> 4) == 6) return carried_ipv6(f, ip);
  if (f.size() < ip + 20 || (f[ip] >> 4) != 4) return c;
  c.ip_protocol = f[ip + 9];
  c.fragment = (packets::get16(f, ip + 6) & 0x3fff) != 0;  // MF or an offset
  return c;
}

namespace {

// One `sent` per frame sent, the same bytes, in the same order.
void expect_sent_as_given(const TracedFrame& f) {
  EXPECT_EQ(count_kind(f.events, Event::Kind::sent), f.verdict.frames_sent);
  EXPECT_EQ(f.sink.size(), f.verdict.frames_sent);
  std::size_t n = 0;
  for (const Event& e : f.events) {
    if (e.kind != Event::Kind::sent || n >= f.sink.size()) continue;
    EXPECT_EQ(e.frame, f.sink[n]) << "sent frame " << n + 1 << " is not what the device was given";
    ++n;
  }
  std::size_t printed_sent = 0;
  for (std::size_t at = f.printed.find("\n  sent "); at != std::string::npos;
       at = f.printed.find("\n  sent ", at + 1)) {
    ++printed_sent;
  }
  EXPECT_EQ(printed_sent, f.verdict.frames_sent) << f.printed;
}

// The outcome says what became of the frame; it agrees with the drop and with what was sent.
void expect_outcome_agrees(const TracedFrame& f) {
  EXPECT_EQ(f.verdict.outcome == ministack::Outcome::dropped, f.verdict.drop.has_value());
  if (f.verdict.outcome == ministack::Outcome::answered) {
    EXPECT_GT(f.verdict.frames_sent, 0u);
  }
  if (f.verdict.outcome == ministack::Outcome::held || f.verdict.outcome == ministack::Outcome::absorbed) {
    EXPECT_EQ(f.verdict.frames_sent, 0u);
  }
}

// What the trace says and prints of a drop, against the verdict's: the reason explained, or no drop at all.
void expect_drop_explained(const TracedFrame& f) {
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
}

// An answered frame: the layers it passed, each of which must have said something, in this order (first
// appearances), and nothing sent before its story.
void expect_layers_in_order(const TracedFrame& f, const Carried& c) {
  std::vector<Layer> expected{Layer::link};
  if (c.arp) {
    expected.push_back(Layer::arp);
  } else {
    ASSERT_TRUE(c.ip_protocol) << "an answered frame that is neither ARP nor IP";
  }
  if (c.ipv6) {
    // Answered and dropped: an ICMPv6 error (a parameter problem, port unreachable) or a TCP RST.
    expected.push_back(Layer::ipv6);
    if (f.verdict.drop) {
      const bool tcp_refused = describe(*f.verdict.drop).name.starts_with("tcp_");  // a RST, not an ICMPv6 error
      expected.push_back(tcp_refused ? Layer::tcp : Layer::icmpv6);
    } else {
      expected.push_back(*c.ip_protocol == 17 ? Layer::udp : *c.ip_protocol == 6 ? Layer::tcp : Layer::icmpv6);
    }
    expected.push_back(Layer::out);
  } else if (!c.arp) {
    expected.push_back(Layer::ipv4);
    if (*c.ip_protocol == 1) expected.push_back(Layer::icmp);
    if (*c.ip_protocol == 17) expected.push_back(Layer::udp);
    if (*c.ip_protocol == 6) expected.push_back(Layer::tcp);
    // Answered and dropped: an ICMP error was sent about it, which the icmp layer explains (TCP answers with a RST,
    // which the tcp layer explains).
    if (f.verdict.drop && *c.ip_protocol != 1 && *c.ip_protocol != 6) expected.push_back(Layer::icmp);
    expected.push_back(Layer::out);
  }
  std::ptrdiff_t previous = -1;
  for (const Layer layer : expected) {
    const auto it = std::find_if(f.events.begin(), f.events.end(),
                                 [layer](const Event& e) { return e.kind == Event::Kind::note && e.layer == layer; });
    ASSERT_NE(it, f.events.end()) << "no note from the " << layer_name(layer) << " layer";
    const std::ptrdiff_t at = it - f.events.begin();
    EXPECT_GT(at, previous) << "the " << layer_name(layer) << " layer speaks out of order";
    previous = at;
  }
  // Nothing is sent before its story: the first `sent` follows the last layer's first note.
  const auto first_sent =
      std::find_if(f.events.begin(), f.events.end(), [](const Event& e) { return e.kind == Event::Kind::sent; });
  EXPECT_GT(first_sent - f.events.begin(), previous);
}

// Neither answered nor dropped: a fragment waiting for the rest of its datagram, held, and the trace says so; or a
// TCP segment its connection took without answering at once (an ACK, data whose ACK is delayed), which the tcp
// layer tells last.
void expect_held_or_absorbed(const TracedFrame& f, const Carried& c) {
  if (c.ip_protocol == 6 && !c.fragment) {
    EXPECT_EQ(f.verdict.outcome, ministack::Outcome::absorbed);
    EXPECT_EQ(f.events.back().kind, Event::Kind::note);
    EXPECT_EQ(f.events.back().layer, Layer::tcp);
    return;
  }
  EXPECT_EQ(f.verdict.outcome, ministack::Outcome::held);
  EXPECT_TRUE(c.fragment) << "a frame neither answered nor dropped, and not a fragment";
  const Event& last = f.events.back();
  EXPECT_EQ(last.kind, Event::Kind::note);
  // The layer of the frame's IP version: an IPv6 fragment (pcaps/*_ping6_s4000.pcap) is held by the ipv6 layer.
  EXPECT_EQ(last.layer, c.ipv6 ? Layer::ipv6 : Layer::ipv4);
  EXPECT_NE(last.text.find("held for reassembly"), std::string::npos) << last.text;
}

}  // namespace

void check_frame(LinkLayer link, const TracedFrame& f, const std::string& where, bool starts_at_link) {
  SCOPED_TRACE(fmt::format("{}, frame {}:\n{}", where, f.index, describe_events(f.events)));
  ASSERT_FALSE(f.events.empty()) << "the stack said nothing about this frame";

  // The printed story begins with the frame's heading, then the link layer.
  EXPECT_EQ(f.printed.rfind(fmt::format("frame {}: {} bytes at ", f.index, f.input.size()), 0), 0u) << f.printed;
  if (starts_at_link) {
    EXPECT_EQ(f.events.front().kind, Event::Kind::note);
    EXPECT_EQ(f.events.front().layer, Layer::link) << "the trace does not start at the link layer";
  }
  expect_sent_as_given(f);
  expect_outcome_agrees(f);
  expect_drop_explained(f);

  const Carried c = carried(link, f.input);
  if (f.verdict.frames_sent > 0) {
    expect_layers_in_order(f, c);
  } else if (!f.verdict.drop) {
    expect_held_or_absorbed(f, c);
  }
}

}  // namespace trace_test
