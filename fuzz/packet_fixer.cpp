#include "packet_fixer.hpp"

#include <algorithm>
#include <numeric>

#include "packets.hpp"
#include "packets6.hpp"

namespace ministack::fuzz {

namespace {

constexpr std::size_t kMinHeader = 20;
constexpr std::size_t kMaxFragments = 1024;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kTcp = 6;
constexpr std::size_t kTcpHeader = 20;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::uint16_t kOffsetMask = 0x1fff;
constexpr std::uint16_t kFlagsKept = 0xc000;  // the reserved bit and DF

std::size_t header_length(const Packet& ip) { return std::size_t{ip[0] & 0x0fu} * 4; }

void set_header_checksum(Packet& ip, std::size_t ihl) {
  packets::put16(ip, 10, 0);
  packets::put16(ip, 10, packets::reference_checksum(packets::ByteView{ip}.first(ihl)));
}

// A small deterministic generator for the shuffle (the same input must always cut the same way).
std::uint32_t next_random(std::uint32_t& state) {
  state = state * 1'103'515'245u + 12'345u;
  return state >> 16;
}

}  // namespace

void fix_ipv4(Packet& ip) {
  if (ip.size() < kMinHeader) return;
  if ((ip[0] & 0x0f) < 5) ip[0] = static_cast<std::uint8_t>((ip[0] & 0xf0) | 5);
  const std::size_t ihl = header_length(ip);
  if (ihl > ip.size()) return;
  const std::size_t total = std::min<std::size_t>(ip.size(), 0xffff);
  packets::put16(ip, 2, static_cast<std::uint16_t>(total));
  const bool fragment = (packets::get16(ip, 6) & (kMoreFragments | kOffsetMask)) != 0;
  const std::size_t payload = total - ihl;
  if (!fragment && ip[9] == kIcmp && payload >= 4) {
    packets::put16(ip, ihl + 2, 0);
    packets::put16(ip, ihl + 2, packets::reference_checksum(packets::ByteView{ip}.subspan(ihl, payload)));
  } else if (!fragment && ip[9] == kTcp && payload >= kTcpHeader) {
    // The checksum covers the pseudo-header and the whole segment (RFC 9293 §3.1); the data offset and options stay
    // as the input has them, for TCP's own checks to judge.
    packets::put16(ip, ihl + 16, 0);
    const auto covered =
        packets::with_pseudo_header(packets::ByteView{ip}.subspan(ihl, payload), Ipv4Address{packets::get32(ip, 12)},
                                    Ipv4Address{packets::get32(ip, 16)}, static_cast<std::uint16_t>(payload), kTcp);
    packets::put16(ip, ihl + 16, packets::reference_checksum(covered));
  } else if (!fragment && ip[9] == kUdp && payload >= 8 && payload <= 0xffff) {
    packets::put16(ip, ihl + 4, static_cast<std::uint16_t>(payload));
    if (packets::get16(ip, ihl + 6) != 0) {
      packets::put16(ip, ihl + 6, 0);
      const auto covered =
          packets::with_pseudo_header(packets::ByteView{ip}.subspan(ihl, payload), Ipv4Address{packets::get32(ip, 12)},
                                      Ipv4Address{packets::get32(ip, 16)}, static_cast<std::uint16_t>(payload));
      const std::uint16_t sum = packets::reference_checksum(covered);
      packets::put16(ip, ihl + 6, sum == 0 ? 0xffff : sum);
    }
  }
  set_header_checksum(ip, ihl);
}

void fix_ipv6(Packet& ip) {
  constexpr std::size_t kHeader = 40;
  if (ip.size() < kHeader || ip.size() - kHeader > 0xffff) return;
  packets::put16(ip, 4, static_cast<std::uint16_t>(ip.size() - kHeader));
  // Past the extension headers (RFC 8200 §4) to the upper layer; a fragment's checksum is the whole packet's.
  std::uint8_t next = ip[6];
  std::size_t at = kHeader;
  while (next == 0 || next == 43 || next == 60) {
    if (ip.size() - at < 8) return;
    const std::size_t length = (std::size_t{ip[at + 1]} + 1) * 8;
    if (length > ip.size() - at) return;
    next = ip[at];
    at += length;
  }
  const std::size_t payload = ip.size() - at;
  const std::size_t field = next == 58 ? 2 : next == kTcp ? 16 : next == kUdp ? 6 : 0;
  if (field == 0 || payload < field + 2) return;
  if (next == kUdp) packets::put16(ip, at + 4, static_cast<std::uint16_t>(payload));
  const packets::ByteView upper = packets::ByteView{ip}.subspan(at);
  const std::uint16_t sum =
      packets6::checksum6(upper, packets6::get_address(ip, 8), packets6::get_address(ip, 24), next, field);
  packets::put16(ip, at + field, next == kUdp && sum == 0 ? 0xffff : sum);
}

void fix_ethernet(Packet& frame) {
  constexpr std::size_t kEthernetHeader = 14;
  if (frame.size() < kEthernetHeader) return;
  const std::uint16_t type = packets::get16(frame, 12);
  if (type != packets::ethertype::ipv4 && type != packets::ethertype::ipv6) return;
  Packet ip(frame.begin() + kEthernetHeader, frame.end());
  if (type == packets::ethertype::ipv4) {
    fix_ipv4(ip);
  } else {
    fix_ipv6(ip);
  }
  std::copy(ip.begin(), ip.end(), frame.begin() + kEthernetHeader);
}

namespace {

// The well-formed datagram `whole` (header of `ihl` bytes) cut into pieces of `chunk` payload bytes, piece `early_one`
// starting `early` bytes before its place; each a fragment with a copy of the header, its own length, MF and offset.
std::vector<Packet> pieces_of(const Packet& whole, std::size_t ihl, std::size_t chunk, std::size_t early_one,
                              std::size_t early) {
  const std::size_t payload = whole.size() - ihl;
  const std::size_t n = std::min(kMaxFragments, std::max<std::size_t>(1, (payload + chunk - 1) / chunk));
  std::vector<Packet> pieces;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t begin = i * chunk - (i == early_one ? std::min(i * chunk, early) : 0);
    const std::size_t end = std::min(payload, (i + 1) * chunk);
    const std::size_t offset_field = begin / 8;
    if (offset_field > kOffsetMask) break;
    Packet f(ihl + end - begin);
    std::copy_n(whole.begin(), ihl, f.begin());
    std::copy(whole.begin() + static_cast<std::ptrdiff_t>(ihl + begin),
              whole.begin() + static_cast<std::ptrdiff_t>(ihl + end), f.begin() + static_cast<std::ptrdiff_t>(ihl));
    const bool more = end < payload;
    const std::uint16_t flags = static_cast<std::uint16_t>((packets::get16(whole, 6) & kFlagsKept) |
                                                           (more ? kMoreFragments : 0) | offset_field);
    packets::put16(f, 2, static_cast<std::uint16_t>(std::min<std::size_t>(f.size(), 0xffff)));
    packets::put16(f, 6, flags);
    set_header_checksum(f, ihl);
    pieces.push_back(std::move(f));
  }
  return pieces;
}

// The order to send n pieces in: in order, reversed, shuffled by `seed`, or odd ones first.
std::vector<std::size_t> order_of(std::size_t n, unsigned how, std::uint32_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  switch (how & 0x03) {
    case 0: break;
    case 1: std::reverse(order.begin(), order.end()); break;
    case 2:
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[next_random(seed) % i]);
      break;
    default: std::stable_partition(order.begin(), order.end(), [](std::size_t i) { return i % 2 == 1; }); break;
  }
  return order;
}

}  // namespace

Cut cut_into_fragments(Bytes plan_bytes, Bytes datagram) {
  std::uint8_t plan[4] = {};
  std::copy_n(plan_bytes.begin(), std::min<std::size_t>(plan_bytes.size(), 4), plan);
  Cut cut{.fragments = {}, .spaced = (plan[1] & 0x40) != 0};
  Packet whole(datagram.begin(), datagram.end());
  if (whole.size() < kMinHeader) return cut;
  if ((whole[0] & 0x0f) < 5) whole[0] = static_cast<std::uint8_t>((whole[0] & 0xf0) | 5);
  const std::size_t ihl = header_length(whole);
  if (ihl > whole.size()) return cut;
  packets::put16(whole, 6, static_cast<std::uint16_t>(packets::get16(whole, 6) & kFlagsKept));
  if (plan[1] & 0x20) whole.resize(whole.size() + std::size_t{plan[3]} * 256, 0);
  fix_ipv4(whole);  // the transport checksum over the whole payload, stretched or not

  const std::size_t chunk = 8 * (1 + std::size_t{plan[0]} % 185);
  const std::size_t early = (plan[1] & 0x04) ? 8 * (1 + std::size_t{plan[2]} % 4) : 0;
  const std::vector<Packet> pieces = pieces_of(whole, ihl, chunk, plan[2], early);
  if (pieces.empty()) return cut;
  const std::size_t which = plan[2] % pieces.size();  // the piece left out or sent twice
  for (const std::size_t i : order_of(pieces.size(), plan[1], plan[2])) {
    if ((plan[1] & 0x10) && i == which) continue;  // left out: the datagram never completes
    cut.fragments.push_back(pieces[i]);
  }
  if (plan[1] & 0x08) cut.fragments.push_back(pieces[which]);  // sent twice
  return cut;
}

}  // namespace ministack::fuzz
