// What the stack tells a tracer as a frame goes up the layers: for each layer, what it read and what it decided;
// the reason and rule of a drop; and what was sent back. The stack has no I/O: the program's tracer prints these
// lines (`--trace`, `ministack explain`), tests collect them. With no tracer set, nothing is formatted.
#pragma once

#include <string_view>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/drop_reason.hpp"

namespace ministack {

enum class Layer { link, arp, ipv4, icmp, ipv6, icmpv6, udp, tcp, out };

constexpr std::string_view layer_name(Layer layer) {
  constexpr std::string_view names[] = {"link", "arp", "ipv4", "icmp", "ipv6", "icmpv6", "udp", "tcp", "out"};
  return names[static_cast<int>(layer)];
}

class Tracer {
 public:
  virtual ~Tracer() = default;
  // One line: what `layer` read or decided.
  virtual void note(Layer layer, std::string_view text) = 0;
  // The frame was not delivered, for this reason (describe(reason) gives its meaning and rule).
  virtual void dropped(DropReason reason) = 0;
  // A frame the stack sent (after the notes that explain it).
  virtual void sent(Bytes frame) = 0;
};

}  // namespace ministack
