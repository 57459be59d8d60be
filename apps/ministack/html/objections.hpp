// Which field of which header a drop reason objects to, so that the drawing marks it (a bad checksum, a bad length).
#pragma once

#include <optional>
#include <string_view>

#include "stack/wire/drop_reason.hpp"

namespace ministack {

// The header (a piece's label: "IPv4", "TCP options") and its field ("Header Checksum"; empty: the whole piece).
struct Objection {
  std::string_view header;
  std::string_view field;
};

// The field `reason` is about, or nullopt for reasons about no one field (reassembly, rate limits, the caps).
std::optional<Objection> objection_of(DropReason reason);

}  // namespace ministack
