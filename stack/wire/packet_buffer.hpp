// A packet inside a larger writable buffer, with headroom in front for the headers a layer pushes and room behind
// for padding (lwIP's pbuf_add_header, Linux's skb_push/skb_pull, over one flat buffer).
//
//   space: [ headroom | packet bytes (size()) | tailroom ]
//                     ^ data()
//
// A layer going up pulls its header off the front; a layer going down pushes its header on. The buffer itself is
// owned elsewhere (the device loop's receive buffer, a reassembly slot, a layer's own transmit buffer): this type
// never allocates and is cheap to copy.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "stack/wire/bytes.hpp"

namespace ministack {

class PacketBuffer {
 public:
  PacketBuffer() = default;
  // The packet is space[offset, offset + length).
  PacketBuffer(MutableBytes space, std::size_t offset, std::size_t length)
      : space_(space), offset_(offset), length_(length) {
    assert(offset <= space.size() && length <= space.size() - offset);
  }

  std::uint8_t* data() const { return space_.data() + offset_; }
  std::size_t size() const { return length_; }
  MutableBytes bytes() const { return space_.subspan(offset_, length_); }
  std::size_t headroom() const { return offset_; }
  std::size_t tailroom() const { return space_.size() - offset_ - length_; }
  // From the packet's first byte to the end of the space: what padding may use.
  MutableBytes to_end() const { return space_.subspan(offset_); }
  bool same_space(const PacketBuffer& other) const { return space_.data() == other.space_.data(); }

  // Prepends n bytes (a header to write) taken from the headroom; returns them. Asserts the headroom holds them.
  MutableBytes push(std::size_t n) {
    assert(n <= offset_);
    offset_ -= n;
    length_ += n;
    return space_.subspan(offset_, n);
  }
  // Removes n bytes (a header read) from the front; they become headroom.
  void pull(std::size_t n) {
    assert(n <= length_);
    offset_ += n;
    length_ -= n;
  }
  // Sets the length, keeping the start: shorter drops trailing bytes (padding), longer takes tailroom.
  void resize(std::size_t length) {
    assert(length <= space_.size() - offset_);
    length_ = length;
  }

 private:
  MutableBytes space_;
  std::size_t offset_ = 0;
  std::size_t length_ = 0;
};

}  // namespace ministack
