#include "log.hpp"

#include <stdexcept>
#include <string>

namespace ministack {

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "unknown";
}

LogLevel parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::error;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "info") return LogLevel::info;
  if (text == "debug") return LogLevel::debug;
  throw std::invalid_argument(
      fmt::format("unknown log level '{}': expected one of error, warning (or warn), info, debug", text));
}

void Logger::write(LogLevel level, std::string_view message) {
  std::string_view prefix;
  if (level == LogLevel::error) prefix = "error: ";
  if (level == LogLevel::warning) prefix = "warning: ";
  // A log that cannot be written (stderr on a full disk, a closed pipe) must not stop the stack: the line is lost.
  const std::string line = fmt::format("ministack: {}{}\n", prefix, message);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace ministack
