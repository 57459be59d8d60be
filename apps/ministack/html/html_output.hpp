// `explain --html FILE|-`: the file opened at start (before ministack gives up its privileges), the frames recorded
// while the capture plays, and the page written at the end.
#pragma once

#include <cstdio>
#include <string>

#include "frame_recorder.hpp"
#include "html_page.hpp"

namespace ministack {

class HtmlOutput {
 public:
  // Opens `path` ("-": stdout) for writing; throws std::runtime_error, naming the path and why, when it cannot.
  HtmlOutput(const std::string& path, PageSource source);
  ~HtmlOutput();
  HtmlOutput(const HtmlOutput&) = delete;
  HtmlOutput& operator=(const HtmlOutput&) = delete;

  // Set as the stack's tracer and the loop's observer.
  FrameRecorder& recorder() { return recorder_; }
  // Writes the page; throws std::runtime_error when the write fails.
  void finish();

 private:
  std::string path_;
  std::FILE* out_;
  PageSource source_;
  FrameRecorder recorder_;
};

}  // namespace ministack
