// What ministack says about itself: --version (its revision and the libraries it runs with) and --help fitted to a
// terminal's 80 columns, ending with the signals, exit codes and files it knows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace ministack {

// "ministack VERSION (git REVISION)", then one line per library with its version, as `ip -V` and `tcpdump --version`
// name theirs.
std::string version_text();

// `text` with every line wider than `width` columns broken at spaces; a continuation lines up under the description
// column of an option's line (two spaces after the name), under a description's own column, or four past a short
// indent.
std::string wrap_lines(std::string_view text, std::size_t width = 80);

// CLI11's help, each line fitted to 80 columns by wrap_lines().
class WrappingFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

// The help's closing sections: examples, signals, exit codes, files.
std::string help_footer();

}  // namespace ministack
