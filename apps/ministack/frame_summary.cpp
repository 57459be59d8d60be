#include "frame_summary.hpp"

#include <fmt/format.h>

#include "stack/wire/address.hpp"
#include "stack/wire/ipv6.hpp"

namespace ministack {

namespace {

constexpr std::uint16_t kArp = 0x0806, kIpv4 = 0x0800, kIpv6 = 0x86dd, kVlan = 0x8100, kQinQ = 0x88a8;
constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58;

std::string icmp_words(std::uint8_t type, std::uint8_t code, Bytes m) {
  const auto echo = [&](std::string_view what) {
    return m.size() >= 8 ? fmt::format("{} id {} seq {}", what, load_be16(m.data() + 4), load_be16(m.data() + 6))
                         : std::string(what);
  };
  switch (type) {
    case 0: return echo("echo reply");
    case 3: return fmt::format("destination unreachable (code {})", code);
    case 8: return echo("echo request");
    case 11: return fmt::format("time exceeded (code {})", code);
    case 12: return "parameter problem";
    default: return fmt::format("type {} code {}", type, code);
  }
}

std::string icmpv6_words(std::uint8_t type, std::uint8_t code, Bytes m) {
  const auto echo = [&](std::string_view what) {
    return m.size() >= 8 ? fmt::format("{} id {} seq {}", what, load_be16(m.data() + 4), load_be16(m.data() + 6))
                         : std::string(what);
  };
  switch (type) {
    case 1: return fmt::format("destination unreachable (code {})", code);
    case 2: return "packet too big";
    case 3: return fmt::format("time exceeded (code {})", code);
    case 4: return fmt::format("parameter problem (code {})", code);
    case 128: return echo("echo request");
    case 129: return echo("echo reply");
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135:
      return m.size() >= 24 ? fmt::format("neighbor solicitation, who has {}", load_ipv6(m.data() + 8))
                            : "neighbor solicitation";
    case 136:
      return m.size() >= 24 ? fmt::format("neighbor advertisement, tgt is {}", load_ipv6(m.data() + 8))
                            : "neighbor advertisement";
    case 137: return "redirect";
    case 143: return "multicast listener report v2";
    default: return fmt::format("type {} code {}", type, code);
  }
}

std::string tcp_flags(std::uint8_t flags) {
  std::string out;
  constexpr std::string_view names = "FSRPAUEC";  // FIN SYN RST PSH ACK URG ECE CWR, bit 0 first
  for (std::size_t bit = 0; bit < names.size(); ++bit) {
    if ((flags >> bit) & 1U) out += names[bit] == 'A' ? '.' : names[bit];
  }
  return out.empty() ? "none" : out;
}

// The transport part: "ICMP echo request id 7 seq 1", "UDP 40000 > 7", "TCP 40000 > 7 [S]".
std::string transport_words(std::uint8_t protocol, Bytes payload) {
  if (protocol == kIcmp || protocol == kIcmpv6) {
    if (payload.size() < 4) return protocol == kIcmp ? "ICMP, truncated" : "ICMPv6, truncated";
    return protocol == kIcmp ? "ICMP " + icmp_words(payload[0], payload[1], payload)
                             : "ICMPv6 " + icmpv6_words(payload[0], payload[1], payload);
  }
  if (protocol == kUdp || protocol == kTcp) {
    const std::string_view name = protocol == kUdp ? "UDP" : "TCP";
    if (payload.size() < 4) return fmt::format("{}, truncated", name);
    std::string words = fmt::format("{} {} > {}", name, load_be16(payload.data()), load_be16(payload.data() + 2));
    if (protocol == kTcp && payload.size() >= 14) words += fmt::format(" [{}]", tcp_flags(payload[13]));
    return words;
  }
  return fmt::format("protocol {}", protocol);
}

std::string ipv4_summary(Bytes p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return "IPv4, truncated or malformed";
  const std::size_t header = std::size_t{p[0] & 0x0fU} * 4;
  const auto head =
      fmt::format("{} > {}", Ipv4Address{load_be32(p.data() + 12)}, Ipv4Address{load_be32(p.data() + 16)});
  const std::uint16_t fragment = load_be16(p.data() + 6);
  if ((fragment & 0x1fffU) != 0) {
    return fmt::format("{} IPv4 fragment id {} offset {}", head, load_be16(p.data() + 4), (fragment & 0x1fffU) * 8);
  }
  if (header < 20 || header > p.size()) return head + " IPv4, bad header length";
  return fmt::format("{} {}", head, transport_words(p[9], p.subspan(header)));
}

std::string ipv6_summary(Bytes p) {
  if (p.size() < 40 || (p[0] >> 4) != 6) return "IPv6, truncated or malformed";
  const auto head = fmt::format("{} > {}", load_ipv6(p.data() + 8), load_ipv6(p.data() + 24));
  const std::uint8_t next = p[6];
  if (next == kIcmpv6 || next == kUdp || next == kTcp)
    return fmt::format("{} {}", head, transport_words(next, p.subspan(40)));
  return fmt::format("{} IPv6 next header {}", head, next);
}

std::string ip_summary(Bytes p) {
  if (p.empty()) return "empty packet";
  const unsigned version = p[0] >> 4;
  if (version == 4) return ipv4_summary(p);
  if (version == 6) return ipv6_summary(p);
  return fmt::format("IP version {}", version);
}

std::string arp_summary(Bytes p) {
  if (p.size() < 28) return "ARP, truncated";
  const std::uint16_t operation = load_be16(p.data() + 6);
  const Ipv4Address sender{load_be32(p.data() + 14)};
  const Ipv4Address target{load_be32(p.data() + 24)};
  if (operation == 1) return fmt::format("ARP who-has {} tell {}", target, sender);
  if (operation == 2) return fmt::format("ARP {} is-at {}", sender, load_mac(p.data() + 8));
  return fmt::format("ARP operation {}", operation);
}

}  // namespace

std::string frame_summary(LinkLayer link, Bytes frame) {
  if (link == LinkLayer::ip) return ip_summary(frame);
  if (frame.size() < 14) return "Ethernet, truncated";
  const std::uint16_t type = load_be16(frame.data() + 12);
  const Bytes payload = frame.subspan(14);
  switch (type) {
    case kArp: return arp_summary(payload);
    case kIpv4:
    case kIpv6: return ip_summary(payload);
    case kVlan:
    case kQinQ:
      return payload.size() >= 2 ? fmt::format("802.1Q VLAN {} from {}", load_be16(payload.data()) & 0x0fffU,
                                               load_mac(frame.data() + 6))
                                 : "802.1Q, truncated";
    default: return fmt::format("{} > {} EtherType 0x{:04x}", load_mac(frame.data() + 6), load_mac(frame.data()), type);
  }
}

std::string time_of_day(std::chrono::microseconds since_epoch) {
  const auto day_ms = since_epoch.count() / 1000 % (24LL * 3600 * 1000);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", day_ms / 3'600'000, day_ms / 60'000 % 60, day_ms / 1000 % 60,
                     day_ms % 1000);
}

}  // namespace ministack
