// A frame cut into the headers the stack parses, in order, for drawing: which table draws each, where it lies, and
// what follows the last header. Reads the bytes itself, every read bounds-checked, so that a frame the stack drops
// for a bad checksum or length is still drawn. No I/O here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "stack/wire/bytes.hpp"
#include "stack/wire/fields/header_fields.hpp"
#include "stack/wire/link_layer.hpp"
#include "stack/wire/trace.hpp"

namespace ministack::fields {

// One piece of a frame: a header drawn by `table`, or (table == nullptr) options, payload or padding drawn as bytes.
struct Piece {
  const HeaderTable* table = nullptr;
  std::string label;    // the table's name, or "IPv4 options", "payload", "Ethernet padding"...
  Layer layer;          // the trace layer whose lines belong beside it
  std::size_t offset;   // bytes from the frame's first byte
  std::size_t length;   // bytes; for a table, at most table->bits / 8 (fewer when the frame ends early)
  std::string summary;  // for a piece without a table: what the bytes are, in a few words
};

// The pieces of `frame` (an Ethernet frame on LinkLayer::ethernet, else a bare IPv4 or IPv6 packet), in wire order.
// They never reach past the frame; a header cut short is a piece with the length that arrived.
std::vector<Piece> dissect(LinkLayer link, Bytes frame);

}  // namespace ministack::fields
