// The fault model (fault_model.hpp): what a frame is to a correct stack, its fragments reassembled and its ICMP
// errors rate-limited as documented, each worked out from the bytes alone.
#include "fault_model.hpp"

#include <algorithm>
#include <string>

#include "device/device.hpp"
#include "ip_options.hpp"
#include "wire_reads_ipv6.hpp"

namespace ministack::realworld {

namespace {

// The options of a TCP header, d[from, to) (RFC 9293 §3.1): EOL ends the list, NOP is one byte, every other kind has
// a length of at least 2 that stays within the header; MSS (2), window scale (3), SACK-permitted (4) and timestamps
// (8) have the lengths of RFC 9293, RFC 7323 and RFC 2018; unknown kinds are skipped by their length. A SACK block
// list (5) of any length but 2 + 8n (n >= 1) is odd: refusing it is as right as skipping it.
enum class TcpOptions { fine, odd, malformed };
TcpOptions read_tcp_options(const Bytes& d, std::size_t from, std::size_t to) {
  TcpOptions state = TcpOptions::fine;
  for (std::size_t at = from; at < to;) {
    const std::uint8_t kind = d[at];
    if (kind == 0) break;
    if (kind == 1) {
      ++at;
      continue;
    }
    if (at + 1 >= to) return TcpOptions::malformed;  // no room for the length byte
    const std::size_t length = d[at + 1];
    if (length < 2 || at + length > to) return TcpOptions::malformed;
    const bool wrong = (kind == 2 && length != 4) || (kind == 3 && length != 3) || (kind == 4 && length != 2) ||
                       (kind == 8 && length != 10);
    if (wrong) return TcpOptions::malformed;
    if (kind == 5 && (length < 10 || (length - 2) % 8 != 0)) state = TcpOptions::odd;
    at += length;
  }
  return state;
}

// A TCP segment, the rest of the datagram d after its ihl-byte header. A malformed segment is only ever dropped for
// what is wrong with it (RFC 9293 §3.10.7.1 answers well-formed ones only): too short for a header, a data offset
// outside 5..15 words or past the segment, a checksum that does not verify with the pseudo-header, malformed
// options. A well-formed one to a broadcast or multicast address gets nothing (RFC 1122 §4.2.3.10), nor does a RST
// (§3.10.7.1: "an incoming segment containing a RST is discarded"). To a port nobody listens on, any other is
// refused with a RST (§3.10.7.1). To the echo (7) and discard (9) services, LISTEN (§3.10.7.2): an ACK is refused
// with a RST, a segment without SYN dropped, a SYN opens a connection (these checks follow no connection, and the
// captures hold no segment for those ports: its SYN,ACK reads as unexpected).
}  // namespace

std::set<DropReason> tcp_faults(const Bytes& d, std::size_t ihl, bool checksum_good, bool to_group,
                                std::set<DropReason>& tolerated) {
  const std::size_t length = d.size() - ihl;
  if (length < kTcpHeader) return {DropReason::tcp_truncated};
  std::set<DropReason> faults;
  const std::size_t offset = tcp_data_offset_at(d, ihl);
  const bool offset_fits = offset >= kTcpHeader && offset <= length;
  if (!offset_fits) faults.insert(DropReason::tcp_bad_data_offset);
  if (!checksum_good) faults.insert(DropReason::tcp_bad_checksum);
  if (offset_fits) {
    const TcpOptions options = read_tcp_options(d, ihl + kTcpHeader, ihl + offset);
    if (options == TcpOptions::malformed) faults.insert(DropReason::tcp_bad_options);
    if (options == TcpOptions::odd) tolerated.insert(DropReason::tcp_bad_options);
  }
  if (!faults.empty()) return faults;
  const std::uint8_t flags = d[ihl + 13];
  if (to_group) faults.insert(DropReason::tcp_to_broadcast);
  if ((flags & kTcpRst) != 0) faults.insert(DropReason::tcp_reset_ignored);
  if (!faults.empty()) return faults;
  const std::uint16_t port = get16(d, ihl + 2);
  if (port != kTcpEchoPort && port != kTcpDiscardPort) return {DropReason::tcp_port_closed};
  if ((flags & kTcpAck) != 0) return {DropReason::tcp_bad_ack};
  if ((flags & kTcpSyn) == 0) return {DropReason::tcp_listen_no_syn};
  return faults;
}

std::set<DropReason> upper_faults(const Bytes& d, bool to_group, bool odd_options, std::set<DropReason>& tolerated) {
  const std::size_t ihl = ihl_at(d, 0), payload = d.size() - ihl;
  const std::uint8_t protocol = d[9];
  if (protocol == 1) {
    if (payload < 8) return {DropReason::icmp_truncated};
    std::set<DropReason> faults;
    if (!checksum_ok(d, ihl, d.size())) faults.insert(DropReason::icmp_bad_checksum);
    if (d[ihl] != 8) {
      faults.insert(DropReason::icmp_type_ignored);
    } else {
      // RFC 1122 §3.2.2.6: an echo request to a broadcast or multicast address may be silently discarded.
      if (to_group) faults.insert(DropReason::ip_broadcast_echo_ignored);
      if (odd_options) tolerated.insert(DropReason::ip_bad_options);
    }
    return faults;
  }
  if (protocol == 17) {
    if (payload < 8) return {DropReason::udp_truncated};
    const std::size_t length = get16(d, ihl + 4);
    if (length < 8 || length > payload) return {DropReason::udp_truncated};
    std::set<DropReason> faults;
    if (get16(d, ihl + 6) != 0 && !udp_checksum_ok(d, ihl, length)) faults.insert(DropReason::udp_bad_checksum);
    if (get16(d, ihl + 2) != kEchoPort) {
      faults.insert(DropReason::udp_port_unreachable);
    } else if (to_group) {
      faults.insert(DropReason::ip_broadcast_echo_ignored);  // an echo service answering broadcasts amplifies
    }
    return faults;
  }
  if (protocol == 6) return tcp_faults(d, ihl, tcp_checksum_ok(d, ihl), to_group, tolerated);
  return {DropReason::ip_unknown_protocol};
}

namespace {

// An ARP packet after the Ethernet header: an Ethernet/IPv4 request for our address, from a unicast sender.
void read_arp(const Bytes& f, FrameReading& r) {
  std::set<DropReason>& faults = r.faults;
  r.arp = true;
  const std::size_t n = f.size() - kEth;
  if (n < 8) {
    faults.insert(DropReason::arp_truncated);
    return;
  }
  if (get16(f, kEth) != 1 || get16(f, kEth + 2) != 0x0800 || f[kEth + 4] != 6 || f[kEth + 5] != 4) {
    faults.insert(DropReason::arp_unsupported_format);
  }
  if (n < 28) faults.insert(DropReason::arp_truncated);
  if (n < 28 || faults.count(DropReason::arp_unsupported_format)) return;
  if (mac_is_group(f, kEth + 8)) faults.insert(DropReason::arp_bad_sender);
  if (get16(f, kEth + 6) != 1) faults.insert(DropReason::arp_not_request);
  if (get32(f, kEth + 24) != kOurIp) faults.insert(DropReason::arp_not_for_us);
}

// The Ethernet header, and an ARP packet after it: whether an IPv4 packet follows, still to be read.
bool read_ethernet(const Bytes& f, FrameReading& r) {
  std::set<DropReason>& faults = r.faults;
  if (f.size() < kEth) {
    faults.insert(DropReason::eth_truncated);
    return false;
  }
  // RFC 2464 §7, RFC 4861 §7.2.1: the groups we joined (all-nodes, our solicited-node groups) are ours too; any other
  // group address is one we have not joined.
  r.link_broadcast = mac_is_group(f, 0) && mac_joined(f, 0);
  if (!mac_joined(f, 0)) {
    faults.insert(mac_is_group(f, 0) ? DropReason::eth_multicast_not_joined : DropReason::eth_not_for_us);
  }
  if (mac_is_group(f, 6)) faults.insert(DropReason::eth_bad_source);
  const std::uint16_t type = get16(f, 12);
  if (type == 0x86dd) {
    read_ipv6(f, kEth, LinkLayer::ethernet, r);
    return false;
  }
  if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {  // 802.1Q tags: a reason of their own
    faults.insert(DropReason::eth_vlan_not_supported);
    return false;
  }
  if (type != 0x0800 && type != 0x0806) {
    faults.insert(DropReason::eth_unsupported_type);
    return false;
  }
  if (type == 0x0806) {
    read_arp(f, r);
    return false;
  }
  return true;
}

// IPv4, at f[l3]; the packet may be followed by link padding or a trailer.
void read_ipv4(const Bytes& f, std::size_t l3, FrameReading& r) {
  std::set<DropReason>& faults = r.faults;
  r.l3 = l3;
  const std::size_t available = f.size() - l3;
  bool stop = false;
  if (available < 20) {
    faults.insert(DropReason::ip_truncated);
    stop = true;
  }
  if (available >= 1 && (f[l3] >> 4) != 4) {
    faults.insert(DropReason::ip_bad_version);
    stop = true;
  }
  if (stop) return;
  const std::size_t ihl = ihl_at(f, l3), total = get16(f, l3 + 2);
  if (ihl < 20) faults.insert(DropReason::ip_bad_ihl);
  if (total < ihl) faults.insert(DropReason::ip_bad_total_length);
  if (ihl > available || total > available) faults.insert(DropReason::ip_truncated);
  if (ihl < 20 || total < ihl || ihl > available || total > available) return;
  r.ipv4 = true;
  r.ihl = ihl;
  r.total = total;
  if (!checksum_ok(f, l3, l3 + ihl)) faults.insert(DropReason::ip_bad_checksum);
  // RFC 1122 §3.3.6: a host takes broadcasts in. A multicast group it may or may not have joined (224.0.0.1, all
  // hosts, is the one every host belongs to): "not for us" is as right as taking it in.
  const std::uint32_t destination = get32(f, l3 + 16);
  const bool to_group = is_broadcast(destination) || is_multicast(destination);
  if (destination != kOurIp && !is_broadcast(destination)) faults.insert(DropReason::ip_not_for_us);
  if (r.link_broadcast && !to_group) faults.insert(DropReason::ip_link_broadcast);  // RFC 1122 §3.3.6
  if (bad_source(get32(f, l3 + 12))) faults.insert(DropReason::ip_bad_source);
  const OptionsReading options = read_options(f, l3 + 20, l3 + ihl);
  if (options.state == OptionsState::malformed) faults.insert(DropReason::ip_bad_options);
  r.odd_options = options.state == OptionsState::odd;
  r.fragment = is_fragment_at(f, l3);

  std::set<DropReason> before_reassembly = faults;
  if (is_multicast(destination)) before_reassembly.erase(DropReason::ip_not_for_us);
  const Bytes packet = slice(f, l3, total);
  if (r.fragment) {
    r.reaches_reassembly = before_reassembly.empty();
  } else {
    r.delivered = packet;
    const std::set<DropReason> upper = upper_faults(packet, to_group, r.odd_options, r.tolerated);
    faults.insert(upper.begin(), upper.end());
  }
}

}  // namespace

FrameReading read_frame(const Bytes& f, LinkLayer link) {
  FrameReading r;
  // A frame that fills the largest receive buffer was plausibly cut there (an IPv6 jumbo in tp_ipv6.pcap is 65590
  // bytes): nothing in it is read.
  if (f.size() >= max_frame_length(link)) {
    r.faults = {DropReason::frame_too_long};
    return r;
  }
  std::size_t l3 = 0;
  if (link == LinkLayer::ethernet) {
    if (!read_ethernet(f, r)) return r;
    l3 = kEth;
  } else if (!f.empty() && (f[0] >> 4) == 6) {
    read_ipv6(f, 0, link, r);  // on TUN the version nibble is all there is to tell them apart
    return r;
  }
  read_ipv4(f, l3, r);
  return r;
}

DatagramKey key_of(const Bytes& f, std::size_t l3) {
  return {get32(f, l3 + 12), get32(f, l3 + 16), f[l3 + 9], get16(f, l3 + 4)};
}

ReassemblyModel::Step ReassemblyModel::look(const Bytes& f, const FrameReading& r) const {
  Step step;
  const std::size_t offset = fragment_offset_at(f, r.l3), length = r.total - r.ihl, end = offset + length;
  const bool last = !more_fragments_at(f, r.l3);
  if (length == 0 || (!last && length % 8 != 0)) step.faults.insert(DropReason::reasm_bad_length);
  const auto it = pending_.find(key_of(f, r.l3));
  std::size_t header_length = r.ihl, max_end = end;
  if (it != pending_.end()) {
    if (offset != 0 && !it->second.first_header.empty()) header_length = it->second.first_header.size();
    for (const Piece& p : it->second.pieces) max_end = std::max(max_end, p.offset + p.data.size());
  }
  if (header_length + max_end > kMaxDatagram) step.faults.insert(DropReason::reasm_oversize);
  if (it != pending_.end()) {
    std::optional<std::size_t> known_end;
    for (const Piece& p : it->second.pieces) {
      const std::size_t p_end = p.offset + p.data.size();
      if (p.last) known_end = p_end;
      if (p.offset == offset && p.data.size() == length) {
        step.faults.insert(DropReason::reasm_duplicate);
        step.faults.insert(DropReason::reasm_overlap);
      } else if (p.offset < end && offset < p_end) {
        step.faults.insert(DropReason::reasm_overlap);
      }
    }
    // The last fragment fixes the end: a different end, or data past it, contradicts what is held.
    if (known_end ? (last ? end != *known_end : end > *known_end) : (last && max_end > end)) {
      step.faults.insert(DropReason::reasm_overlap);
    }
  }
  if (step.faults.empty()) {
    Pending with = it != pending_.end() ? it->second : Pending{};
    add(with, f, r);
    step.completes = assemble(with);
  }
  return step;
}

void ReassemblyModel::take(const Bytes& f, const FrameReading& r) {
  const DatagramKey key = key_of(f, r.l3);
  Pending& p = pending_[key];
  add(p, f, r);
  if (assemble(p)) pending_.erase(key);
}

void ReassemblyModel::add(Pending& p, const Bytes& f, const FrameReading& r) {
  const std::size_t offset = fragment_offset_at(f, r.l3);
  p.pieces.push_back({offset, slice(f, r.l3 + r.ihl, r.total - r.ihl), !more_fragments_at(f, r.l3)});
  if (offset == 0) p.first_header = slice(f, r.l3, r.ihl);
}

std::optional<Bytes> ReassemblyModel::assemble(const Pending& p) {
  if (p.first_header.empty()) return std::nullopt;
  std::vector<const Piece*> pieces;
  for (const Piece& piece : p.pieces) pieces.push_back(&piece);
  std::sort(pieces.begin(), pieces.end(), [](const Piece* a, const Piece* b) { return a->offset < b->offset; });
  if (pieces.empty() || !pieces.back()->last) return std::nullopt;
  Bytes d = p.first_header;
  for (const Piece* piece : pieces) {
    if (piece->offset != d.size() - p.first_header.size()) return std::nullopt;  // a hole
    d.insert(d.end(), piece->data.begin(), piece->data.end());
  }
  put16(d, 2, static_cast<std::uint16_t>(d.size()));
  put16(d, 6, static_cast<std::uint16_t>(get16(d, 6) & 0xc000));
  set_ip_checksum(d, 0, p.first_header.size());
  return d;
}

bool given_after_delivery(DropReason r) {
  switch (r) {
    case DropReason::icmp_truncated:
    case DropReason::icmp_bad_checksum:
    case DropReason::icmp_type_ignored:
    case DropReason::udp_truncated:
    case DropReason::udp_bad_checksum:
    case DropReason::udp_port_unreachable:
    case DropReason::tcp_truncated:
    case DropReason::tcp_bad_data_offset:
    case DropReason::tcp_bad_checksum:
    case DropReason::tcp_bad_options:
    case DropReason::tcp_port_closed:
    case DropReason::tcp_reset_ignored:
    case DropReason::tcp_to_broadcast:
    case DropReason::tcp_bad_ack:
    case DropReason::tcp_listen_no_syn:
    case DropReason::ip_unknown_protocol:
    case DropReason::ip_broadcast_echo_ignored: return true;
    default: return false;
  }
}

bool ErrorRateModel::allow(const Key& destination, std::int64_t now_ms) {
  refill(global_, now_ms, kGlobalBurst);
  if (global_.credit < 1) return false;
  Bucket& d =
      per_destination_.try_emplace(destination, Bucket{kPerDestinationBurst * kMsPerToken, 0, false}).first->second;
  refill(d, now_ms, kPerDestinationBurst * kMsPerToken);
  if (d.credit < kMsPerToken) return false;
  d.credit -= kMsPerToken;
  global_.credit -= 1;
  return true;
}

void ErrorRateModel::refill(Bucket& b, std::int64_t now_ms, std::int64_t capacity) {
  if (b.started && now_ms > b.last_ms) b.credit = std::min(capacity, b.credit + (now_ms - b.last_ms));
  b.last_ms = b.started ? std::max(b.last_ms, now_ms) : now_ms;
  b.started = true;
}

}  // namespace ministack::realworld
