// Checks of what was sent (reply_checks.hpp): ARP replies, echo replies, UDP echoes, ICMP unreachables, TCP RSTs,
// and the datagram a set of sent frames carries, rebuilt from its fragments.
#include "reply_checks.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace ministack::realworld {
namespace {

Problems check_arp_reply(const Bytes& in, const Bytes& out) {
  Problems p;
  const Expect expect = expector(p);
  // The request: a well-formed Ethernet/IPv4 ARP request for our address, sent to us or to everyone.
  if (in.size() < kEth + 28) return {"reply to an ARP frame too short to be a request"};
  expect(mac_is(in, 0, kOurMac) || mac_is_broadcast(in, 0), "reply to an ARP frame for another MAC");
  expect(get16(in, kEth) == 1 && get16(in, kEth + 2) == 0x0800 && in[kEth + 4] == 6 && in[kEth + 5] == 4,
         "reply to an ARP packet that is not Ethernet/IPv4");
  expect(get16(in, kEth + 6) == 1, "reply to an ARP op " + std::to_string(get16(in, kEth + 6)) + ", not a request");
  expect(get32(in, kEth + 24) == kOurIp, "reply to an ARP request for " + ip_text(get32(in, kEth + 24)));
  expect(!mac_is_group(in, kEth + 8), "reply to an ARP request from a group sender address");

  // The reply: exactly 60 bytes, zero-padded, from us to the requester, saying who we are.
  expect(out.size() == kEthMin, "ARP reply is " + std::to_string(out.size()) + " bytes, not 60");
  if (out.size() < kEth + 28) return p;
  expect(same(out, 0, in, kEth + 8, 6), "Ethernet destination is not the request's sender MAC");
  expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
  expect(get16(out, 12) == 0x0806, "EtherType is not ARP");
  expect(get16(out, kEth) == 1 && get16(out, kEth + 2) == 0x0800 && out[kEth + 4] == 6 && out[kEth + 5] == 4,
         "ARP reply is not Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4)");
  expect(get16(out, kEth + 6) == 2, "ARP opcode is not 2 (reply)");
  expect(mac_is(out, kEth + 8, kOurMac), "sender hardware address is not ours");
  expect(get32(out, kEth + 14) == kOurIp, "sender protocol address is not 192.168.3.12");
  expect(same(out, kEth + 18, in, kEth + 8, 6), "target hardware address is not the request's sender");
  expect(same(out, kEth + 24, in, kEth + 14, 4), "target protocol address is not the request's sender");
  expect(all_zero(out, kEth + 28), "padding after the ARP packet is not zero");
  return p;
}

// Both take whole datagrams (exactly their total length): the request as handed up (reassembled if it came in
// fragments), the reply as sent (rebuilt from its fragments if it was fragmented).
Problems check_echo_reply(const Bytes& request, const Bytes& reply) {
  Problems p;
  const Expect expect = expector(p);
  // The request: an ICMP echo request for us, well-formed at every layer.
  if (request.size() < 20 || request[0] >> 4 != 4) return {"reply to something that is not an IPv4 packet"};
  const std::size_t ihl = ihl_at(request, 0), total = request.size();
  if (ihl < 20 || total < ihl + 8 || get16(request, 2) != total) return {"reply to a malformed IPv4 packet"};
  expect(checksum_ok(request, 0, ihl), "reply to a packet with a bad IP header checksum");
  expect(get32(request, 16) == kOurIp, "reply to a packet for " + ip_text(get32(request, 16)));
  expect(!bad_source(get32(request, 12)), "reply to a packet from " + ip_text(get32(request, 12)));
  expect(!is_fragment_at(request, 0), "reply to a fragment");
  expect(request[9] == 1, "reply to IP protocol " + std::to_string(request[9]));
  const std::size_t icmp_length = total - ihl;
  expect(request[ihl] == 8, "reply to ICMP type " + std::to_string(request[ihl]) + ", not an echo request");
  expect(checksum_ok(request, ihl, total), "reply to an ICMP message with a bad checksum");

  // The reply.
  if (reply.size() < 20 || reply[0] >> 4 != 4) return p.empty() ? Problems{"reply is not an IPv4 packet"} : p;
  const std::size_t r_ihl = ihl_at(reply, 0);
  expect(r_ihl >= 20 && r_ihl <= reply.size(), "reply IHL " + std::to_string(r_ihl / 4) + " does not fit");
  if (r_ihl < 20 || r_ihl > reply.size()) return p;
  expect(reply.size() == r_ihl + icmp_length, "IP total length " + std::to_string(reply.size()) + ", want the " +
                                                  std::to_string(r_ihl) + "-byte header + the request's " +
                                                  std::to_string(icmp_length) + "-byte ICMP message");
  expect(!is_fragment_at(reply, 0), "reply is marked as a fragment");
  expect(reply[8] == kTtl, "TTL is " + std::to_string(reply[8]) + ", not 64");
  expect(reply[9] == 1, "IP protocol is not ICMP");
  expect(checksum_ok(reply, 0, r_ihl), "IP header checksum does not verify");
  expect(get32(reply, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(same(reply, 16, request, 12, 4), "IP destination is not the request's source");
  check_echoed_options(request, reply, p);
  if (reply.size() != r_ihl + icmp_length) return p;
  expect(reply[r_ihl] == 0, "ICMP type is " + std::to_string(reply[r_ihl]) + ", not 0 (echo reply)");
  expect(reply[r_ihl + 1] == 0 || reply[r_ihl + 1] == request[ihl + 1], "ICMP code is neither 0 nor the request's");
  expect(checksum_ok(reply, r_ihl, reply.size()), "ICMP checksum over the IP payload does not verify");
  expect(same(reply, r_ihl + 4, request, ihl + 4, 4), "identifier or sequence number differs from the request's");
  expect(same(reply, r_ihl + 8, request, ihl + 8, icmp_length - 8), "echo data differs from the request's");
  return p;
}

// The echo service (RFC 862) on UDP port 7: the same data back, ports swapped.
Problems check_udp_echo(const Bytes& request, const Bytes& reply) {
  Problems p;
  const Expect expect = expector(p);
  if (request.size() < 28 || request[0] >> 4 != 4) return {"UDP reply to something that is not a UDP datagram"};
  const std::size_t ihl = ihl_at(request, 0);
  if (ihl < 20 || request.size() < ihl + 8 || request[9] != 17) return {"UDP reply to something that is not UDP"};
  const std::size_t length = get16(request, ihl + 4);
  if (length < 8 || length > request.size() - ihl) return {"UDP reply to a truncated UDP datagram"};
  expect(get32(request, 16) == kOurIp, "UDP reply to a datagram for " + ip_text(get32(request, 16)));
  expect(!bad_source(get32(request, 12)), "UDP reply to a datagram from " + ip_text(get32(request, 12)));
  expect(get16(request, ihl + 2) == kEchoPort, "UDP reply to port " + std::to_string(get16(request, ihl + 2)));
  expect(get16(request, ihl + 6) == 0 || udp_checksum_ok(request, ihl, length), "UDP reply to a bad checksum");

  if (reply.size() < 28) return p.empty() ? Problems{"UDP reply shorter than its headers"} : p;
  expect(reply[0] == 0x45, "IP version/IHL is not 4/5");
  expect(reply.size() == 20 + length,
         "IP total length " + std::to_string(reply.size()) + ", want 20 + " + std::to_string(length));
  expect(!is_fragment_at(reply, 0), "reply is marked as a fragment");
  expect(reply[8] == kTtl, "TTL is not 64");
  expect(reply[9] == 17, "IP protocol is not UDP");
  expect(checksum_ok(reply, 0, 20), "IP header checksum does not verify");
  expect(get32(reply, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(same(reply, 16, request, 12, 4), "IP destination is not the request's source");
  if (reply.size() != 20 + length || reply[0] != 0x45) return p;
  expect(get16(reply, 20) == kEchoPort, "UDP source port is not 7");
  expect(same(reply, 22, request, ihl, 2), "UDP destination port is not the request's source port");
  expect(get16(reply, 24) == length, "UDP length differs from the request's");
  expect(get16(reply, 26) != 0 && udp_checksum_ok(reply, 20, length), "UDP checksum missing or wrong");
  expect(same(reply, 28, request, ihl + 8, length - 8), "UDP data differs from the request's");
  return p;
}

// ICMP destination unreachable (RFC 792) about the datagram `r` handed up: allowed only about a datagram unicast to
// us, not a link-layer broadcast, not a non-first fragment, not ICMP (never an error about an error, and ICMP is
// spoken here), from a source naming one host (RFC 1122 §3.2.2); code 3 for UDP, 2 for a protocol nobody speaks
// (RFC 1122 §3.2.2.1); quoting the datagram's start, its header and at least 8 bytes of data, the whole error at
// most 576 bytes (RFC 1812 §4.3.2.3).
Problems check_unreachable(const Bytes& in, LinkLayer link, const FrameReading& r, const Bytes& e) {
  if (!r.delivered) return {"an ICMP error about a frame that hands no datagram up"};
  Problems p;
  const Expect expect = expector(p);
  const Bytes& offending = *r.delivered;
  const std::size_t o_ihl = ihl_at(offending, 0), o_total = offending.size();
  const std::uint32_t o_source = get32(offending, 12), o_destination = get32(offending, 16);
  const std::uint8_t protocol = offending[9];
  expect(o_destination == kOurIp, "ICMP error about a datagram to " + ip_text(o_destination) +
                                      (is_broadcast(o_destination)   ? " (a broadcast)"
                                       : is_multicast(o_destination) ? " (multicast)"
                                                                     : " (another host)"));
  if (link == LinkLayer::ethernet) {
    expect(mac_is(in, 0, kOurMac), std::string("ICMP error about a frame sent to ") +
                                       (r.link_broadcast ? "the link-layer broadcast" : "another MAC"));
  }
  expect(!bad_source(o_source), "ICMP error to " + ip_text(o_source) + ", which does not name one host");
  expect(!r.fragment || r.reassembled, "ICMP error about a fragment");
  expect(protocol != 1,
         "ICMP error about an ICMP message (type " + std::to_string(o_total > o_ihl ? offending[o_ihl] : 0) + ")");
  const std::uint8_t want_code = protocol == 17 ? 3 : 2;
  if (protocol == 17) {
    expect(o_total >= o_ihl + 4 && get16(offending, o_ihl + 2) != kEchoPort, "port unreachable about UDP port 7");
  }

  if (e.size() < 28) return {"ICMP error shorter than its IP and ICMP headers"};
  expect(e[0] == 0x45, "IP version/IHL is not 4/5");
  expect(e[1] == kErrorTos, "TOS is " + std::to_string(e[1]) + ", not 0xc0 (internetwork control)");
  expect(!is_fragment_at(e, 0), "ICMP error is marked as a fragment");
  expect(e[8] == kTtl, "TTL is " + std::to_string(e[8]) + ", not 64");
  expect(e[9] == 1, "IP protocol is not ICMP");
  expect(checksum_ok(e, 0, 20), "IP header checksum does not verify");
  expect(get32(e, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(get32(e, 16) == o_source,
         "IP destination " + ip_text(get32(e, 16)) + " is not the offending source " + ip_text(o_source));
  expect(e.size() <= kMaxErrorLength, "ICMP error is " + std::to_string(e.size()) + " bytes, more than 576");
  expect(e[20] == 3, "ICMP type is " + std::to_string(e[20]) + ", not 3 (destination unreachable)");
  expect(e[21] == want_code, "ICMP code " + std::to_string(e[21]) + " about IP protocol " + std::to_string(protocol) +
                                 ", want " + std::to_string(want_code));
  expect(checksum_ok(e, 20, e.size()), "ICMP checksum does not verify");
  expect(get32(e, 24) == 0, "the unused word is not zero");
  const std::size_t quote = e.size() - 28;
  expect(quote >= std::min(o_total, o_ihl + 8),
         "quotes " + std::to_string(quote) + " bytes: less than the header and 8 bytes of data");
  expect(quote <= o_total,
         "quotes " + std::to_string(quote) + " bytes of a " + std::to_string(o_total) + "-byte datagram");
  const std::size_t n = std::min(quote, o_total);
  if (!r.reassembled) {
    expect(same(e, 28, offending, 0, n), "the quote is not the start of the offending datagram");
  } else {
    // A reassembled datagram's header is the first fragment's with a new total length and checksum; whether DF is
    // kept there is the reassembler's choice. The rest must be what the fragments carried.
    bool equal = true;
    for (std::size_t i = 0; i < n; ++i) {
      const bool free_field = i == 6 || i == 7 || i == 10 || i == 11;
      if (!free_field && e[28 + i] != offending[i]) equal = false;
    }
    expect(equal, "the quote is not the start of the reassembled datagram");
    if (n >= o_ihl) {
      expect((get16(e, 28 + 6) & 0x3fff) == 0, "the quoted reassembled header is still marked as a fragment");
      expect(checksum_ok(e, 28, 28 + o_ihl), "the quoted reassembled header's checksum does not verify");
    }
  }
  return p;
}

// The RST that refuses a TCP segment for a port nobody listens on (RFC 9293 §3.10.7.1), or an ACK to a listening
// one (§3.10.7.2), about the segment `r` handed up: allowed only about a well-formed segment unicast to us from a
// host, never about a RST; from its destination port to its source port; if the segment has ACK,
// <SEQ=SEG.ACK><CTL=RST>, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN and FIN counted in SEG.LEN (§3.4),
// modulo 2^32; a bare 20-byte header, window 0, no urgent pointer, its checksum over the pseudo-header; in a
// 40-byte datagram with DF and TTL 64, whose TOS is the segment's less its ECN bits (a RST is not ECN-capable,
// RFC 3168 §6.1.1; what Linux sends, recorded in pcaps/*_tcp_closed_tos.pcap).
Problems check_rst(const Bytes& in, LinkLayer link, const FrameReading& r, const Bytes& rst) {
  if (!r.delivered) return {"a TCP RST about a frame that hands no datagram up"};
  Problems p;
  const Expect expect = expector(p);
  const Bytes& seg = *r.delivered;
  const std::size_t ihl = ihl_at(seg, 0), length = seg.size() - ihl;
  expect(seg[9] == 6, "a TCP RST about IP protocol " + std::to_string(seg[9]));
  if (seg[9] != 6 || length < kTcpHeader) return p.empty() ? Problems{"a TCP RST about a segment cut short"} : p;
  const std::uint32_t source = get32(seg, 12), destination = get32(seg, 16);
  expect(destination == kOurIp, "a TCP RST about a segment to " + ip_text(destination));
  if (link == LinkLayer::ethernet) expect(mac_is(in, 0, kOurMac), "a TCP RST about a frame not sent to our MAC");
  expect(!bad_source(source), "a TCP RST to " + ip_text(source) + ", which does not name one host");
  expect(!r.fragment || r.reassembled, "a TCP RST about a fragment");
  const std::size_t offset = tcp_data_offset_at(seg, ihl);
  expect(offset >= kTcpHeader && offset <= length, "a TCP RST about a segment with data offset " +
                                                       std::to_string(offset / 4) + " in " + std::to_string(length) +
                                                       " bytes");
  expect(tcp_checksum_ok(seg, ihl), "a TCP RST about a segment with a bad checksum");
  const std::uint8_t flags = seg[ihl + 13];
  expect((flags & kTcpRst) == 0, "a TCP RST about a RST");

  // The datagram.
  if (rst.size() < 20) return {"TCP RST shorter than an IP header"};
  expect(rst[0] == 0x45, "IP version/IHL is not 4/5");
  const auto want_tos = static_cast<std::uint8_t>(seg[1] & ~kEcnBits);
  expect(rst[1] == want_tos,
         "TOS is " + std::to_string(rst[1]) + ", not the segment's " + std::to_string(seg[1]) + " less its ECN bits");
  expect(rst.size() == 40, "IP total length " + std::to_string(rst.size()) + ", want 20 + a 20-byte TCP header");
  expect(get16(rst, 6) == 0x4000, "flags and offset are not DF alone");
  expect(rst[8] == kTtl, "TTL is " + std::to_string(rst[8]) + ", not 64");
  expect(rst[9] == 6, "IP protocol is not TCP");
  expect(checksum_ok(rst, 0, 20), "IP header checksum does not verify");
  expect(get32(rst, 12) == kOurIp, "IP source is not 192.168.3.12");
  expect(get32(rst, 16) == source, "IP destination " + ip_text(get32(rst, 16)) + " is not the segment's source");
  if (rst.size() != 40 || rst[0] != 0x45) return p;

  // The segment, against the one it answers.
  expect(same(rst, 20, seg, ihl + 2, 2), "TCP source port is not the segment's destination port");
  expect(same(rst, 22, seg, ihl, 2), "TCP destination port is not the segment's source port");
  const std::uint32_t seg_seq = get32(seg, ihl + 4), seg_ack = get32(seg, ihl + 8);
  const std::size_t data = offset <= length ? length - offset : 0;
  const auto seg_len = static_cast<std::uint32_t>(data + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0));
  const std::uint32_t want_seq = (flags & kTcpAck) ? seg_ack : 0;
  const std::uint32_t want_ack = (flags & kTcpAck) ? 0 : seg_seq + seg_len;  // wraps at 2^32
  const std::uint8_t want_flags = (flags & kTcpAck) ? kTcpRst : kTcpRst | kTcpAck;
  expect(get32(rst, 24) == want_seq, "sequence number " + std::to_string(get32(rst, 24)) + ", want " +
                                         std::to_string(want_seq) +
                                         ((flags & kTcpAck) ? " (SEG.ACK)" : " (0: the segment has no ACK)"));
  expect(get32(rst, 28) == want_ack, "acknowledgment number " + std::to_string(get32(rst, 28)) + ", want " +
                                         std::to_string(want_ack) +
                                         ((flags & kTcpAck) ? " (0: no ACK flag)" : " (SEG.SEQ + SEG.LEN)"));
  expect(rst[32] == 0x50, "data offset and reserved bits are not 5 and 0");
  expect(rst[33] == want_flags, "control bits " + tcp_flags_text(rst[33]) + ", want " + tcp_flags_text(want_flags) +
                                    " (the segment has " + tcp_flags_text(flags) + ")");
  expect(get16(rst, 34) == 0, "window " + std::to_string(get16(rst, 34)) + ", not 0");
  expect(get16(rst, 38) == 0, "urgent pointer is not 0");
  expect(tcp_checksum_ok(rst, 20), "TCP checksum over the pseudo-header does not verify");
  return p;
}

// One sent frame, `which` naming it in problems: its link header (to the requester, from us), and the IPv4 datagram
// in it (header checksum, at most `mtu` bytes, no trailer, zero padding); nothing when it holds no whole datagram.
std::optional<Bytes> sent_datagram(const Bytes& in, LinkLayer link, const Bytes& out, std::size_t mtu,
                                   const std::string& which, Problems& p) {
  const Expect expect = [&p, &which](bool ok, const std::string& what) {
    if (!ok) p.push_back(which + what);
  };
  std::size_t at = 0;
  if (link == LinkLayer::ethernet) {
    if (out.size() < kEth) {
      p.push_back(which + "shorter than an Ethernet header");
      return std::nullopt;
    }
    expect(same(out, 0, in, 6, 6), "Ethernet destination is not the request's Ethernet source");
    expect(mac_is(out, 6, kOurMac), "Ethernet source is not 02:00:00:00:00:01");
    expect(get16(out, 12) == 0x0800, "EtherType is not IPv4");
    at = kEth;
  }
  if (out.size() < at + 20 || out[at] >> 4 != 4) {
    p.push_back(which + "not an IPv4 packet");
    return std::nullopt;
  }
  const std::size_t ihl = ihl_at(out, at), total = get16(out, at + 2);
  if (ihl < 20 || total < ihl || at + total > out.size()) {
    p.push_back(which + "IHL " + std::to_string(ihl / 4) + " and total length " + std::to_string(total) +
                " do not fit a " + std::to_string(out.size()) + "-byte frame");
    return std::nullopt;
  }
  expect(checksum_ok(out, at, at + ihl), "IP header checksum does not verify");
  expect(total <= mtu,
         std::to_string(total) + "-byte datagram in one frame, over the " + std::to_string(mtu) + "-byte MTU");
  const std::size_t want = link == LinkLayer::ethernet ? std::max(kEthMin, kEth + total) : total;
  expect(out.size() == want, "frame is " + std::to_string(out.size()) + " bytes, want " + std::to_string(want) +
                                 " (no trailer, padding only to 60 on Ethernet)");
  if (link == LinkLayer::ethernet) expect(all_zero(out, kEth + total), "Ethernet padding is not zero");
  return slice(out, at, total);
}

// Whether several sent datagrams are the fragments of one (source, destination, protocol, identification); the
// problems of those that are: Don't Fragment set, TTLs that differ.
bool fragments_of_one_datagram(const std::vector<Bytes>& datagrams, Problems& p) {
  const Bytes& head = datagrams.front();
  for (const Bytes& d : datagrams) {
    if (!same(d, 12, head, 12, 8) || d[9] != head[9] || get16(d, 4) != get16(head, 4)) {
      p.push_back("the frames are not the fragments of one datagram (source, destination, protocol, identification)");
      return false;
    }
    if ((get16(d, 6) & 0x4000) != 0) p.push_back("a fragment with Don't Fragment set");
    if (d[8] != head[8]) p.push_back("fragments with different TTLs");
  }
  return true;
}

// The fragments of one datagram put together by offset (RFC 791 §3.2: offsets in 8-byte units, every fragment but
// the last with MF and a multiple of 8 bytes of data, no gap, no overlap); nothing when they do not fit together.
std::optional<Bytes> reassemble_fragments(const std::vector<Bytes>& datagrams, Problems& p) {
  std::vector<const Bytes*> order;
  for (const Bytes& d : datagrams) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(), [](const Bytes* a, const Bytes* b) {
    return fragment_offset_at(*a, 0) < fragment_offset_at(*b, 0);
  });
  Bytes whole = slice(*order.front(), 0, ihl_at(*order.front(), 0));
  const std::size_t header_length = whole.size();
  bool sound = true;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Bytes& d = *order[i];
    const std::size_t ihl = ihl_at(d, 0), offset = fragment_offset_at(d, 0), data = d.size() - ihl;
    const bool last = i + 1 == order.size();
    const std::size_t expected = whole.size() - header_length;
    if (offset != expected) {
      p.push_back("fragment at offset " + std::to_string(offset) + ", want " + std::to_string(expected) +
                  " (a gap or an overlap)");
      sound = false;
    }
    if (more_fragments_at(d, 0) == last) {
      p.push_back(last ? "the last fragment has MF set" : "a fragment before the last has MF clear");
    }
    if (!last && data % 8 != 0) {
      p.push_back("a non-final fragment carries " + std::to_string(data) + " bytes, not a multiple of 8");
    }
    whole.insert(whole.end(), d.begin() + static_cast<std::ptrdiff_t>(ihl), d.end());
  }
  if (!sound || whole.size() > kMaxDatagram) {
    if (whole.size() > kMaxDatagram) p.push_back("fragments add up to more than 65535 bytes");
    return std::nullopt;
  }
  put16(whole, 2, static_cast<std::uint16_t>(whole.size()));
  put16(whole, 6, static_cast<std::uint16_t>(get16(whole, 6) & 0xc000));
  set_ip_checksum(whole, 0, header_length);
  return whole;
}

// The IP datagram a set of sent frames carries: one frame, or the fragments of one datagram, rebuilt. Every frame is
// checked on the way (sent_datagram).
std::optional<Bytes> reply_datagram(const Bytes& in, LinkLayer link, const std::vector<Bytes>& sent, std::size_t mtu,
                                    bool& fragmented, Problems& p) {
  std::vector<Bytes> datagrams;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    const std::string which =
        sent.size() > 1 ? "frame " + std::to_string(k + 1) + " of " + std::to_string(sent.size()) + ": " : "";
    std::optional<Bytes> datagram = sent_datagram(in, link, sent[k], mtu, which, p);
    if (!datagram) return std::nullopt;
    datagrams.push_back(std::move(*datagram));
  }
  fragmented = datagrams.size() > 1;
  if (datagrams.size() == 1) {
    if (is_fragment_at(datagrams.front(), 0)) p.push_back("a lone frame marked as a fragment (MF or an offset)");
    return datagrams.front();
  }
  if (!fragments_of_one_datagram(datagrams, p)) return std::nullopt;
  return reassemble_fragments(datagrams, p);
}

}  // namespace

const char* sent_name(SentKind k) {
  switch (k) {
    case SentKind::nothing: return "nothing";
    case SentKind::arp_reply: return "ARP reply";
    case SentKind::echo_reply: return "echo reply";
    case SentKind::udp_echo: return "UDP echo";
    case SentKind::unreachable: return "ICMP unreachable";
    case SentKind::tcp_rst: return "TCP RST";
    case SentKind::neighbor_advertisement: return "neighbor advertisement";
    case SentKind::parameter_problem: return "ICMPv6 parameter problem";
    case SentKind::unexpected: return "something unexpected";
  }
  return "?";
}

// What the stack sent while handling `in` (read as `r`), and what is wrong with it.
SentReading check_sent(const Bytes& in, LinkLayer link, const FrameReading& r, const std::vector<Bytes>& sent,
                       std::size_t mtu) {
  SentReading s;
  if (sent.empty()) return s;
  if (r.ipv6) return check_sent6(in, link, r, sent, mtu);
  if (r.arp) {
    s.kind = SentKind::arp_reply;
    if (sent.size() != 1) s.problems.push_back(std::to_string(sent.size()) + " frames sent for one ARP request");
    for (const Bytes& out : sent) {
      for (std::string& problem : check_arp_reply(in, out)) s.problems.push_back(std::move(problem));
    }
    return s;
  }
  if (!r.delivered) {
    s.kind = SentKind::unexpected;
    s.problems.push_back(std::to_string(sent.size()) + " frame(s) sent for a " + kind_of(in, link) +
                         ", which hands no datagram up" +
                         (r.may_hold ? " (a fragment of an incomplete datagram)" : ""));
    return s;
  }
  const std::optional<Bytes> reply = reply_datagram(in, link, sent, mtu, s.fragmented, s.problems);
  if (!reply) {
    s.kind = SentKind::unexpected;
    return s;
  }
  const Bytes& d = *reply;
  const std::size_t ihl = ihl_at(d, 0);
  const auto add = [&s](Problems more) {
    for (std::string& problem : more) s.problems.push_back(std::move(problem));
  };
  if (d[9] == 1 && d.size() >= ihl + 2 && d[ihl] == 3) {
    s.kind = SentKind::unreachable;
    s.code = d[ihl + 1];
    add(check_unreachable(in, link, r, d));
    if (s.fragmented) s.problems.push_back("an ICMP error sent in fragments");
  } else if (d[9] == 1 && d.size() > ihl && d[ihl] == 0) {
    s.kind = SentKind::echo_reply;
    if (link == LinkLayer::ethernet && !(mac_is(in, 0, kOurMac) || mac_is_broadcast(in, 0))) {
      s.problems.push_back("reply to a frame sent to another MAC");
    }
    add(check_echo_reply(*r.delivered, d));
  } else if (d[9] == 17) {
    s.kind = SentKind::udp_echo;
    add(check_udp_echo(*r.delivered, d));
  } else if (d[9] == 6 && d.size() >= ihl + kTcpHeader && (d[ihl + 13] & kTcpRst) != 0) {
    s.kind = SentKind::tcp_rst;
    add(check_rst(in, link, r, d));
    if (s.fragmented) s.problems.push_back("a TCP RST sent in fragments");
  } else {
    s.kind = SentKind::unexpected;
    s.problems.push_back("sent IP protocol " + std::to_string(d[9]) +
                         (d[9] == 1 && d.size() > ihl ? ", ICMP type " + std::to_string(d[ihl]) : "") +
                         ", which answers nothing here");
  }
  return s;
}

}  // namespace ministack::realworld
