// Checks of what was sent for an IPv6 packet (reply_checks.hpp): ICMPv6 echo replies (RFC 4443 §4.2), neighbor
// advertisements (RFC 4861 §7.2.4) and ICMPv6 errors (RFC 4443 §2.4, §3.1, §3.4), read with wire_reads_ipv6.hpp.
#include <string>

#include "reply_checks.hpp"
#include "wire_reads_ipv6.hpp"

namespace ministack::realworld {
namespace {

// RFC 4443 §2.2: from the address a unicast request was sent to; otherwise one of ours, of the requester's scope
// (RFC 6724 §5 rule 2): the link-local one to a link-local requester, else fd00:3::12.
Ip6 answer_source(const Bytes& q) {
  const Ip6 to = ip6_at(q, 24);
  if (is_ours6(to)) return to;
  return is_link_local6(ip6_at(q, 8)) ? kOurLinkLocal : kOurGlobal;
}

// The IPv6 header every answer has: traffic class and flow label 0 (an echo reply may keep the request's class),
// no extension header, `hop_limit`, from `source` to `destination`.
void check_header6(const Bytes& d, std::uint8_t request_class, std::uint8_t hop_limit, const Ip6& source,
                   const Ip6& destination, Problems& p) {
  const Expect expect = expector(p);
  const std::uint8_t traffic_class = static_cast<std::uint8_t>(((d[0] & 0x0f) << 4) | (d[1] >> 4));
  expect(traffic_class == 0 || traffic_class == request_class,
         "traffic class " + std::to_string(traffic_class) + ", neither 0 nor the request's");
  expect((d[1] & 0x0f) == 0 && get16(d, 2) == 0, "flow label is not 0");
  expect(d[6] == 58, "next header is " + std::to_string(d[6]) + ", not ICMPv6 (58)");
  expect(d[7] == hop_limit, "hop limit is " + std::to_string(d[7]) + ", not " + std::to_string(hop_limit));
  expect(ip6_at(d, 8) == source, "IPv6 source " + ip6_text(ip6_at(d, 8)) + ", want " + ip6_text(source));
  expect(ip6_at(d, 24) == destination,
         "IPv6 destination " + ip6_text(ip6_at(d, 24)) + ", want " + ip6_text(destination));
  expect(checksum6_ok(d, kIp6Header, 58), "ICMPv6 checksum with the pseudo-header does not verify");
}

std::uint8_t class_of(const Bytes& q) { return static_cast<std::uint8_t>(((q[0] & 0x0f) << 4) | (q[1] >> 4)); }

// RFC 4443 §4.2: type 129, the identifier, sequence number and data of the request, hop limit 64.
void check_echo_reply6(const Bytes& q, std::size_t l4, const Bytes& d, Problems& p) {
  const Expect expect = expector(p);
  if (q.size() < l4 + 8 || q[l4] != 128) {
    p.push_back("an echo reply to something that is not an ICMPv6 echo request");
    return;
  }
  const std::size_t length = q.size() - l4;
  check_header6(d, class_of(q), 64, answer_source(q), ip6_at(q, 8), p);
  expect(d.size() == kIp6Header + length, "payload length " + std::to_string(d.size() - kIp6Header) +
                                              ", want the request's " + std::to_string(length) + "-byte message");
  if (d.size() != kIp6Header + length) return;
  expect(d[41] == 0 || d[41] == q[l4 + 1], "ICMPv6 code is neither 0 nor the request's");
  expect(same(d, 44, q, l4 + 4, length - 4), "identifier, sequence number or data differ from the request's");
}

// RFC 4861 §7.2.4: from the target (ours) to the solicitation's source, Solicited and Override set, or to all-nodes
// with Override alone for a solicitation from :: (RFC 4862 §5.4.3); Router clear; our MAC as the target link-layer
// address option; hop limit 255.
void check_advertisement(const Bytes& q, std::size_t l4, const Bytes& d, Problems& p) {
  const Expect expect = expector(p);
  if (q.size() < l4 + 24 || q[l4] != 135) {
    p.push_back("a neighbor advertisement answering something that is not a neighbor solicitation");
    return;
  }
  const bool probe = is_unspecified6(ip6_at(q, 8));
  const Ip6 target = ip6_at(q, l4 + 8);
  expect(is_ours6(target), "advertises " + ip6_text(target) + ", not one of our addresses");
  check_header6(d, 0, kNdHopLimit, target, probe ? kAllNodes : ip6_at(q, 8), p);
  expect(d.size() == kIp6Header + 32,
         "an advertisement of " + std::to_string(d.size() - kIp6Header) + " bytes, want 24 and an 8-byte option");
  if (d.size() != kIp6Header + 32) return;
  expect(d[41] == 0, "ICMPv6 code is not 0");
  const std::uint8_t flags = probe ? kNaOverride : kNaSolicited | kNaOverride;
  expect(d[44] == flags && d[45] == 0 && d[46] == 0 && d[47] == 0,
         "flags and reserved bits " + std::to_string(d[44]) + ", want " + std::to_string(flags) + " and zeros");
  expect(ip6_at(d, 48) == target, "target is not the solicitation's");
  expect(d[64] == 2 && d[65] == 1 && mac_is(d, 66, kOurMac),
         "the option is not a target link-layer address 02:00:00:00:00:01");
}

// RFC 4443 §2.4: the error the reading says is due, with its code and pointer, from answer_source, hop limit 64,
// quoting as much of the packet as fits in 1280 bytes (§2.4(c)).
void check_error6(const FrameReading& r, const Bytes& q, const Bytes& d, Problems& p) {
  const Expect expect = expector(p);
  if (!r.error6) {
    p.push_back("an ICMPv6 error about a packet that calls for none, or may get none (RFC 4443 §2.4(e))");
    return;
  }
  const FrameReading::Icmp6Error& e = *r.error6;
  check_header6(d, 0, 64, answer_source(q), ip6_at(q, 8), p);
  expect(d[40] == e.type && d[41] == e.code, "ICMPv6 type " + std::to_string(d[40]) + " code " + std::to_string(d[41]) +
                                                 ", want " + std::to_string(e.type) + " code " +
                                                 std::to_string(e.code));
  expect(get32(d, 44) == e.pointer,
         "pointer or unused word " + std::to_string(get32(d, 44)) + ", want " + std::to_string(e.pointer));
  const std::size_t quote = std::min(q.size(), kIp6MinMtu - kIp6Header - 8);
  expect(d.size() == kIp6Header + 8 + quote,
         "quotes " + std::to_string(d.size() - kIp6Header - 8) + " bytes, want " + std::to_string(quote));
  expect(same(d, 48, q, 0, std::min(quote, d.size() - 48)), "the quote is not the start of the offending packet");
}

}  // namespace

SentReading check_sent6(const Bytes& in, LinkLayer link, const FrameReading& r, const std::vector<Bytes>& sent,
                        std::size_t mtu) {
  SentReading s;
  s.kind = SentKind::unexpected;
  if (!r.delivered) {
    s.problems.push_back(std::to_string(sent.size()) + " frame(s) sent for an IPv6 packet that hands nothing up");
    return s;
  }
  if (sent.size() != 1) {
    s.problems.push_back(std::to_string(sent.size()) + " frames sent for one IPv6 packet");
    return s;
  }
  const Bytes& q = *r.delivered;
  const Bytes& out = sent.front();
  const std::size_t at = link == LinkLayer::ethernet ? kEth : 0;
  if (out.size() < at + kIp6Header + 8 || (out[at] >> 4) != 6) {
    s.problems.push_back("sent something that is not an IPv6 packet with an ICMPv6 header");
    return s;
  }
  const std::size_t total = kIp6Header + get16(out, at + 4);
  const std::size_t want = link == LinkLayer::ethernet ? std::max(kEthMin, kEth + total) : total;
  if (out.size() != want || total > mtu) {
    s.problems.push_back("frame is " + std::to_string(out.size()) + " bytes, want " + std::to_string(want) +
                         " (payload length " + std::to_string(total - kIp6Header) + ", MTU " + std::to_string(mtu) +
                         ")");
    return s;
  }
  const Bytes d = slice(out, at, total);
  const std::uint8_t type = d[40];
  const bool probe = type == 136 && is_unspecified6(ip6_at(q, 8));
  if (link == LinkLayer::ethernet) {
    const Expect expect = expector(s.problems);
    expect(probe ? mac_is_all_nodes(out, 0) : same(out, 0, in, 6, 6),
           probe ? "Ethernet destination is not 33:33:00:00:00:01 (all-nodes)"
                 : "Ethernet destination is not the request's Ethernet source");
    expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
    expect(get16(out, 12) == 0x86dd, "EtherType is not IPv6");
    expect(all_zero(out, kEth + total), "Ethernet padding is not zero");
  }
  if (type == 129) {
    s.kind = SentKind::echo_reply;
    check_echo_reply6(q, r.l4, d, s.problems);
  } else if (type == 136) {
    s.kind = SentKind::neighbor_advertisement;
    check_advertisement(q, r.l4, d, s.problems);
  } else if (type == 4 || type == 1) {
    s.kind = type == 4 ? SentKind::parameter_problem : SentKind::unreachable;
    s.code = d[41];
    check_error6(r, q, d, s.problems);
  } else {
    s.problems.push_back("sent ICMPv6 type " + std::to_string(type) + ", which answers nothing here");
  }
  return s;
}

}  // namespace ministack::realworld
