// A libFuzzer target for the drawing of `explain --html` (stack/wire/fields): every record of the input (the format
// of fuzz_input.hpp, so the tap and tun seeds serve) is cut into headers as an Ethernet frame and as a bare IP
// packet, and every field of every header is read and written out. It aborts when a piece reaches past its frame or
// past its table, so that the dissector, which reads the bytes itself, is held to the bounds the views keep.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "stack/wire/fields/dissect.hpp"

namespace {

using namespace ministack;

void draw(LinkLayer link, Bytes frame) {
  for (const fields::Piece& piece : fields::dissect(link, frame)) {
    if (piece.offset > frame.size() || piece.length > frame.size() - piece.offset) std::abort();
    if (!piece.table) continue;
    if (piece.length > piece.table->bits / 8) std::abort();
    const Bytes header = frame.subspan(piece.offset, piece.length);
    for (const fields::Field& field : piece.table->fields) {
      if (fields::show_value(field, header).empty()) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::RecordReader reader(Bytes{data, size});
  while (const auto record = reader.next()) {
    draw(LinkLayer::ethernet, record->body);
    draw(LinkLayer::ip, record->body);
  }
  return 0;
}
