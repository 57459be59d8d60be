// What the trace tests share (trace_fixtures_test.cpp, trace_crafted_test.cpp): a capture replayed as `ministack
// explain` replays it, collecting what the stack reports to its Tracer and what TracePrinter prints of it, frame by
// frame; and the checks every frame's trace must pass.
//
//   - Every frame's trace starts at the link layer (the heading TracePrinter prints, then a `link` line).
//   - A dropped frame's trace ends in exactly one drop, the verdict's reason, and the printed line names the reason,
//     its meaning and the rule behind it (RFC or IEEE section): no unexplained drop.
//   - An answered frame's trace has notes from every layer it passed, in order (an echo request: link, ipv4, icmp,
//     out), and one `sent` per frame sent, with the very bytes the device was given.
//   - A frame neither answered nor dropped is a fragment, and its trace says it is held for reassembly.
//
// The captures are replayed through the real event loop (tests/support/replay.hpp): the same PcapReplayDevice, MTU
// and default StackConfig as `ministack explain`, the capture's time as the stack's clock, the loop's
// TracePrinter::begin_frame() before each frame and its Stack::poll() cadence. A TeeTracer hands every report both to
// a collector (what the stack said) and to a TracePrinter writing to a temporary file (what a person reads).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/stack.hpp"
#include "stack/wire/trace.hpp"

namespace trace_test {

using namespace ministack;

// ---- collecting the trace -----------------------------------------------------------------------------------------

struct Event {
  enum class Kind { note, drop, sent };
  Kind kind;
  Layer layer = Layer::link;        // note
  std::string text;                 // note
  DropReason reason{};              // drop
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

struct TracedFrame {
  std::size_t index = 0;  // 1-based, as TracePrinter numbers it
  std::vector<std::uint8_t> input;
  Verdict verdict;
  std::vector<std::vector<std::uint8_t>> sink;  // what the device was given while the stack handled it
  std::vector<Event> events;                    // what the stack told the tracer
  std::string printed;                          // what TracePrinter printed for it, heading included
};

struct TracedReplay {
  LinkLayer link = LinkLayer::ethernet;
  std::vector<TracedFrame> frames;
  std::vector<Event> timer_events;  // reported between frames (from Stack::poll())
};

// Replays the capture at `path` through the event loop with `config` (its link is the capture's), collecting the
// trace of every frame.
TracedReplay trace_capture(const std::string& path, StackConfig config = {});

// ---- reading a trace --------------------------------------------------------------------------------------------

std::size_t count_kind(const std::vector<Event>& events, Event::Kind kind);
std::string describe_events(const std::vector<Event>& events);
// The line TracePrinter prints for a drop, in plain text (the temporary file is not a terminal).
std::string drop_line(DropReason reason);
bool mentions_a_rule(std::string_view rule);

// What a frame carries, read from its bytes here, independently of the stack.
struct Carried {
  bool arp = false;
  std::optional<std::uint8_t> ip_protocol;  // an IPv4 packet with this protocol, or IPv6 with this upper layer
  bool ipv6 = false;
  bool fragment = false;
};

Carried carried(LinkLayer link, const std::vector<std::uint8_t>& f);

// Checks one frame's trace against its verdict; `where` names it in failures.
void check_frame(LinkLayer link, const TracedFrame& f, const std::string& where, bool starts_at_link = true);

// ---- the project's fixtures -------------------------------------------------------------------------------------

inline std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

}  // namespace trace_test
