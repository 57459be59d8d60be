#include "option_checks.hpp"

#include <charconv>

#include <fmt/format.h>

#include "address_checks.hpp"
#include "stack/stack.hpp"
#include "stack/wire/address.hpp"

namespace ministack {

// An IPv4 address/prefix fit for one end of the link (address_checks.hpp says what is refused and why).
std::string check_interface(const std::string& text) {
  const auto interface = Ipv4Interface::parse(text);
  if (!interface) return fmt::format("'{}' is not an IPv4 address/prefix such as 192.168.3.12/24", text);
  return check_host_pair4(*interface);
}

// A whole number from `min` to `max`, checked before CLI11 converts it (which would wrap "-5" into an unsigned).
CLI::Validator number(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](const std::string& text) -> std::string {
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (!text.empty() && text.front() == '-' && text.find_first_not_of("0123456789", 1) == std::string::npos &&
            text.size() > 1) {
          return fmt::format("'{}' is negative: give a whole number from {} to {}", text, min, max);
        }
        if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size()) {
          return fmt::format("'{}' is not a number: give a whole number from {} to {}", text, min, max);
        }
        if (error == std::errc::result_out_of_range || value < min || value > max) {
          return fmt::format("{} is out of range: give a whole number from {} to {}", text, min, max);
        }
        return "";
      },
      fmt::format("{}..{}", min, max));
}

// An IPv6 address/prefix that can be an interface's own unicast address (RFC 4291 §2.4, §2.5): what is wrong with
// `text` and what to give instead, or "" when it will do. Our link-local address is not an option: it is derived
// from the MAC (RFC 4291 §2.5.1), as the kernel derives the host side's.
std::string check_interface6(const std::string& text, Side side) {
  const std::string_view example = side == Side::ours ? "fd00:3::12/64" : "fd00:3::11/64";
  const std::string_view option = side == Side::ours ? "--ip6" : "--host-ip6";
  const auto address = Ipv6Address::parse(std::string_view(text).substr(0, text.find('/')));
  if (!address) return fmt::format("'{}' is not an IPv6 address/prefix such as {}", text, example);
  const auto interface = Ipv6Interface::parse(text);
  if (!interface || interface->prefix_length == 0) {
    return fmt::format("'{}' has a prefix length outside 1 to 128: give one such as /64, as in {}", text, example);
  }
  if (address->is_multicast()) {
    return fmt::format("'{}' is a multicast address (ff00::/8), which no interface may have as its own: give a "
                       "unicast address such as {}",
                       text, example);
  }
  if (address->is_unspecified()) {
    return fmt::format("'{}' is the unspecified address (::), which stands for no address: give one such as {}", text,
                       example);
  }
  if (address->is_loopback()) {
    return fmt::format("'{}' is the loopback address (::1), which never leaves a host: give one such as {}", text,
                       example);
  }
  if (address->is_link_local()) {
    return side == Side::ours
               ? fmt::format("'{}' is link-local (fe80::/10): ministack's link-local address is derived from --mac "
                             "({} for the default MAC) and answers besides --ip6; give --ip6 a global or unique-local "
                             "(fd00::/8) address such as {}",
                             text, StackConfig{}.link_local6().to_string(), example)
               : fmt::format("'{}' is link-local (fe80::/10): the kernel gives the host side a link-local address of "
                             "its own; give --host-ip6 a global or unique-local (fd00::/8) address such as {}",
                             text, example);
  }
  if (address->is_v4_mapped()) {
    return fmt::format("'{}' is an IPv4-mapped address (::ffff:0:0/96), which is never on the wire (RFC 4291 "
                       "§2.5.5.2): give IPv4 addresses with {}, and {} an IPv6 one such as {}",
                       text, side == Side::ours ? "--ip" : "--host-ip", option, example);
  }
  return "";
}

std::string check_mac(const std::string& text) {
  const auto mac = MacAddress::parse(text);
  if (!mac) return fmt::format("'{}' is not a MAC address such as 02:00:00:00:00:01", text);
  if (mac->is_group()) return fmt::format("'{}' is a multicast/broadcast MAC; a station needs a unicast one", text);
  return "";
}

// Linux interface names: 1 to 15 bytes (IFNAMSIZ - 1), no '/', ':' or white space (dev_valid_name()).
std::string check_ifname(const std::string& text) {
  const bool valid = !text.empty() && text.size() <= 15 && text != "." && text != ".." &&
                     text.find_first_of("/: \t\n") == std::string::npos;
  return valid ? ""
               : fmt::format("'{}' is not a usable interface name: 1 to 15 characters, no '/', ':' or spaces", text);
}

void add_log_options(CLI::App& app, LogFlags& raw) {
  auto* verbose_opt = app.add_flag("-v,--verbose", raw.verbose,
                                   "Log one line per frame: what was sent, or why dropped "
                                   "(the same as --log-level debug)");
  auto* quiet_opt = app.add_flag("-q,--quiet", raw.quiet, "Log errors only, and print no counters table");
  auto* level_opt = app.add_option("--log-level", raw.level_name, "error, warning, info (the default) or debug")
                        ->type_name("LEVEL")
                        ->check([](const std::string& text) {
                          try {
                            parse_log_level(text);
                            return std::string{};
                          } catch (const std::exception& e) {
                            return std::string{e.what()};
                          }
                        });
  verbose_opt->excludes(quiet_opt, level_opt);
  quiet_opt->excludes(level_opt);
}

}  // namespace ministack
