#include "stats.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ministack {

namespace {

std::size_t digits(std::uint64_t n) { return fmt::formatted_size("{}", n); }

// One aligned row: name padded to `name_width`, value right-aligned in `value_width`, then free text.
void append_row(std::string& out, std::string_view name, std::uint64_t value, std::string_view text,
                std::size_t name_width, std::size_t value_width) {
  fmt::format_to(std::back_inserter(out), "    {:<{}}  {:>{}}  {}\n", name, name_width, value, value_width, text);
}

[[noreturn]] void throw_write_error(const std::string& path, std::string_view step, const std::string& temp,
                                    int error) {
  throw std::runtime_error(
      fmt::format("cannot write counters to {}: {} (while {} {})", path, std::strerror(error), step, temp));
}

// Closes `fd` (unless -1), removes the temporary file and throws, keeping the errno of the step that failed.
[[noreturn]] void abandon(int fd, const std::string& path, std::string_view step, const std::string& temp) {
  const int error = errno;
  if (fd >= 0) ::close(fd);
  ::unlink(temp.c_str());
  throw_write_error(path, step, temp, error);
}

}  // namespace

namespace {

// The system calls of a live device, in one line.
std::string io_line(const IoStats& io) {
  if (io.mode.empty()) return "";
  return fmt::format(
      "system calls ({}): {} in all: read {}, write {}, poll {}, io_uring_enter {}, netlink {}, getrusage {}\n",
      io.mode, io.system_calls(), io.read, io.write, io.poll, io.io_uring_enter, io.netlink, io.getrusage);
}

}  // namespace

std::string counters_table(const Counters& counters, const IoStats& io) {
  // One set of column widths for counters and drops alike, so the whole table lines up.
  std::size_t name_width = 0;
  std::size_t value_width = 1;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const auto c = static_cast<Counter>(i);
    name_width = std::max(name_width, counter_name(c).size());
    value_width = std::max(value_width, digits(counters.get(c)));
  }
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (counters.get(r) == 0) continue;
    name_width = std::max(name_width, describe(r).name.size());
    value_width = std::max(value_width, digits(counters.get(r)));
  }

  std::string out = "counters:\n";
  for (std::size_t g = 0; g < kCounterGroupCount; ++g) {
    const auto group = static_cast<CounterGroup>(g);
    bool heading = false;
    for (std::size_t i = 0; i < kCounterCount; ++i) {
      const auto c = static_cast<Counter>(i);
      if (counter_group(c) != group) continue;
      if (!heading) {
        fmt::format_to(std::back_inserter(out), "  {}\n", counter_group_name(group));
        heading = true;
      }
      // Counters no MIB defines say so, so that nobody looks for them in one.
      const CounterInfo info = describe(c);
      append_row(out, info.name, counters.get(c),
                 info.source == "ministack" ? fmt::format("{} (ministack's own)", info.meaning)
                 : info.source == "Linux"   ? fmt::format("{} (as Linux's nstat names it)", info.meaning)
                                            : std::string{info.meaning},
                 name_width, value_width);
    }
  }

  const std::uint64_t total = counters.total_drops();
  if (total == 0) {
    out += "drops: none\n";
    return out + io_line(io);
  }
  fmt::format_to(std::back_inserter(out), "drops: {} in all\n", total);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (const auto n = counters.get(r)) {
      const DropReasonInfo info = describe(r);
      const std::string toward = info.aggregate.empty() ? "" : fmt::format(", in {}", info.aggregate);
      append_row(out, info.name, n, fmt::format("{} ({}{})", info.meaning, info.rule, toward), name_width, value_width);
    }
  }
  return out + io_line(io);
}

std::string neighbor_table(const std::vector<NeighborRow>& rows, std::string_view device) {
  if (rows.empty()) return "neighbors: none\n";
  std::string out = fmt::format("neighbors ({}):\n", rows.size());
  for (const NeighborRow& row : rows) {
    const double seconds = static_cast<double>(row.age.count()) / 1000.0;
    switch (row.state) {
      case NeighborRow::State::incomplete:
        fmt::format_to(std::back_inserter(out), "  {} dev {} INCOMPLETE (asked {:.1f} s ago)\n", row.ip, device,
                       seconds);
        break;
      case NeighborRow::State::reachable:
      case NeighborRow::State::stale:
        fmt::format_to(std::back_inserter(out), "  {} dev {} lladdr {} {} (confirmed {:.1f} s ago)\n", row.ip, device,
                       *row.mac, row.state == NeighborRow::State::reachable ? "REACHABLE" : "STALE", seconds);
        break;
    }
  }
  return out;
}

namespace {

nlohmann::ordered_json io_json(const IoStats& io) {
  return {{"mode", io.mode.empty() ? "none" : io.mode},
          {"system_calls", io.system_calls()},
          {"read", io.read},
          {"write", io.write},
          {"poll", io.poll},
          {"io_uring_enter", io.io_uring_enter},
          {"netlink", io.netlink},
          {"getrusage", io.getrusage}};
}

// The four rows of a tunnel, by name.
std::array<std::pair<std::string_view, std::uint64_t>, 4> tunnel_rows(const TunnelCounters& t) {
  return {{{"tunnelInPackets", t.in_packets},
           {"tunnelInOctets", t.in_octets},
           {"tunnelOutPackets", t.out_packets},
           {"tunnelOutOctets", t.out_octets}}};
}

// "counters", "drops" and "total_drops" of a tunnel, into `doc`.
void put_tunnel(nlohmann::ordered_json& doc, const TunnelCounters& t) {
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (const auto& [name, value] : tunnel_rows(t)) counters[std::string(name)] = value;
  nlohmann::ordered_json drops = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < kTunnelDropCount; ++i) {
    drops[std::string(kTunnelDropInfo[i].name)] = t.drops[i];
  }
  doc["counters"] = std::move(counters);
  doc["drops"] = std::move(drops);
  doc["total_drops"] = t.total_drops();
}

}  // namespace

std::string counters_json(const Counters& counters, std::string_view version, const IoStats& io,
                          const TunnelCounters* tunnel) {
  nlohmann::ordered_json counter_values = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const auto c = static_cast<Counter>(i);
    counter_values[std::string(counter_name(c))] = counters.get(c);
  }
  nlohmann::ordered_json drop_values = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    drop_values[std::string(describe(r).name)] = counters.get(r);
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["schema"] = std::string(kCountersJsonSchema);
  doc["version"] = std::string(version);
  doc["counters"] = std::move(counter_values);
  doc["drops"] = std::move(drop_values);
  doc["total_drops"] = counters.total_drops();
  doc["io"] = io_json(io);
  if (tunnel) {
    nlohmann::ordered_json t = nlohmann::ordered_json::object();
    put_tunnel(t, *tunnel);
    doc["tunnel"] = std::move(t);
  }
  return doc.dump(2) + "\n";
}

std::string tunnel_json(const TunnelCounters& counters, std::string_view version, const IoStats& io) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["schema"] = std::string(kTunnelJsonSchema);
  doc["version"] = std::string(version);
  put_tunnel(doc, counters);
  doc["io"] = io_json(io);
  return doc.dump(2) + "\n";
}

std::string tunnel_table(const TunnelCounters& counters, const IoStats& io) {
  std::size_t name_width = 0, value_width = 0;
  for (const auto& [name, value] : tunnel_rows(counters)) {
    name_width = std::max(name_width, name.size());
    value_width = std::max(value_width, digits(value));
  }
  for (std::size_t i = 0; i < kTunnelDropCount; ++i) {
    name_width = std::max(name_width, kTunnelDropInfo[i].name.size());
    value_width = std::max(value_width, digits(counters.drops[i]));
  }
  std::string out = "tunnel:\n";
  const std::string_view meaning[] = {"IP packets received from the peer, whole, and handed on",
                                      "their bytes (inner packets, without the outer IP and UDP headers)",
                                      "IP packets sent to the peer, one per datagram", "their bytes"};
  std::size_t row = 0;
  for (const auto& [name, value] : tunnel_rows(counters)) {
    append_row(out, name, value, meaning[row++], name_width, value_width);
  }
  if (counters.total_drops() == 0) return out + "tunnel drops: none\n" + io_line(io);
  out += fmt::format("tunnel drops: {} in all\n", counters.total_drops());
  for (std::size_t i = 0; i < kTunnelDropCount; ++i) {
    if (counters.drops[i] == 0) continue;
    append_row(out, kTunnelDropInfo[i].name, counters.drops[i], kTunnelDropInfo[i].meaning, name_width, value_width);
  }
  return out + io_line(io);
}

void write_counters_json(const std::string& path, const Counters& counters, std::string_view version, const IoStats& io,
                         const TunnelCounters* tunnel) {
  write_json_file(path, counters_json(counters, version, io, tunnel));
}

void write_json_file(const std::string& path, const std::string& text) {
  // stdout, a pipe or a device (/dev/stdout): written in place, for there is no directory to rename in.
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      throw std::runtime_error(fmt::format("cannot write counters to stdout: {}", std::strerror(errno)));
    }
    return;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_write_error(path, "opening", path, errno);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        ::close(fd);
        throw_write_error(path, "writing", path, error);
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return;
  }

  // Same directory as the target, so rename() is atomic; the PID keeps two writers' temporaries apart.
  const std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw_write_error(path, "creating", temp, errno);

  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) abandon(fd, path, "writing", temp);
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon(fd, path, "syncing", temp);
  if (::close(fd) != 0) abandon(-1, path, "closing", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) abandon(-1, path, "renaming", temp);
}

}  // namespace ministack
