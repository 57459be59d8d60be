// The page `ministack explain FILE.pcap --html OUT.html` writes: one self-contained HTML document (inline CSS, a few
// lines of plain script, nothing fetched) that draws every frame of a capture as its RFCs draw its headers, with the
// stack's verdict, its trace beside each layer, and the frames it sent in answer under their request.
#pragma once

#include <string>
#include <vector>

#include "frame_recorder.hpp"
#include "stack/wire/link_layer.hpp"

namespace ministack {

struct PageSource {
  std::string capture;  // the capture's file name, for the title
  LinkLayer link = LinkLayer::ethernet;
};

// The whole page for `records`, in capture order.
std::string render_page(const PageSource& source, const std::vector<FrameRecord>& records);

}  // namespace ministack
