#include "stack/wire/fields/dissect.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ministack::fields {

namespace {

// IANA protocol numbers the walk follows (RFC 8200 §4.1 for the extension headers).
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::uint8_t kDestinationOptions = 60;

// The table that draws an ICMP or ICMPv6 message of `type` (RFC 792, RFC 4443, RFC 4861); errors carry the packet
// that caused them after their 8 bytes.
const HeaderTable& icmp_table_for(std::uint8_t protocol, std::uint8_t type) {
  if (protocol == kIcmp) return type == 3 || type == 11 ? icmp_error_table() : icmp_table();
  if (type < 128) return icmpv6_error_table(type);
  if (type == 135) return icmpv6_ns_table();
  if (type == 136) return icmpv6_na_table();
  return icmpv6_table();
}

class Walker {
 public:
  // `suffix` is added to every label: the packet an ICMP error quotes is drawn as "IPv4 inside the error".
  explicit Walker(Bytes frame, std::string suffix = {}) : frame_(frame), suffix_(std::move(suffix)) {}

  void link(LinkLayer link) {
    if (link == LinkLayer::ip) return ip(0, frame_.size());
    if (!header(ethernet_table(), Layer::link, 0)) return;
    const std::uint16_t type = load_be16(frame_.data() + 12);
    const std::size_t end = [&] {
      switch (type) {
        case 0x0800: return ipv4(14);
        case 0x86dd: return ipv6(14);
        case 0x0806: return header(arp_table(), Layer::arp, 14) ? std::size_t{14 + 28} : frame_.size();
        default:
          bytes("payload", Layer::link, 14, frame_.size(), "not a protocol ministack speaks");
          return frame_.size();
      }
    }();
    if (end < frame_.size()) bytes("Ethernet padding", Layer::link, end, frame_.size(), "up to the 60-byte minimum");
  }

  std::vector<Piece> take() { return std::move(pieces_); }

 private:
  // Adds `table` at `offset`; false when the frame ends before the whole fixed header.
  bool header(const HeaderTable& table, Layer layer, std::size_t offset) {
    const std::size_t want = table.bits / 8;
    const std::size_t have = offset < frame_.size() ? std::min(want, frame_.size() - offset) : 0;
    pieces_.push_back({&table, std::string(table.name) + suffix_, layer, offset, have, have < want ? "truncated" : ""});
    return have == want;
  }

  void bytes(std::string label, Layer layer, std::size_t from, std::size_t to, std::string summary) {
    if (from >= to) return;
    pieces_.push_back({nullptr, std::move(label) + suffix_, layer, from, to - from, std::move(summary)});
  }

  void ip(std::size_t offset, std::size_t end) {
    if (offset >= end) return;
    const unsigned version = frame_[offset] >> 4;
    if (version == 4) {
      ipv4(offset);
    } else if (version == 6) {
      ipv6(offset);
    } else {
      bytes("payload", Layer::ipv4, offset, end, fmt::format("IP version {}: not IPv4 or IPv6", version));
    }
  }

  // Returns where the packet ends (its total length, or the frame's end when that is shorter).
  std::size_t ipv4(std::size_t offset) {
    if (!header(ipv4_table(), Layer::ipv4, offset)) return frame_.size();
    const std::uint8_t* p = frame_.data() + offset;
    const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
    const std::size_t total = load_be16(p + 2);
    const std::size_t end = std::min(frame_.size(), offset + std::max(total, ihl));
    const std::size_t header_end = std::min(end, offset + std::max<std::size_t>(ihl, 20));
    bytes("IPv4 options", Layer::ipv4, offset + 20, header_end, fmt::format("IHL {}: {} bytes", ihl / 4, ihl - 20));
    if ((load_be16(p + 6) & 0x1fffu) != 0) {
      bytes("fragment data", Layer::ipv4, header_end, end, "a later fragment: its upper header is in the first");
      return end;
    }
    transport(p[9], Layer::ipv4, header_end, end);
    return end;
  }

  std::size_t ipv6(std::size_t offset) {
    if (!header(ipv6_table(), Layer::ipv6, offset)) return frame_.size();
    const std::uint8_t* p = frame_.data() + offset;
    const std::size_t end = std::min(frame_.size(), offset + 40 + load_be16(p + 4));
    std::uint8_t next = p[6];
    std::size_t at = offset + 40;
    // At most 8 extension headers, as the stack walks (RFC 8200 §4.1's order, Linux's cap).
    for (int count = 0; count < 8 && at < end; ++count) {
      if (next == kFragment) {
        if (!header(ipv6_fragment_table(), Layer::ipv6, at) || at + 8 > end) return end;
        const std::uint16_t offset_flags = load_be16(frame_.data() + at + 2);
        next = frame_[at];
        at += 8;
        if ((offset_flags & 0xfff8u) != 0) {
          bytes("fragment data", Layer::ipv6, at, end, "a later fragment: its upper header is in the first");
          return end;
        }
        continue;
      }
      if (next != kHopByHop && next != kRouting && next != kDestinationOptions) break;
      if (at + 2 > end) break;
      const std::size_t length = (std::size_t{frame_[at + 1]} + 1) * 8;
      header(ipv6_extension_table(), Layer::ipv6, at);
      const std::size_t stop = std::min(end, at + length);
      bytes("extension header data", Layer::ipv6, at + 2, stop, fmt::format("{} bytes in all", length));
      next = frame_[at];
      at = stop;
    }
    transport(next, Layer::ipv6, at, end);
    return end;
  }

  void transport(std::uint8_t protocol, Layer ip_layer, std::size_t at, std::size_t end) {
    const HeaderTable* table = nullptr;
    Layer layer = ip_layer;
    const std::uint8_t type = at < end ? frame_[at] : 0;
    switch (protocol) {
      case kIcmp: table = &icmp_table_for(protocol, type), layer = Layer::icmp; break;
      case kIcmpv6: table = &icmp_table_for(protocol, type), layer = Layer::icmpv6; break;
      case kUdp: table = &udp_table(), layer = Layer::udp; break;
      case kTcp: table = &tcp_table(), layer = Layer::tcp; break;
      default: break;
    }
    if (table == nullptr || at >= end) {
      bytes("payload", ip_layer, at, end, fmt::format("{} bytes of protocol {}", end - at, protocol));
      return;
    }
    // Bounded by the IP packet's end, not the frame's: padding is no part of the upper header.
    Walker inner(frame_.first(end), suffix_);
    if (!inner.header(*table, layer, at)) return append(inner);
    append(inner);
    std::size_t data = at + table->bits / 8;
    if (protocol == kTcp) {
      const std::size_t offset_bytes = static_cast<std::size_t>(frame_[at + 12] >> 4) * 4;
      const std::size_t options_end = std::min(end, at + std::max<std::size_t>(offset_bytes, 20));
      bytes("TCP options", layer, data, options_end,
            fmt::format("Data Offset {}: {} bytes", offset_bytes / 4, offset_bytes > 20 ? offset_bytes - 20 : 0));
      data = options_end;
    }
    if (table->variant == "error" || table == &icmpv6_error_table(2) || table == &icmpv6_error_table(4)) {
      // The invoking packet, as much of it as the error holds: drawn with the same tables, inside the message.
      Walker quoted(frame_.first(end), " inside the error");
      quoted.ip(data, end);
      return append(quoted);
    }
    const bool nd = table == &icmpv6_ns_table() || table == &icmpv6_na_table();
    bytes(nd ? "ND options" : "data", layer, data, end, fmt::format("{} bytes", end - data));
  }

  void append(Walker& inner) {
    for (Piece& piece : inner.pieces_) pieces_.push_back(std::move(piece));
  }

  Bytes frame_;
  std::string suffix_;
  std::vector<Piece> pieces_;
};

}  // namespace

std::vector<Piece> dissect(LinkLayer link, Bytes frame) {
  Walker walker(frame);
  walker.link(link);
  return walker.take();
}

}  // namespace ministack::fields
