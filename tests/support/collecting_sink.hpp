// The one collecting FrameSink of the tests: keeps a copy of every frame the stack hands it, in order.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/stack.hpp"

namespace ministack::testing {

struct CollectingSink final : FrameSink {
  std::vector<std::vector<std::uint8_t>> frames;

  void send(Bytes frame) override { frames.emplace_back(frame.begin(), frame.end()); }
};

}  // namespace ministack::testing
