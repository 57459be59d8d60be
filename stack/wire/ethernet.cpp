#include "stack/wire/ethernet.hpp"

#include <algorithm>
#include <cassert>

namespace ministack {

Parsed<EthernetView> EthernetView::parse(Bytes frame) {
  if (frame.size() < kEthernetHeaderLength) return DropReason::eth_truncated;
  return EthernetView{frame};
}

void write_ethernet_header(MutableBytes frame, const MacAddress& destination, const MacAddress& source,
                           std::uint16_t type) {
  assert(frame.size() >= kEthernetHeaderLength);
  store_mac(frame.data(), destination);
  store_mac(frame.data() + 6, source);
  store_be16(frame.data() + 12, type);
}

std::size_t pad_ethernet_frame(MutableBytes frame, std::size_t length) {
  if (length >= kEthernetMinFrameLength) return length;
  assert(frame.size() >= kEthernetMinFrameLength);
  std::fill(frame.begin() + static_cast<std::ptrdiff_t>(length),
            frame.begin() + static_cast<std::ptrdiff_t>(kEthernetMinFrameLength), std::uint8_t{0});
  return kEthernetMinFrameLength;
}

}  // namespace ministack
