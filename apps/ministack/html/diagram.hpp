// One packet drawn as its RFCs draw it: each header a table of 32-bit rows whose cells span their fields' bit widths,
// labelled with the field's name and its value; options and data as bytes; the trace lines beside their layer; then
// the packet's bytes as a hex dump, which hovering a field lights up.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frame_recorder.hpp"
#include "objections.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/link_layer.hpp"

namespace ministack {

struct DiagramOptions {
  LinkLayer link = LinkLayer::ethernet;
  std::vector<TraceLine> trace;        // drawn beside the first header of their layer
  std::optional<Objection> objection;  // the field the stack objected to, marked with `objection_reason`
  std::string objection_reason;
  std::optional<Bytes> compare_with;  // a reply's request: fields whose value differs from it are marked
};

// The HTML of one packet (a <div class="pkt">), self-contained and well nested.
std::string draw_packet(Bytes packet, const DiagramOptions& options);

// `bytes` as rows of 16 hex bytes, one <span> per byte (hover targets), at most `limit` bytes shown.
std::string hex_dump(Bytes bytes, std::size_t limit);

}  // namespace ministack
