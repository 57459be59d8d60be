// Prints the stack's trace for people: one heading per frame, then one line per layer the frame passed through,
// indented by layer, then what was sent or why the frame was dropped (with the rule behind it). Colour when the
// output is a terminal, plain text otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "stack/wire/trace.hpp"

namespace ministack {

class TracePrinter final : public Tracer {
 public:
  explicit TracePrinter(std::FILE* out = stdout);

  void begin_frame(std::uint64_t index, std::size_t length, std::chrono::microseconds timestamp);  // since the epoch
  // A heading for what the stack sends on its own (the announcement at start).
  void begin_event(std::string_view what);
  void note(Layer layer, std::string_view text) override;
  void dropped(DropReason reason) override;
  void sent(Bytes frame) override;

 private:
  std::FILE* out_;
  bool colour_;
};

}  // namespace ministack
