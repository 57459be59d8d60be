// The invariants of everything a stack sends and holds (stack_invariants.hpp), read with packets.hpp's helpers.
#include "stack_invariants.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "collecting_sink.hpp"
#include "device/device.hpp"
#include "packets.hpp"
#include "packets6.hpp"

namespace ministack::testing {

namespace {

using packets::ByteView;
using packets::get16;
using packets::get32;
using packets::reference_checksum;

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kEthernetMinimum = 60;
constexpr std::size_t kArpLength = 28;
constexpr std::size_t kMaxIcmpErrorLength = 576;  // RFC 1812 §4.3.2.3
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kTcp = 6;
constexpr std::size_t kTcpMinHeader = 20;  // data offset 5 (RFC 9293 §3.1)

bool is_icmp_error(std::uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

// Why `a` may be neither source nor destination of anything sent, or nullptr (RFC 1122 §3.2.1.3).
const char* bad_address(Ipv4Address a, const Ipv4Interface& interface) {
  const std::uint32_t v = a.value;
  if (v >> 24 == 0) return "in 0/8";
  if (v >> 24 == 127) return "in 127/8 (loopback)";
  if (v >> 28 == 0xe) return "multicast";
  if (v == 0xffffffff) return "the limited broadcast";
  if (v == interface.subnet_broadcast().value && interface.prefix_length < 31) return "our subnet broadcast";
  return nullptr;
}

std::string address(std::uint32_t v) { return Ipv4Address{v}.to_string(); }

// The IPv4 packet `ip` (what follows the link header, padding included): its length without padding, or a violation.
std::optional<Violation> check_ipv4(const StackConfig& config, ByteView ip, std::size_t& length) {
  if (ip.size() < 20) return fmt::format("IPv4 packet of {} bytes, shorter than a header", ip.size());
  if (ip[0] >> 4 != 4) return fmt::format("IP version {}", ip[0] >> 4);
  const std::size_t header_length = std::size_t{ip[0] & 0x0fu} * 4;
  length = get16(ip, 2);
  if (header_length < 20 || header_length > length) {
    return fmt::format("header length {} with total length {}", header_length, length);
  }
  if (length > ip.size()) return fmt::format("total length {} but {} bytes carried", length, ip.size());
  if (length > config.mtu) return fmt::format("IPv4 packet of {} bytes over the MTU of {}", length, config.mtu);
  if (reference_checksum(ip.first(header_length)) != 0) return std::string("bad IPv4 header checksum");
  const std::uint32_t source = get32(ip, 12);
  const std::uint32_t destination = get32(ip, 16);
  if (const char* why = bad_address(Ipv4Address{source}, config.interface)) {
    return fmt::format("sent from {}, {}", address(source), why);
  }
  if (source != config.interface.address.value) return fmt::format("sent from {}, not our address", address(source));
  if (const char* why = bad_address(Ipv4Address{destination}, config.interface)) {
    return fmt::format("sent to {}, {}", address(destination), why);
  }
  if (get16(ip, 6) & 0x3fff) return std::nullopt;  // a fragment: its transport checksum covers other fragments too

  const ByteView payload = ip.subspan(header_length, length - header_length);
  const std::uint8_t protocol = ip[9];
  if (protocol == kIcmp) {
    if (payload.size() < 8) return fmt::format("ICMP message of {} bytes", payload.size());
    if (reference_checksum(payload) != 0) return fmt::format("bad ICMP checksum (type {})", payload[0]);
    if (is_icmp_error(payload[0]) && length > kMaxIcmpErrorLength) {
      return fmt::format("ICMP error (type {}) of {} bytes, over {}", payload[0], length, kMaxIcmpErrorLength);
    }
  } else if (protocol == kUdp) {
    if (payload.size() < 8) return fmt::format("UDP datagram of {} bytes", payload.size());
    if (get16(payload, 4) != payload.size()) {
      return fmt::format("UDP length {} in a payload of {} bytes", get16(payload, 4), payload.size());
    }
    if (get16(payload, 6) == 0) return std::string("UDP sent without a checksum");
    const auto with_pseudo = packets::with_pseudo_header(payload, Ipv4Address{source}, Ipv4Address{destination},
                                                         static_cast<std::uint16_t>(payload.size()));
    if (reference_checksum(with_pseudo) != 0) return std::string("bad UDP checksum");
  } else if (protocol == kTcp) {
    // RFC 9293 §3.1: a header of 5 to 15 words within the segment; the checksum covers the pseudo-header.
    if (payload.size() < kTcpMinHeader) return fmt::format("TCP segment of {} bytes", payload.size());
    const std::size_t data_offset = static_cast<std::size_t>(payload[12] >> 4) * 4;
    if (data_offset < kTcpMinHeader || data_offset > payload.size()) {
      return fmt::format("TCP data offset {} in a segment of {} bytes", data_offset, payload.size());
    }
    auto with_pseudo = packets::with_pseudo_header(payload, Ipv4Address{source}, Ipv4Address{destination},
                                                   static_cast<std::uint16_t>(payload.size()));
    with_pseudo[9] = kTcp;  // the helper writes UDP's protocol number
    if (reference_checksum(with_pseudo) != 0) return std::string("bad TCP checksum");
  } else {
    return fmt::format("sent IP protocol {}", protocol);
  }
  return std::nullopt;
}

// The frame without link padding, and whether it is an ICMP error (for check_answer); `frame` already checked.
struct Sent {
  std::size_t length = 0;      // without Ethernet padding
  std::size_t ip_payload = 0;  // IPv4 only
  bool icmp_error = false;
  bool fragment = false;  // MF set or a non-zero offset
  // A SYN,ACK may carry our MSS and window scale options (8 bytes) that the SYN it answers lacked (RFC 9293 §3.7.1).
  std::size_t grant = 0;
};

// The bytes of options a SYN we send may add: 8 if `tcp` (a TCP header) has SYN set.
std::size_t syn_grant(ByteView tcp) { return tcp.size() > 13 && (tcp[13] & 0x02) ? 8 : 0; }

Sent measure(const StackConfig& config, ByteView frame) {
  const std::size_t link = config.link == LinkLayer::ethernet ? kEthernetHeader : 0;
  if (link && get16(frame, 12) == packets::ethertype::arp) return {link + kArpLength, 0, false, false, 0};
  const ByteView ip = frame.subspan(link);
  if (ip[0] >> 4 == 6) {
    // An advertisement (86 bytes on TAP) may outgrow the 78-byte probe it answers: a fixed size, no amplifier.
    const std::size_t payload = get16(ip, 4);
    const bool error_or_na = ip[6] == 58 && ip.size() > 40 && (ip[40] < 128 || ip[40] == 136);
    return {link + 40 + payload, payload, error_or_na, ip[6] == 44, ip[6] == kTcp ? syn_grant(ip.subspan(40)) : 0};
  }
  const std::size_t total = get16(ip, 2);
  const std::size_t header_length = std::size_t{ip[0] & 0x0fu} * 4;
  const bool unfragmented = (get16(ip, 6) & 0x3fff) == 0;
  const bool error = unfragmented && ip[9] == kIcmp && is_icmp_error(ip[header_length]);
  return {link + total, total - header_length, error, !unfragmented,
          unfragmented && ip[9] == kTcp ? syn_grant(ip.subspan(header_length)) : 0};
}

}  // namespace

// The IPv6 packet `ip` (RFC 8200 §3): its length without padding, or a violation. From one of our addresses (:: only
// for a duplicate address probe), within the MTU; unfragmented, an ICMPv6 (errors within 1280 bytes, RFC 4443 §2.4),
// UDP or TCP message whose checksum covers the IPv6 pseudo-header (§8.1).
std::optional<Violation> check_ipv6(const StackConfig& config, ByteView ip, std::size_t& length) {
  if (ip.size() < 40) return fmt::format("IPv6 packet of {} bytes, shorter than a header", ip.size());
  length = 40 + std::size_t{get16(ip, 4)};
  if (length > ip.size()) return fmt::format("payload length {} but {} bytes carried", length - 40, ip.size() - 40);
  if (length > config.mtu) return fmt::format("IPv6 packet of {} bytes over the MTU of {}", length, config.mtu);
  const Ipv6Address source = packets6::get_address(ip, 8);
  const Ipv6Address destination = packets6::get_address(ip, 24);
  const std::uint8_t next = ip[6];
  const bool probe = source.is_unspecified() && next == 58 && length >= 41 && ip[40] == 135;
  if (source != config.interface6.address && source != config.link_local6() && !probe) {
    return fmt::format("sent from {}, not our address", source.to_string());
  }
  if (destination.is_unspecified() || destination.is_loopback()) {
    return fmt::format("sent to {}", destination.to_string());
  }
  if (next == 44) return std::nullopt;  // a fragment: its checksum covers the other fragments too
  const ByteView payload = ip.subspan(40, length - 40);
  const std::size_t field = next == 58 ? 2 : next == kTcp ? 16 : next == kUdp ? 6 : 0;
  if (field == 0) return fmt::format("sent IPv6 next header {}", next);
  if (payload.size() < field + 2) return fmt::format("next header {} message of {} bytes", next, payload.size());
  if (get16(payload, field) != packets6::checksum6(payload, source, destination, next, field)) {
    return fmt::format("bad checksum over the IPv6 pseudo-header (next header {})", next);
  }
  if (next == kUdp && get16(payload, 6) == 0) return std::string("UDP over IPv6 sent without a checksum");
  if (next == 58 && payload[0] < 128 && length > 1280) {
    return fmt::format("ICMPv6 error (type {}) of {} bytes, over 1280", payload[0], length);
  }
  if (next == 58 && payload[0] >= 133 && payload[0] <= 137 && ip[7] != 255) {
    return std::string("neighbor discovery sent with a hop limit other than 255");
  }
  return std::nullopt;
}

// The IP packet of either version (by its version nibble).
std::optional<Violation> check_ip(const StackConfig& config, ByteView ip, std::size_t& length) {
  if (!ip.empty() && ip[0] >> 4 == 6) return check_ipv6(config, ip, length);
  return check_ipv4(config, ip, length);
}

std::optional<Violation> check_sent_frame(const StackConfig& config, Bytes frame) {
  if (config.link == LinkLayer::ip) {
    std::size_t length = 0;
    auto v = check_ip(config, frame, length);
    if (!v && length != frame.size()) v = fmt::format("{} bytes after the IPv4 packet on TUN", frame.size() - length);
    return v;
  }
  if (frame.size() < kEthernetMinimum) return fmt::format("Ethernet frame of {} bytes, under 60", frame.size());
  if (frame.size() > config.mtu + kEthernetHeader) {
    return fmt::format("Ethernet frame of {} bytes, over MTU + 14 = {}", frame.size(), config.mtu + kEthernetHeader);
  }
  if (packets::get_mac(frame, 6) != config.mac) return std::string("Ethernet source is not our MAC");
  const MacAddress destination = packets::get_mac(frame, 0);
  const std::uint16_t type = get16(frame, 12);
  std::size_t length = 0;
  if (type == packets::ethertype::arp) {
    const ByteView arp = frame.subspan(kEthernetHeader);
    // htype 1, ptype IPv4, 6 and 4 byte addresses, a request or a reply, from us.
    if (get16(arp, 0) != 1 || get16(arp, 2) != 0x0800 || arp[4] != 6 || arp[5] != 4) return "malformed ARP";
    if (get16(arp, 6) != 1 && get16(arp, 6) != 2) return fmt::format("ARP operation {}", get16(arp, 6));
    if (packets::get_mac(arp, 8) != config.mac) return std::string("ARP sender MAC is not ours");
    if (get32(arp, 14) != config.interface.address.value) return std::string("ARP sender address is not ours");
    if (get16(arp, 6) == 2 && destination.is_group()) return std::string("ARP reply to a group MAC");
    length = kArpLength;
  } else if (type == packets::ethertype::ipv4) {
    if (destination.is_group()) return std::string("IPv4 frame to a group MAC");
    if (auto v = check_ipv4(config, frame.subspan(kEthernetHeader), length)) return v;
  } else if (type == packets::ethertype::ipv6) {
    if (auto v = check_ipv6(config, frame.subspan(kEthernetHeader), length)) return v;
    // RFC 2464 §7: a multicast destination maps to its 33:33 group; a unicast one never to a group.
    const Ipv6Address to = packets6::get_address(frame, kEthernetHeader + 24);
    if (to.is_multicast() ? destination != packets6::group_mac(to) : destination.is_group()) {
      return fmt::format("IPv6 to {} in a frame to {}", to.to_string(), destination.to_string());
    }
  } else {
    return fmt::format("Ethernet type 0x{:04x} sent", type);
  }
  const std::size_t end = kEthernetHeader + length;
  if (end < frame.size() && frame.size() > kEthernetMinimum) {
    return fmt::format("{} bytes after the packet in a frame over the minimum", frame.size() - end);
  }
  if (std::any_of(frame.begin() + static_cast<std::ptrdiff_t>(end), frame.end(), [](std::uint8_t b) { return b; })) {
    return std::string("Ethernet padding not zero");
  }
  return std::nullopt;
}

std::optional<Violation> check_answer(const StackConfig& config, const AnswerContext& context,
                                      const std::vector<std::vector<std::uint8_t>>& sent) {
  std::size_t errors = 0;
  std::size_t bytes = 0;
  std::size_t ip_payload = 0;
  bool fragments = false;
  std::size_t grants = 0;
  for (const auto& frame : sent) {
    const Sent s = measure(config, frame);
    fragments = fragments || s.fragment;
    grants += s.grant;
    if (s.icmp_error) {
      ++errors;
      continue;
    }
    bytes += s.length;
    ip_payload += s.ip_payload;
  }
  if (errors > 1) return fmt::format("{} ICMP errors for one frame", errors);
  if (context.reassembled) {
    // The fragments of the answer to a reassembled datagram: no more payload than a datagram holds.
    if (ip_payload > 65535) return fmt::format("{} bytes of IP payload sent for one reassembled datagram", ip_payload);
    return std::nullopt;
  }
  const std::size_t link = config.link == LinkLayer::ethernet ? kEthernetHeader : 0;
  const std::size_t allowed = context.input_length + context.released_bytes + context.released * link + grants;
  // A reply longer than the MTU goes out in fragments, each with its own headers: then only their payloads together
  // must fit in what arrived.
  if (bytes > allowed && (!fragments || ip_payload > context.input_length + context.released_bytes)) {
    return fmt::format("{} bytes sent ({} frames) for a frame of {} bytes", bytes, sent.size(), context.input_length);
  }
  return std::nullopt;
}

std::optional<Violation> check_caps(const StackUsage& usage) {
  std::optional<Violation> v;
  usage.for_each([&v](std::string_view name, const Bounded& b) {
    if (!v && !b.within()) v = fmt::format("{} is {}, over its cap of {}", name, b.used, b.cap);
  });
  return v;
}

CheckedStack::CheckedStack(const StackConfig& config)
    : stack_(config),
      // As a device reads: whole frames up to the largest it can deliver, whatever the MTU.
      buffer_(std::max(max_frame_length(stack_.config().link), Stack::kMinBufferSize)) {}

std::optional<Violation> CheckedStack::check_all(const std::vector<std::vector<std::uint8_t>>& sent) const {
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (auto v = check_sent_frame(stack_.config(), sent[i])) return fmt::format("frame {} sent: {}", i + 1, *v);
  }
  if (auto v = check_caps(stack_.usage())) return v;
  return std::nullopt;
}

std::optional<Violation> CheckedStack::receive(Bytes frame, Instant now) {
  const std::size_t length = std::min(frame.size(), buffer_.size());
  std::copy_n(frame.begin(), length, buffer_.begin());
  // Garbage after the frame, as a reused buffer holds: a read past `length` sees it (4 KiB of it keeps the fuzzers
  // fast).
  const std::size_t garbage = std::min(buffer_.size() - length, std::size_t{4096});
  std::fill_n(buffer_.begin() + static_cast<std::ptrdiff_t>(length), garbage, 0xe5);
  const std::uint64_t reassembled = stack_.counters().get(Counter::ipReasmOKs) +
                                    stack_.counters().get(Counter::Ip6ReasmOKs);
  const std::size_t pending = stack_.usage().pending_packets.used;
  const std::size_t pending_bytes = stack_.usage().pending_bytes.used;
  CollectingSink sink;
  stack_.receive(buffer_, length, now, sink);
  frames_sent_ += sink.frames.size();
  if (auto v = check_all(sink.frames)) return v;
  const StackUsage after = stack_.usage();
  const AnswerContext context{
      .input_length = length,
      .reassembled = stack_.counters().get(Counter::ipReasmOKs) + stack_.counters().get(Counter::Ip6ReasmOKs) !=
                     reassembled,
      .released = pending - std::min(pending, after.pending_packets.used),
      .released_bytes = pending_bytes - std::min(pending_bytes, after.pending_bytes.used),
  };
  return check_answer(stack_.config(), context, sink.frames);
}

std::optional<Violation> CheckedStack::poll(Instant now) {
  CollectingSink sink;
  stack_.poll(now, sink);
  frames_sent_ += sink.frames.size();
  return check_all(sink.frames);
}

std::optional<Violation> CheckedStack::send_udp(Ipv4Address destination, std::uint16_t destination_port, Bytes payload,
                                                Instant now) {
  CollectingSink sink;
  stack_.send_udp(destination, 7, destination_port, payload, now, sink);
  frames_sent_ += sink.frames.size();
  return check_all(sink.frames);
}

}  // namespace ministack::testing
