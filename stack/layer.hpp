// What the layers of the pipeline share: the sink that takes what they send, the per-frame context passed up and
// down, what became of a frame (Verdict), and the stack-wide configuration, counters and tracer (StackContext).
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "stack/config.hpp"
#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/clock.hpp"
#include "stack/wire/counters.hpp"
#include "stack/wire/drop_reason.hpp"
#include "stack/wire/trace.hpp"

namespace ministack {

// Receives what the stack sends: one whole frame (TAP) or packet (TUN) per call, valid only during the call.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void send(Bytes frame) = 0;
};

// What became of one received frame.
enum class Outcome {
  answered,  // it was handled and the stack sent something in answer (a reply, fragments of one)
  held,      // a fragment, kept until its datagram is whole
  absorbed,  // handled, merged into the stack's state, nothing to send
  dropped,   // not delivered, for the reason in Verdict::drop (an ICMP error may still have been sent)
};

struct Verdict {
  std::size_t frames_sent = 0;     // frames handed to the sink while handling it
  std::optional<DropReason> drop;  // set exactly when outcome is dropped
  Outcome outcome = Outcome::absorbed;
};

// Who sent the frame at the link layer: answers go back there, whatever their IP next hop (TAP only).
struct LinkPeer {
  std::optional<MacAddress> address;
  bool broadcast = false;  // the frame was sent to the link's broadcast address or to a multicast group
};

// One frame's journey through the layers (or one datagram the stack originates): when, where answers go, what
// has been sent so far.
struct FrameContext {
  Instant now;
  FrameSink& sink;
  LinkPeer peer;
  std::size_t frames_sent = 0;
};

// The configuration, counters and tracer every layer shares; owned by Stack.
class StackContext {
 public:
  StackContext(const StackConfig& stack_config, Counters& stack_counters)
      : config(stack_config), counters(stack_counters) {}

  const StackConfig& config;
  Counters& counters;
  Tracer* tracer = nullptr;

  // One trace line for `layer`; formatted only when a tracer is set (the arguments are plain values).
  template <class... Args>
  void trace(Layer layer, fmt::format_string<Args...> format, Args&&... args) const {
    if (tracer) tracer->note(layer, fmt::format(format, std::forward<Args>(args)...));
  }
  // Counts and traces a drop; what the frame's handler returns.
  Verdict drop(DropReason reason, const FrameContext& frame) const {
    counters.count(reason);
    if (tracer) tracer->dropped(reason);
    return Verdict{frame.frames_sent, reason, Outcome::dropped};
  }
  // The frame was handled: answered if anything was sent for it, else absorbed.
  static Verdict handled(const FrameContext& frame) {
    return Verdict{frame.frames_sent, std::nullopt, frame.frames_sent ? Outcome::answered : Outcome::absorbed};
  }
  static Verdict held(const FrameContext& frame) { return Verdict{frame.frames_sent, std::nullopt, Outcome::held}; }
};

}  // namespace ministack
