#include "about.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/ministack/syscall_filter.hpp"
#include "device/pcap_replay.hpp"

#ifndef MINISTACK_VERSION
#define MINISTACK_VERSION "unknown"
#endif
#ifndef MINISTACK_GIT_REVISION
#define MINISTACK_GIT_REVISION "unknown"
#endif
// Versions pkg-config reported at configure time, for libraries with no call that tells it at run time.
#ifndef MINISTACK_BUILT_WITH
#define MINISTACK_BUILT_WITH ""
#endif

namespace ministack {

namespace {

// Columns a line takes: UTF-8 continuation bytes take none.
std::size_t columns(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// Where a continuation of `line` starts: under its description column, else four past a short indent.
std::size_t continuation_indent(std::string_view line, std::size_t width) {
  const std::size_t indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos) return 0;
  const std::size_t gap = line.find("  ", indent);
  if (gap != std::string_view::npos) {
    const std::size_t column = line.find_first_not_of(' ', gap);
    if (column != std::string_view::npos && column <= width / 2) return column;
  }
  // A description on a line of its own (under a long option name) goes on at its own column; other text indents.
  return indent >= 8 ? std::min(indent, width / 2) : indent + 4;
}

void wrap_line(std::string_view line, std::size_t width, std::string& out) {
  const std::string pad(continuation_indent(line, width), ' ');
  std::string current;
  std::size_t start = 0;
  // Words are split at single spaces; the leading indent and the gap before the description stay whole.
  while (start < line.size()) {
    std::size_t end = line.find(' ', start);
    while (end != std::string_view::npos && end + 1 < line.size() && line[end + 1] == ' ') ++end;
    if (end == std::string_view::npos) end = line.size();
    const std::string_view word = line.substr(start, end - start + (end < line.size() ? 1 : 0));
    std::string_view bare = word;
    while (!bare.empty() && bare.back() == ' ') bare.remove_suffix(1);
    if (!current.empty() && columns(current) + columns(bare) > width &&
        current.find_first_not_of(' ') != std::string::npos) {
      while (!current.empty() && current.back() == ' ') current.pop_back();
      out += current + "\n";
      current = pad;
      std::string_view trimmed = word;
      while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
      current += trimmed;
    } else {
      current += word;
    }
    start = end + 1;
  }
  while (!current.empty() && current.back() == ' ') current.pop_back();
  out += current + "\n";
}

}  // namespace

std::string wrap_lines(std::string_view text, std::size_t width) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (columns(line) <= width) {
      out.append(line);
      out += '\n';
    } else {
      wrap_line(line, width, out);
    }
    start = end + 1;
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

std::string WrappingFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  return wrap_lines(CLI::Formatter::make_help(app, std::move(name), mode));
}

std::string version_text() {
  std::string built_with = MINISTACK_BUILT_WITH;
  return fmt::format("ministack {} (git {})\n"
                     "{}\n"
                     "fmt {}.{}.{}, CLI11 {}, nlohmann_json {}.{}.{}, libseccomp {}{}{}",
                     MINISTACK_VERSION, MINISTACK_GIT_REVISION, pcap_library_version(), FMT_VERSION / 10000,
                     FMT_VERSION / 100 % 100, FMT_VERSION % 100, CLI11_VERSION, NLOHMANN_JSON_VERSION_MAJOR,
                     NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH, seccomp_library_version(),
                     built_with.empty() ? "" : ", ", built_with);
}

std::string help_footer() {
  return "Output:\n"
         "  FILE may be - (or /dev/stdout) for stdout. When a data stream goes to stdout (--pcap -, "
         "--stats-json -, --trace, explain), everything else goes to stderr: the counters table, the neighbor "
         "cache, start and stop lines, warnings. With --pcap -, --trace goes to stderr too.\n"
         "\n"
         "Signals:\n"
         "  SIGINT, SIGTERM, SIGHUP  stop cleanly: the summary, the counters, exit 0 (SIGHUP as tcpdump does, "
         "for a terminal that went away; there is no configuration to reload)\n"
         "  SIGUSR1                  print the counters and the neighbor cache (as 'ip neigh' does), write "
         "--stats-json, and keep running\n"
         "\n"
         "Exit status:\n"
         "  0  stopped by a signal, or the capture was played to its end\n"
         "  1  a run-time error: the device, a capture or an output file could not be used (the message says "
         "what to do)\n"
         "  2  bad usage: an option or a combination of options that cannot work\n"
         "\n"
         "Files:\n"
         "  /dev/net/tun  the TUN/TAP driver (modprobe tun); opening it needs CAP_NET_ADMIN\n"
         "  --pcap, --stats-json  written where given; --stats-json is replaced whole (a temporary file beside "
         "it, then rename) unless it is - or not a regular file\n"
         "\n"
         "Examples:\n"
         "  sudo ministack --tap tap0                then, in another shell: ping 192.168.3.12\n"
         "  ministack --replay in.pcap --pcap - | tcpdump -nr -\n"
         "  ministack explain cap.pcap 'icmp or arp'  the matching frames, layer by layer\n"
         "  ministack explain cap.pcap --html cap.html  every frame drawn as the RFCs draw headers\n";
}

}  // namespace ministack
