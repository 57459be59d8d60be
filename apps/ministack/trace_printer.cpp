#include "trace_printer.hpp"

#include <fmt/color.h>
#include <fmt/format.h>

namespace ministack {

namespace {

// Deeper layers are indented further, so the story reads top to bottom like the stack.
int indent(Layer layer) {
  switch (layer) {
    case Layer::link:
    case Layer::out: return 2;
    case Layer::arp:
    case Layer::ipv4:
    case Layer::ipv6: return 4;
    case Layer::icmp:
    case Layer::icmpv6:
    case Layer::udp:
    case Layer::tcp: return 6;
  }
  return 2;
}

fmt::text_style layer_style(Layer layer) {
  switch (layer) {
    case Layer::link: return fmt::fg(fmt::terminal_color::blue);
    case Layer::arp: return fmt::fg(fmt::terminal_color::magenta);
    case Layer::ipv4:
    case Layer::ipv6: return fmt::fg(fmt::terminal_color::cyan);
    case Layer::icmp:
    case Layer::icmpv6:
    case Layer::udp:
    case Layer::tcp: return fmt::fg(fmt::terminal_color::yellow);
    case Layer::out: return fmt::fg(fmt::terminal_color::green);
  }
  return {};
}

}  // namespace

TracePrinter::TracePrinter(std::FILE* out, bool colour) : out_(out), colour_(colour) {}

void TracePrinter::begin_frame(std::uint64_t index, std::size_t length, std::chrono::microseconds timestamp) {
  const auto us = timestamp.count();
  const auto day_us = us % (24LL * 3600 * 1'000'000);
  const auto heading = fmt::format("frame {}: {} bytes at {:02}:{:02}:{:02}.{:06} UTC", index, length,
                                   day_us / 3'600'000'000LL, day_us / 60'000'000 % 60, day_us / 1'000'000 % 60,
                                   day_us % 1'000'000);
  fmt::print(out_, "{}\n", colour_ ? fmt::format(fmt::emphasis::bold, "{}", heading) : heading);
}

void TracePrinter::begin_event(std::string_view what) {
  fmt::print(out_, "{}\n", colour_ ? fmt::format(fmt::emphasis::bold, "{}", what) : std::string(what));
}

void TracePrinter::note(Layer layer, std::string_view text) {
  const auto name = fmt::format("{:<4}", layer_name(layer));
  fmt::print(out_, "{:{}}{} {}\n", "", indent(layer), colour_ ? fmt::format(layer_style(layer), "{}", name) : name,
             text);
}

void TracePrinter::dropped(DropReason reason) {
  const auto info = describe(reason);
  const auto line = fmt::format("dropped: {}: {} ({})", info.name, info.meaning, info.rule);
  fmt::print(out_, "  {}\n", colour_ ? fmt::format(fmt::fg(fmt::terminal_color::red), "{}", line) : line);
}

void TracePrinter::sent(Bytes frame) {
  const auto line = fmt::format("sent {} bytes", frame.size());
  fmt::print(out_, "  {}\n", colour_ ? fmt::format(fmt::fg(fmt::terminal_color::green), "{}", line) : line);
}

}  // namespace ministack
