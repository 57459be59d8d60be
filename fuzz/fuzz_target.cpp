// One libFuzzer target; fuzz/CMakeLists.txt builds this file once per mode (MINISTACK_FUZZ_MODE), so that each mode
// has its own binary, corpus and coverage feedback, and a crash file names its target.
#include <cstddef>
#include <cstdint>

#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ministack::fuzz::run_input(ministack::fuzz::Mode::MINISTACK_FUZZ_MODE, data, size);
  return 0;
}
