// The one harness behind every fuzz target: an input (fuzz_input.hpp) run through one CheckedStack
// (tests/support/stack_invariants.hpp), aborting with a message at the first violation of an invariant, so that
// libFuzzer keeps the input as a crash. The modes differ only in the link and in what is done to each frame first.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/config.hpp"

namespace ministack::fuzz {

enum class Mode {
  tap,        // Ethernet frames as they come
  tun,        // raw IP packets as they come
  tap_fixed,  // Ethernet frames, their IP lengths and IPv4, ICMP(v6), UDP and TCP checksums made right (fix_ethernet)
  fragments,  // each frame record is plan + datagram, cut into fragments (cut_into_fragments), sent over Ethernet
};

// The configuration every target runs: the default address and MTU, and small tables, so that eviction, timeouts
// and the ARP queue's limits are reached within a few frames.
StackConfig fuzz_config(Mode mode);

// Runs one input; returns normally if every invariant held after every record, else prints what broke and aborts.
void run_input(Mode mode, const std::uint8_t* data, std::size_t size);

}  // namespace ministack::fuzz
