// The one logging path of the program: every message goes through a Logger, filtered by a level chosen at run time
// (-q, -v, --log-level), formatted with fmt, prefixed "ministack: " (and "warning: " or "error: "), and flushed at
// once, so that a log read while the program runs (or after a crash) is complete.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace ministack {

// In decreasing severity: a logger at level L prints messages of level L and every more severe one.
enum class LogLevel { error, warning, info, debug };

// "error", "warning", "info" or "debug".
std::string_view log_level_name(LogLevel level);

// Accepts error, warning (or warn), info and debug; throws std::invalid_argument, listing those, on anything else.
LogLevel parse_log_level(std::string_view text);

// "1 frame", "2 frames"; `many` for plurals not made with an s ("1 ARP reply", "2 ARP replies").
inline std::string plural(std::uint64_t n, std::string_view one, std::string_view many = {}) {
  if (n == 1) return fmt::format("1 {}", one);
  return many.empty() ? fmt::format("{} {}s", n, one) : fmt::format("{} {}", n, many);
}

class Logger {
 public:
  explicit Logger(LogLevel level, std::FILE* out = stderr) : level_(level), out_(out) {}

  LogLevel level() const { return level_; }
  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level <= level_; }

  // Formats and prints one line (a newline is added) if `level` is enabled; arguments are not formatted otherwise.
  template <class... A>
  void log(LogLevel level, fmt::format_string<A...> format, A&&... args) {
    if (!enabled(level)) return;
    write(level, fmt::format(format, std::forward<A>(args)...));
  }

  template <class... A>
  void error(fmt::format_string<A...> format, A&&... args) {
    log(LogLevel::error, format, std::forward<A>(args)...);
  }
  template <class... A>
  void warn(fmt::format_string<A...> format, A&&... args) {
    log(LogLevel::warning, format, std::forward<A>(args)...);
  }
  template <class... A>
  void info(fmt::format_string<A...> format, A&&... args) {
    log(LogLevel::info, format, std::forward<A>(args)...);
  }
  template <class... A>
  void debug(fmt::format_string<A...> format, A&&... args) {
    log(LogLevel::debug, format, std::forward<A>(args)...);
  }

 private:
  // Prints "ministack: [warning: |error: ]MESSAGE\n" and flushes; no level check.
  void write(LogLevel level, std::string_view message);

  LogLevel level_;
  std::FILE* out_;
};

}  // namespace ministack
