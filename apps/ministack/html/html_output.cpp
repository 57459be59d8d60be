#include "html_output.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace ministack {

HtmlOutput::HtmlOutput(const std::string& path, PageSource source)
    : path_(path), out_(path == "-" ? stdout : std::fopen(path.c_str(), "w")), source_(std::move(source)) {
  if (out_ == nullptr) throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

HtmlOutput::~HtmlOutput() {
  if (out_ != stdout) std::fclose(out_);
}

void HtmlOutput::finish() {
  const std::string page = render_page(source_, recorder_.records());
  if (std::fwrite(page.data(), 1, page.size(), out_) != page.size() || std::fflush(out_) != 0) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path_ == "-" ? "stdout" : path_, std::strerror(errno)));
  }
}

}  // namespace ministack
