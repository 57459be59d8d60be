// Checks of option values shared by the program's commands (CLI11 validators): each returns what is wrong with the
// text and what to give instead, or "" when it will do.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "log.hpp"

namespace ministack {

// A whole number from `min` to `max`, checked before CLI11 converts it (which would wrap "-5" into an unsigned).
CLI::Validator number(std::uint64_t min, std::uint64_t max);

// An IPv4 address/prefix fit for one end of a link (address_checks.hpp says what is refused and why).
std::string check_interface(const std::string& text);

// Whose IPv6 address an option gives, for check_interface6()'s messages.
enum class Side { ours, host };

// An IPv6 address/prefix that can be an interface's own unicast address (RFC 4291 §2.4, §2.5).
std::string check_interface6(const std::string& text, Side side);

// A unicast MAC address.
std::string check_mac(const std::string& text);

// A Linux interface name: 1 to 15 bytes (IFNAMSIZ - 1), no '/', ':' or white space (dev_valid_name()).
std::string check_ifname(const std::string& text);

// -v, -q and --log-level, as given.
struct LogFlags {
  bool verbose = false;
  bool quiet = false;
  std::string level_name;
  // The level they choose: debug for -v, error for -q, else --log-level's, else info.
  LogLevel level() const {
    return verbose              ? LogLevel::debug
           : quiet              ? LogLevel::error
           : level_name.empty() ? LogLevel::info
                                : parse_log_level(level_name);
  }
};

// Adds -v, -q and --log-level to `app` (each excluding the others).
void add_log_options(CLI::App& app, LogFlags& raw);

}  // namespace ministack
