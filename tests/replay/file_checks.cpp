// Per-file certainties from the README (file_checks.hpp).
#include "file_checks.hpp"

#include <gtest/gtest.h>

#include "device/device.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <string>

namespace ministack::realworld {
namespace {

void expect_no_replies(const Replay& replay, const char* why) {
  for (const ReplayedFrame& f : replay.frames) {
    EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << " (" << kind_of(f.input, replay.link) << ") got "
                                << f.sent.size() << " frame(s) sent: " << why;
  }
}

// Fragments are reassembled: none is dropped for being one; the echo request that arrives in fragments is answered
// by the frame that completes it (its first fragment held silently until then); overlapping datagrams (teardrop and
// zeek's overlaps) are never answered, nor reported.
void expect_reassembly(const Replay& replay, const Outcome& o, const Expectation& e) {
  std::size_t echoes = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const FrameOutcome& fo = o.frames[i];
    const FrameReading& r = fo.reading;
    if (r.reassembled && r.delivered && (*r.delivered)[9] == 1 && (*r.delivered)[ihl_at(*r.delivered, 0)] == 8 &&
        get32(*r.delivered, 16) == kOurIp) {
      ++echoes;
      EXPECT_EQ(fo.sent, SentKind::echo_reply)
          << "frame " << f.index << " completes an echo request for us: it must be answered (sent "
          << sent_name(fo.sent) << ", dropped as " << (f.drop ? reason_name(*f.drop) : "nothing") << ")";
      EXPECT_FALSE(f.drop) << "frame " << f.index;
    }
    if (r.ipv4 && r.fragment && o.overlapping.count(key_of(f.input, r.l3))) {
      EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << ", a fragment of an overlapping datagram, got "
                                  << sent_name(fo.sent);
    }
  }
  EXPECT_EQ(echoes, e.reassembled_echoes) << "echo requests for us completed by reassembly";
  EXPECT_GT(o.held, 0u) << "fragments held until their datagram is complete";
  EXPECT_GT(o.completed, e.reassembled_echoes) << "datagrams reassembled (the echo, and others)";
  EXPECT_GE(o.overlapping.size(), 3u) << "datagrams with overlapping fragments (teardrop, zeek)";
  EXPECT_GT(count_drops(replay, DropReason::reasm_overlap), 0u);
  // The TCP segments that arrive in fragments (suricata's 3-fragment SYN and others) are refused whole.
  std::size_t reassembled_resets = 0;
  for (const FrameOutcome& fo : o.frames) {
    if (fo.reading.reassembled && fo.sent == SentKind::tcp_rst) ++reassembled_resets;
  }
  EXPECT_GT(reassembled_resets, 0u) << "RSTs refusing a TCP segment rebuilt from fragments";
}

// tp_vlan.pcap. No VLAN is configured: every tagged frame stops at the EtherType as eth_vlan_not_supported, unless the
// Ethernet header itself is already wrong (frame 6 comes from 11:11:11:11:11:11, a group address: eth_bad_source,
// checked by read_frame like every other drop).
void expect_vlan_stops_at_ethertype(const Replay& replay, const Outcome&, const Expectation&) {
  expect_no_replies(replay, "no VLAN is configured");
  std::size_t tagged = 0;
  for (const ReplayedFrame& f : replay.frames) {
    EXPECT_TRUE(f.drop) << "frame " << f.index;
    ASSERT_GE(f.input.size(), kEth);
    EXPECT_EQ(kind_of(f.input, replay.link), "VLAN-tagged frame") << "frame " << f.index;
    if (mac_is_group(f.input, 6) || !(mac_is(f.input, 0, kOurMac) || mac_is_broadcast(f.input, 0))) continue;
    ++tagged;
    EXPECT_EQ(f.drop, DropReason::eth_vlan_not_supported) << "frame " << f.index;
  }
  EXPECT_GE(tagged, replay.frames.size() - 1);
}

// tp_l2_misc.pcap: non-IP and runt frames, never answered.
void expect_l2_misc_stops_at_ethernet(const Replay& replay, const Outcome&, const Expectation&) {
  expect_no_replies(replay, "non-IP and runt frames are never answered");
  // Nothing here carries IP or ARP: every frame stops in the Ethernet layer (a group MAC we have not joined among
  // the reasons, RFC 2464 §7), or before it when it is longer than any frame a device delivers (frame 13, 125497
  // bytes).
  const std::set<DropReason> ethernet = {DropReason::frame_too_long,        DropReason::eth_truncated,
                                         DropReason::eth_not_for_us,        DropReason::eth_multicast_not_joined,
                                         DropReason::eth_bad_source,        DropReason::eth_unsupported_type,
                                         DropReason::eth_vlan_not_supported};
  for (const ReplayedFrame& f : replay.frames) {
    EXPECT_TRUE(f.drop && ethernet.count(*f.drop))
        << "frame " << f.index << " dropped as " << (f.drop ? reason_name(*f.drop) : "nothing");
  }
}

// tp_icmp_other.pcap: ICMP messages other than echo requests, never answered.
void expect_other_icmp_ignored_by_type(const Replay& replay, const Outcome&, const Expectation&) {
  expect_no_replies(replay, "no reply to ICMP messages other than echo requests, no error about an error");
  // The well-formed ones reach ICMP and are ignored there by type.
  std::size_t well_formed = 0;
  for (const ReplayedFrame& f : replay.frames) {
    if (read_frame(f.input, replay.link).faults != std::set<DropReason>{DropReason::icmp_type_ignored}) {
      continue;
    }
    ++well_formed;
    EXPECT_EQ(f.drop, DropReason::icmp_type_ignored) << "frame " << f.index;
  }
  EXPECT_GT(well_formed, 0u);
}

// tp_ipv4_other_proto.pcap. Nothing is answered here; an ICMP unreachable or a TCP RST is a validated MAY, about
// datagrams unicast to us only: never about the UDP broadcasts, the IGMP/VRRP/OSPF/... multicasts, a link-layer
// broadcast or datagrams for other hosts, which are the README's 16 "none". The TCP segments refused include
// segments with ACK and without (both rules of RFC 9293 §3.10.7.1), and those with bad checksums get nothing.
void expect_unreachables_only_unicast_to_us(const Replay& replay, const Outcome& o, const Expectation& e) {
  std::size_t none = 0, resets_of_acks = 0, resets_of_others = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const FrameReading& r = o.frames[i].reading;
    if (!f.sent.empty()) {
      EXPECT_TRUE(o.frames[i].sent == SentKind::unreachable || o.frames[i].sent == SentKind::tcp_rst)
          << "frame " << f.index << ": only unreachables and RSTs, not " << sent_name(o.frames[i].sent);
    }
    if (o.frames[i].sent == SentKind::tcp_rst) {
      std::size_t& resets = (f.input[r.l3 + r.ihl + 13] & kTcpAck) != 0 ? resets_of_acks : resets_of_others;
      ++resets;
    }
    const bool unicast_to_us = r.ipv4 && get32(f.input, r.l3 + 16) == kOurIp && mac_is(f.input, 0, kOurMac) &&
                               !mac_is_group(f.input, 6) && !bad_source(get32(f.input, r.l3 + 12));
    if (unicast_to_us) continue;
    ++none;
    EXPECT_TRUE(f.sent.empty()) << "frame " << f.index << " (" << kind_of(f.input, replay.link)
                                << ", not unicast to us from a host) got " << sent_name(o.frames[i].sent);
  }
  EXPECT_EQ(none, e.none) << "frames that must get nothing";
  EXPECT_EQ(o.answers, 0u);
  EXPECT_GT(count_drops(replay, DropReason::ip_unknown_protocol), 0u);
  EXPECT_GT(count_drops(replay, DropReason::udp_port_unreachable), 0u);
  EXPECT_GT(resets_of_acks, 0u) << "RSTs refusing segments with ACK (<SEQ=SEG.ACK><CTL=RST>)";
  EXPECT_GT(resets_of_others, 0u) << "RSTs refusing segments without ACK (<SEQ=0><ACK=SEG.SEQ+SEG.LEN>)";
  EXPECT_GE(count_drops(replay, DropReason::tcp_bad_checksum), 2u) << "the two source-routed segments (#25, #30)";
}

// tp_ipv4_malformed.pcap. The zeek pair: the bad-checksum echo request is dropped for it, its good twin (the control)
// answered.
void expect_bad_checksums_dropped(const Replay& replay, const Outcome&, const Expectation&) {
  EXPECT_GT(count_drops(replay, DropReason::icmp_bad_checksum), 0u);
  EXPECT_GT(count_drops(replay, DropReason::ip_bad_checksum), 0u);
}

// tun_tp_ipv4_raw101.pcap: reassembly as in tp_frag.pcap; and the two TCP segments of tp_ipv4_malformed.pcap that
// come there from a group MAC (dropped by Ethernet) reach TCP here: the one with an offloaded (bad) checksum and
// the one with no room for a header, each dropped by name with nothing sent.
void expect_raw_ip_reassembly_and_tcp_faults(const Replay& replay, const Outcome& o, const Expectation& e) {
  expect_reassembly(replay, o, e);
  EXPECT_GT(count_drops(replay, DropReason::tcp_bad_checksum), 0u);
  EXPECT_GT(count_drops(replay, DropReason::tcp_truncated), 0u);
}

// derived_eth_padding.pcap. Every frame is a short echo request padded or followed by a trailer; each one must show
// both.
void expect_ethernet_padding(const Replay& replay, const Outcome&, const Expectation&) {
  for (const ReplayedFrame& f : replay.frames) {
    ASSERT_GE(f.input.size(), kEth + 4);
    EXPECT_GT(f.input.size(), kEth + get16(f.input, kEth + 2)) << "frame " << f.index << " has no padding";
  }
}

// derived_ip_trailer_tun.pcap: every packet has a trailer after its total length, and is answered.
void expect_ip_trailer_answered(const Replay& replay, const Outcome& o, const Expectation&) {
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    ASSERT_GE(f.input.size(), 4u);
    EXPECT_GT(f.input.size(), get16(f.input, 2)) << "frame " << f.index << " has no trailer";
    EXPECT_EQ(o.frames[i].sent, SentKind::echo_reply) << "frame " << f.index;
  }
}

// The lines of an expect/ listing, by frame number.
std::map<std::size_t, std::string> read_listing(const std::filesystem::path& listing) {
  std::map<std::size_t, std::string> lines;
  std::ifstream in(listing);
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 2 || line[0] != '#' || !std::isdigit(static_cast<unsigned char>(line[1]))) continue;
    lines[std::stoul(line.substr(1))] = line;
  }
  return lines;
}

}  // namespace

void expect_frames_as_listed(const std::filesystem::path& listing, const Replay& replay, const Outcome& o) {
  if (!std::filesystem::is_regular_file(listing)) return;
  const std::map<std::size_t, std::string> lines = read_listing(listing);
  const std::vector<ListingException>& exceptions = listing_exceptions(listing.stem().string() + ".pcap");
  const auto says = [](const std::string& line, const char* what) { return line.find(what) != std::string::npos; };
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const auto it = lines.find(f.index);
    if (it == lines.end()) {
      ADD_FAILURE() << listing.filename().string() << " has no line for frame " << f.index;
      continue;
    }
    const std::string& line = it->second;
    const SentKind sent = o.frames[i].sent;
    const std::string where = listing.filename().string() + ": sent " + sent_name(sent) + " for " + line;
    const auto excepted = std::find_if(exceptions.begin(), exceptions.end(), [&](const ListingException& x) {
      return x.frame == f.index && x.allowed == sent;
    });
    if (excepted != exceptions.end()) continue;  // an answer an RFC makes right: listing_exceptions()
    if (sent == SentKind::neighbor_advertisement) {
      EXPECT_TRUE(says(line, "neighbor advertisement")) << where;
    }
    if (sent == SentKind::parameter_problem) {
      EXPECT_TRUE(says(line, "parameter problem")) << where;
    }
    if (says(line, "=> nothing")) {
      EXPECT_EQ(sent, SentKind::nothing) << where;
    }
    if (says(line, "=> MUST")) {
      EXPECT_TRUE(sent == SentKind::arp_reply || sent == SentKind::echo_reply || sent == SentKind::udp_echo) << where;
    }
    if (sent == SentKind::tcp_rst) {
      EXPECT_TRUE(says(line, "TCP RST")) << where;
    }
    if (sent == SentKind::unreachable) {
      EXPECT_TRUE(says(line, "ICMP destination unreachable")) << where;
    }
  }
}

const std::map<std::string, FileCheck>& file_checks() {
  static const std::map<std::string, FileCheck> checks = {
      {"tp_vlan.pcap", expect_vlan_stops_at_ethertype},
      {"tp_ipv6.pcap", expect_ipv6_answered},
      {"tp_l2_misc.pcap", expect_l2_misc_stops_at_ethernet},
      {"tp_icmp_other.pcap", expect_other_icmp_ignored_by_type},
      {"tp_ipv4_other_proto.pcap", expect_unreachables_only_unicast_to_us},
      {"tp_frag.pcap", expect_reassembly},
      {"tun_tp_ipv4_raw101.pcap", expect_raw_ip_reassembly_and_tcp_faults},
      {"tun_tp_mixed_raw12.pcap", expect_ipv6_over_tun},
      {"tun_tp_ipv4_228.pcap", expect_ipv6_read_as_ipv6},
      {"tp_ipv4_malformed.pcap", expect_bad_checksums_dropped},
      {"derived_eth_padding.pcap", expect_ethernet_padding},
      {"derived_ip_trailer_tun.pcap", expect_ip_trailer_answered},
  };
  return checks;
}

}  // namespace ministack::realworld
