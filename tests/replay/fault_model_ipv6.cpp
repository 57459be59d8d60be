// The fault model for IPv6 (fault_model.hpp): the header (RFC 8200 §3), our addresses and groups (RFC 4291), the
// extension headers in order (RFC 8200 §4), ICMPv6 (RFC 4443), neighbor discovery (RFC 4861 §7.1) and the type-based
// drops, each from the bytes alone. Fragments are held: no capture here completes an IPv6 datagram, so a fragment
// that did would read as held and its answer as unexpected (the model would need extending first).
#include <string>

#include "fault_model.hpp"
#include "wire_reads_ipv6.hpp"

namespace ministack::realworld {

namespace {

constexpr std::uint8_t kHopByHop = 0, kTcp = 6, kUdp = 17, kRouting = 43, kFragment = 44, kIcmp6 = 58, kNoNext = 59,
                       kDestinationOptions = 60;
constexpr std::uint8_t kParameterProblem = 4, kUnreachable = 1;
constexpr int kNotIcmp6 = -1, kUnreadable = -2;

// The ICMPv6 type past the extension headers of the packet d, kNotIcmp6, or kUnreadable (a header chain cut short, a
// fragment other than the first).
int icmp6_type(const Bytes& d) {
  std::uint8_t next = d[6];
  for (std::size_t at = kIp6Header;;) {
    if (next == kIcmp6) return at < d.size() ? d[at] : kUnreadable;
    const bool options = next == kHopByHop || next == kRouting || next == kDestinationOptions;
    if (!options && next != kFragment) return kNotIcmp6;
    if (d.size() - at < 8) return kUnreadable;
    if (next == kFragment && (get16(d, at + 2) & 0xfff8) != 0) return kUnreadable;
    const std::size_t length = options ? (std::size_t{d[at + 1]} + 1) * 8 : 8;
    if (length > d.size() - at) return kUnreadable;
    next = d[at];
    at += length;
  }
}

// RFC 4443 §2.4(e): never about an ICMPv6 error or a redirect (e.1, e.2), to a multicast destination or a link-layer
// group (e.3-e.5, except a parameter problem code 2 about an option of type 10xxxxxx), or to a source that does not
// name one node (e.6).
bool error_allowed(const Bytes& d, bool to_group, bool even_to_group) {
  const Ip6 source = ip6_at(d, 8);
  if (is_unspecified6(source) || is_multicast6(source)) return false;
  if (to_group && !even_to_group) return false;
  const int type = icmp6_type(d);
  return type != kUnreadable && (type == kNotIcmp6 || (type >= 128 && type != 137));
}

struct Walker {
  const Bytes& d;
  bool to_group;
  LinkLayer link;
  FrameReading& r;

  void refuse(DropReason reason, std::uint8_t type, std::uint8_t code, std::size_t pointer, bool even_to_group) {
    r.faults.insert(reason);
    if (error_allowed(d, to_group, even_to_group)) {
      r.error6 = FrameReading::Icmp6Error{type, code, static_cast<std::uint32_t>(pointer), reason};
    }
  }

  // RFC 8200 §4.2: Pad1, PadN, Router Alert (RFC 2711) in hop-by-hop; any other option by its two high bits.
  bool options_pass(std::size_t at, std::size_t end, bool hop_by_hop) {
    while (at < end) {
      const std::uint8_t type = d[at];
      if (type == 0) {
        ++at;
        continue;
      }
      if (end - at < 2 || std::size_t{d[at + 1]} > end - at - 2) {
        r.faults.insert(DropReason::ipv6_bad_extension);
        return false;
      }
      const std::size_t next = at + 2 + d[at + 1];
      if (type != 1 && !(hop_by_hop && type == 5) && (type >> 6) != 0) {
        if ((type >> 6) == 1) {
          r.faults.insert(DropReason::ipv6_unrecognized_option);
        } else {
          refuse(DropReason::ipv6_unrecognized_option, kParameterProblem, 2, at, (type >> 6) == 2);
        }
        return false;
      }
      at = next;
    }
    return true;
  }

  // RFC 4861 §7.1.1, §7.1.2: hop limit 255, code 0, at least 24 bytes, a target that is not multicast, options of
  // non-zero length within the message; from :: only to a solicited-node group and without a source link-layer
  // address; an advertisement to a group has Solicited clear.
  void neighbor(std::size_t at, std::uint8_t type) {
    if (link == LinkLayer::ip) {  // RFC 4861 §1: TUN has no link-layer addresses to resolve
      r.faults.insert(DropReason::nd_no_link_layer);
      return;
    }
    const std::size_t n = d.size() - at;
    const Ip6 source = ip6_at(d, 8), destination = ip6_at(d, 24);
    bool valid = d[7] == kNdHopLimit && d[at + 1] == 0 && n >= 24 && !is_multicast6(ip6_at(d, at + 8));
    bool source_link_address = false;
    for (std::size_t o = at + 24; valid && o < d.size();) {
      if (d.size() - o < 2 || d[o + 1] == 0 || std::size_t{d[o + 1]} * 8 > d.size() - o) {
        valid = false;
        break;
      }
      source_link_address = source_link_address || d[o] == 1;
      o += std::size_t{d[o + 1]} * 8;
    }
    if (valid && type == 135 && is_unspecified6(source)) {
      const bool solicited_group =
          std::equal(destination.begin(), destination.begin() + 13, kSolicitedLinkLocal.begin());
      valid = !source_link_address && solicited_group;
      if (destination != solicited_node6(ip6_at(d, at + 8))) r.tolerated.insert(DropReason::nd_invalid);
    }
    if (valid && type == 136 && is_multicast6(destination) && (d[at + 4] & kNaSolicited)) valid = false;
    if (!valid) {
      r.faults.insert(DropReason::nd_invalid);
      return;
    }
    const bool ours = is_ours6(ip6_at(d, at + 8));
    if (type == 135 && !ours) r.faults.insert(DropReason::nd_not_for_us);
    if (type == 136 && ours) r.faults.insert(DropReason::nd_duplicate_address);  // RFC 4862 §5.4.4
    if (type == 136 && !ours) r.absorbs = true;                                  // RFC 4861 §7.2.5
  }

  // RFC 4443 §2.3: the checksum first; then by type.
  void icmp6(std::size_t at) {
    if (d.size() - at < 8) {
      r.faults.insert(DropReason::icmp6_truncated);
      return;
    }
    if (!checksum6_ok(d, at, kIcmp6)) {
      r.faults.insert(DropReason::icmp6_bad_checksum);
      return;
    }
    const std::uint8_t type = d[at];
    if (is_unspecified6(ip6_at(d, 8)) && type != 135) {  // RFC 4291 §2.5.2: :: only for duplicate address detection
      r.faults.insert(DropReason::ipv6_bad_source);
      return;
    }
    switch (type) {
      case 128: return;  // echo request: answered, to a group too (as Linux, net.ipv6.icmp.echo_ignore_multicast 0)
      case 135:
      case 136: return neighbor(at, type);
      case 133:
      case 134:
      case 137: r.faults.insert(DropReason::nd_router_ignored); return;  // a host with static addresses
      case 130:
      case 131:
      case 132:
      case 143: r.faults.insert(DropReason::mld_ignored); return;
      default: r.faults.insert(DropReason::icmp6_type_ignored); return;
    }
  }

  void udp(std::size_t at) {
    const std::size_t n = d.size() - at;
    const std::size_t length = n >= 8 ? get16(d, at + 4) : 0;
    if (n < 8 || length < 8 || length > n) {
      r.faults.insert(DropReason::udp_truncated);
      return;
    }
    // RFC 8200 §8.1: a zero checksum is no checksum, which IPv6 does not allow.
    if (get16(d, at + 6) == 0 || !checksum6_ok(slice(d, 0, at + length), at, kUdp)) {
      r.faults.insert(DropReason::udp_bad_checksum);
    }
    if (get16(d, at + 2) != kEchoPort) {
      refuse(DropReason::udp_port_unreachable, kUnreachable, 4, 0, false);  // RFC 4443 §3.1, code 4
    } else if (to_group) {
      r.faults.insert(DropReason::ip_broadcast_echo_ignored);
    }
  }

  void upper(std::size_t at, std::uint8_t next) {
    r.l4 = at;
    r.upper = next;
    if (next == kIcmp6) return icmp6(at);
    if (is_unspecified6(ip6_at(d, 8))) {
      r.faults.insert(DropReason::ipv6_bad_source);
      return;
    }
    if (next == kUdp) return udp(at);
    const std::set<DropReason> tcp = tcp_faults(d, at, checksum6_ok(d, at, kTcp), to_group, r.tolerated);
    r.faults.insert(tcp.begin(), tcp.end());
  }

  // RFC 8200 §4.5: a fragment longer than 65535 bytes in all, or not the last and not a multiple of 8 bytes, is
  // refused (code 0); any other is held for reassembly.
  void fragment(std::size_t at) {
    r.fragment = true;
    const std::size_t offset = get16(d, at + 2) & 0xfff8, data = d.size() - at - 8;
    if ((d[at + 3] & 1) != 0 && data % 8 != 0)
      return refuse(DropReason::ipv6_bad_fragment, kParameterProblem, 0, 4, false);
    if (offset + data > kMaxDatagram) return refuse(DropReason::ipv6_bad_fragment, kParameterProblem, 0, at + 2, false);
    r.may_hold = r.faults.empty();
  }

  // RFC 8200 §4.1: the headers in order, each pointed at from the field that named it.
  void walk() {
    std::uint8_t next = d[6];
    std::size_t at = kIp6Header, named_at = 6;
    for (;;) {
      if (next == kIcmp6 || next == kUdp || next == kTcp) return upper(at, next);
      if (next == kNoNext) {
        r.faults.insert(DropReason::ipv6_no_next_header);
        return;
      }
      const bool options = next == kHopByHop || next == kDestinationOptions || next == kRouting;
      if ((!options && next != kFragment) || (next == kHopByHop && at != kIp6Header)) {
        return refuse(DropReason::ipv6_unknown_next_header, kParameterProblem, 1, named_at, false);
      }
      if (d.size() - at < 8 || (options && (std::size_t{d[at + 1]} + 1) * 8 > d.size() - at)) {
        r.faults.insert(DropReason::ipv6_bad_extension);
        return;
      }
      const std::size_t length = options ? (std::size_t{d[at + 1]} + 1) * 8 : 8;
      if (next == kRouting && d[at + 3] != 0) {  // §4.4: segments left, and no routing type is known here
        return refuse(DropReason::ipv6_routing_header, kParameterProblem, 0, at + 2, false);
      }
      if (next == kFragment && (get16(d, at + 2) & 0xfff9) != 0) return fragment(at);
      if (next != kRouting && next != kFragment && !options_pass(at + 2, at + length, next == kHopByHop)) return;
      named_at = at;
      next = d[at];
      at += length;
    }
  }
};

}  // namespace

std::string kind_of_ipv6(const Bytes& f, std::size_t l3) {
  if (f.size() < l3 + kIp6Header) return "IPv6, truncated header";
  std::string s = "IPv6 " + ip6_text(ip6_at(f, l3 + 8)) + " > " + ip6_text(ip6_at(f, l3 + 24));
  const std::uint8_t next = f[l3 + 6];
  if (next != kIcmp6 || f.size() <= l3 + kIp6Header) return s + ", next header " + std::to_string(next);
  return s + ", ICMPv6 type " + std::to_string(f[l3 + kIp6Header]);
}

void read_ipv6(const Bytes& f, std::size_t l3, LinkLayer link, FrameReading& r) {
  r.l3 = l3;
  const std::size_t available = f.size() - l3;
  bool stop = false;
  if (available >= 1 && (f[l3] >> 4) != 6) {
    r.faults.insert(DropReason::ipv6_bad_version);
    stop = true;
  }
  if (available < kIp6Header) {
    r.faults.insert(DropReason::ipv6_truncated);
    stop = true;
  }
  if (stop) return;
  const std::size_t total = kIp6Header + get16(f, l3 + 4);
  if (total == kIp6Header && f[l3 + 6] == kHopByHop) {  // RFC 2675 §3: a jumbogram, not taken
    r.faults.insert(DropReason::ipv6_bad_length);
    return;
  }
  if (total > available) {
    r.faults.insert(DropReason::ipv6_truncated);
    return;
  }
  r.ipv6 = true;
  r.total = total;
  const Ip6 source = ip6_at(f, l3 + 8), destination = ip6_at(f, l3 + 24);
  if (!is_ours6(destination) && !is_joined6(destination)) r.faults.insert(DropReason::ipv6_not_for_us);
  // RFC 4291 §2.7 (multicast), §2.5.3 (loopback), §2.5.5.2 (IPv4-mapped); our own address is a spoof or a loop.
  if (is_multicast6(source) || is_loopback6(source) || is_v4_mapped6(source) || is_ours6(source)) {
    r.faults.insert(DropReason::ipv6_bad_source);
  }
  r.delivered = slice(f, l3, total);
  Walker{*r.delivered, is_multicast6(destination) || r.link_broadcast, link, r}.walk();
}

}  // namespace ministack::realworld
