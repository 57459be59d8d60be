// Prints the stack's trace for people: one heading per frame, then one line per layer the frame passed through,
// indented by layer, then what was sent or why the frame was dropped (with the rule behind it). In colour or plain
// text, as the caller decides (--color).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "stack/wire/trace.hpp"

namespace ministack {

class TracePrinter final : public Tracer {
 public:
  // Plain text unless `colour` (main.cpp decides it from --color, NO_COLOR and isatty).
  explicit TracePrinter(std::FILE* out = stdout, bool colour = false);

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
