// A crafted capture that triggers every drop reason a received frame can end in: each one's trace names the reason
// with its rule (trace_harness.hpp says what else a trace must tell, and how the capture is replayed).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "device/pcap_writer.hpp"
#include "packets.hpp"
#include "packets6.hpp"
#include "stack/tcp/initial_sequence.hpp"
#include "temp_files.hpp"
#include "trace_harness.hpp"

namespace trace_test {
namespace {

using packets::Frame;

// ---- a crafted capture: every drop reason a received frame can end in -------------------------------------------

// Drop reasons no received frame's verdict can carry: they are counted by timers or on the sending side.
const std::set<DropReason> kNotFromReceive = {
    DropReason::reasm_timeout,            // Ipv4Reassembler::expire(): a datagram, not a frame, runs out of time
    DropReason::icmp_error_rate_limited,  // an error not sent; the frame it was about keeps its own reason
    DropReason::arp_queue_full,           // Stack::send_udp(): a datagram we originate
    DropReason::arp_unresolved,           // Stack::poll(): queued datagrams whose ARP never resolved
};

struct Crafted {
  std::string what;
  Frame frame;
  std::optional<DropReason> expect;  // nullopt: a frame that sets the stage (a fragment held)
};

using packets::ethernet;
using packets::Ethernet;
using packets::Ipv4;
using packets::kOurMac;
using packets::kPeerMac;
using packets::pattern;
using packets::put16;

constexpr MacAddress kGroupMac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
constexpr Ipv4Address kOurBroadcast{0xc0a803ff};  // 192.168.3.255

// A UDP datagram from kPeerIp to us (packets::udp): with a correct checksum, a wrong one, or none.
Frame udp(std::uint16_t destination_port, const Frame& payload) {
  return packets::udp({.destination_port = destination_port, .payload = payload});
}
Frame udp_with_bad_checksum(std::uint16_t destination_port, const Frame& payload) {
  Frame u = udp(destination_port, payload);
  put16(u, 6, static_cast<std::uint16_t>(packets::get16(u, 6) ^ 0x0101));
  return u;
}
Frame udp_without_checksum(std::uint16_t destination_port, const Frame& payload) {
  return packets::udp({.destination_port = destination_port, .payload = payload, .checksum = 0});
}

Frame ip_frame(const Ipv4& h, const Frame& payload, const Ethernet& e = {}) {
  return ethernet(e, packets::ipv4(h, payload));
}

std::vector<Crafted> crafted_ethernet_frames() {
  const Frame echo = packets::icmp({});
  Frame arp_cut = packets::arp_frame();
  arp_cut.resize(14 + 20);
  Frame short_icmp = packets::icmp({.data = {}});
  short_icmp.resize(4);
  const Ethernet to_all{MacAddress::broadcast(), kPeerMac, packets::ethertype::ipv4};
  const Frame fragment16 = pattern(16);
  return {
      {"10 bytes: no room for an Ethernet header", Frame(10, 0xab), DropReason::eth_truncated},
      {"70000 bytes: longer than any frame a TAP delivers", Frame(70000, 0xab), DropReason::frame_too_long},
      {"echo request to another MAC", packets::echo_request_frame({}, {}, {.destination = kPeerMac}),
       DropReason::eth_not_for_us},
      {"from a multicast MAC", packets::echo_request_frame({}, {}, {.source = kGroupMac}), DropReason::eth_bad_source},
      {"an IPv6 EtherType holding no IPv6", ethernet({.type = packets::ethertype::ipv6}, pattern(40)),
       DropReason::ipv6_bad_version},
      {"802.1Q-tagged", ethernet({.type = packets::ethertype::vlan}, pattern(40)), DropReason::eth_vlan_not_supported},
      {"LLDP", ethernet({.type = 0x88cc}, pattern(40)), DropReason::eth_unsupported_type},
      {"ARP cut to 20 bytes", arp_cut, DropReason::arp_truncated},
      {"ARP over hardware type 6", packets::arp_frame({.htype = 6}), DropReason::arp_unsupported_format},
      {"ARP from a multicast sender", packets::arp_frame({.sender_mac = kGroupMac}), DropReason::arp_bad_sender},
      {"ARP who-has another address", packets::arp_frame({.target_ip = packets::ipv4_address(192, 168, 3, 13)}),
       DropReason::arp_not_for_us},
      {"ARP reply to us", packets::arp_frame({.operation = 2, .target_mac = kOurMac}, {kOurMac, kPeerMac, 0x0806}),
       DropReason::arp_not_request},
      {"total length beyond the frame", ip_frame({.total_length = 1000}, echo), DropReason::ip_truncated},
      {"IP version 5", ip_frame({.version = 5}, echo), DropReason::ip_bad_version},
      {"IHL 4", ip_frame({.ihl = 4}, echo), DropReason::ip_bad_ihl},
      {"total length 19", ip_frame({.total_length = 19}, echo), DropReason::ip_bad_total_length},
      {"bad header checksum", ip_frame({.bad_checksum = true}, echo), DropReason::ip_bad_checksum},
      {"to another IP address", ip_frame({.destination = packets::ipv4_address(192, 168, 3, 99)}, echo),
       DropReason::ip_not_for_us},
      {"from 127.0.0.1", ip_frame({.source = packets::ipv4_address(127, 0, 0, 1)}, echo), DropReason::ip_bad_source},
      {"unicast IP in a link broadcast", ip_frame({}, echo, to_all), DropReason::ip_link_broadcast},
      {"Record Route longer than the options", ip_frame({.options = {0x07, 0x27, 0x04, 0x00}}, echo),
       DropReason::ip_bad_options},
      {"echo request to the subnet broadcast", ip_frame({.destination = kOurBroadcast}, echo, to_all),
       DropReason::ip_broadcast_echo_ignored},
      {"first fragment of datagram 0x1111", ip_frame({.identification = 0x1111, .flags_fragment = 0x2000}, fragment16),
       std::nullopt},
      {"overlapping fragment of 0x1111", ip_frame({.identification = 0x1111, .flags_fragment = 0x2001}, fragment16),
       DropReason::reasm_overlap},
      {"first fragment of datagram 0x2222", ip_frame({.identification = 0x2222, .flags_fragment = 0x2000}, fragment16),
       std::nullopt},
      {"the same fragment again", ip_frame({.identification = 0x2222, .flags_fragment = 0x2000}, fragment16),
       DropReason::reasm_duplicate},
      {"last fragment of datagram 0x6666, ending at 32",
       ip_frame({.identification = 0x6666, .flags_fragment = 0x0002}, pattern(16)), std::nullopt},
      {"a second last fragment, ending at 16",
       ip_frame({.identification = 0x6666, .flags_fragment = 0x0001}, pattern(8)), DropReason::reasm_conflict},
      {"last fragment at offset 65528", ip_frame({.identification = 0x3333, .flags_fragment = 0x1fff}, pattern(64)),
       DropReason::reasm_oversize},
      {"a non-final fragment of 12 bytes", ip_frame({.identification = 0x4444, .flags_fragment = 0x2000}, pattern(12)),
       DropReason::reasm_bad_length},
      {"a 16 KB datagram, over the reassembly memory cap",
       ip_frame({.identification = 0x5555, .flags_fragment = 2000}, pattern(8)), DropReason::reasm_evicted},
      {"protocol 132 (SCTP)", ip_frame({.protocol = 132}, pattern(20)), DropReason::ip_unknown_protocol},
      {"TCP of 12 bytes", ip_frame({.protocol = 6}, pattern(12)), DropReason::tcp_truncated},
      {"TCP data offset 4", ip_frame({.protocol = 6}, packets::tcp({.data_offset = 4})),
       DropReason::tcp_bad_data_offset},
      {"bad TCP checksum", ip_frame({.protocol = 6}, packets::tcp({.checksum = 0x1234})), DropReason::tcp_bad_checksum},
      {"TCP option of length 1", ip_frame({.protocol = 6}, packets::tcp({.options = {0x02, 0x01, 0x01, 0x01}})),
       DropReason::tcp_bad_options},
      {"TCP SYN to the subnet broadcast",
       ip_frame({.protocol = 6, .destination = kOurBroadcast}, packets::tcp({.destination = kOurBroadcast}), to_all),
       DropReason::tcp_to_broadcast},
      {"TCP RST to a closed port", ip_frame({.protocol = 6}, packets::tcp({.flags = packets::tcp_flags::rst})),
       DropReason::tcp_reset_ignored},
      {"TCP SYN to port 80", ip_frame({.protocol = 6}, packets::tcp({})), DropReason::tcp_port_closed},
      {"ICMP of 4 bytes", ip_frame({}, short_icmp), DropReason::icmp_truncated},
      {"bad ICMP checksum", ip_frame({}, packets::icmp({.bad_checksum = true})), DropReason::icmp_bad_checksum},
      {"an echo reply", ip_frame({}, packets::icmp({.type = 0})), DropReason::icmp_type_ignored},
      {"UDP of 4 bytes", ip_frame({.protocol = 17}, pattern(4)), DropReason::udp_truncated},
      {"bad UDP checksum", ip_frame({.protocol = 17}, udp_with_bad_checksum(7, pattern(6))),
       DropReason::udp_bad_checksum},
      {"UDP to port 9", ip_frame({.protocol = 17}, udp_without_checksum(9, pattern(6))),
       DropReason::udp_port_unreachable},
  };
}

// IPv6 on TAP: every reason the IPv6, ICMPv6 and neighbor discovery code can drop a frame for.
std::vector<Crafted> crafted_ipv6_frames() {
  using namespace packets6;  // NOLINT(google-build-using-namespace): the test vocabulary
  const Frame echo = packets::slice(echo_request6(), 40, 64);
  const auto options = [&](std::uint8_t type) {
    return ipv6({.next_header = 60}, packets::concat(Frame{58, 0, type, 2, 0, 0, 1, 0}, echo));
  };
  Frame long_payload = echo_request6();
  packets::put16(long_payload, 4, 500);
  Frame version7 = echo_request6();
  version7[0] = 0x70;
  Frame bad_sum = echo_request6();
  bad_sum[60] ^= 1;
  Frame routing = {58, 2, 0, 1, 0, 0, 0, 0};
  routing.resize(24, 0);
  const packets6::Ipv6 nd{.source = kPeerGlobal, .destination = kOurGlobal, .hop_limit = 255};
  const packets6::Ipv6 to_all{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 255};
  const packets6::Ipv6 mld{.source = kPeerLinkLocal, .destination = kAllNodes, .hop_limit = 1};
  const ministack::MacAddress all_nodes = group_mac(kAllNodes);
  return {
      {"IPv6 to a group we never joined (MLDv2 routers)", frame6(echo_request6(), group_mac(address("ff02::16"))),
       DropReason::eth_multicast_not_joined},
      {"IPv6 payload length beyond the frame", frame6(long_payload), DropReason::ipv6_truncated},
      {"IPv6 version 7", frame6(version7), DropReason::ipv6_bad_version},
      {"IPv6 jumbogram (payload length 0, hop-by-hop)", frame6(ipv6({.next_header = 0}, {})),
       DropReason::ipv6_bad_length},
      {"IPv6 to another address", frame6(echo_request6({.destination = address("fd00:3::99")})),
       DropReason::ipv6_not_for_us},
      {"IPv6 from ::1", frame6(echo_request6({.source = address("::1")})), DropReason::ipv6_bad_source},
      {"IPv6 options past the header", frame6(ipv6({.next_header = 60}, Frame{58, 1, 1, 4, 0, 0, 0, 0})),
       DropReason::ipv6_bad_extension},
      {"IPv6 option type 0x9e (discard, report)", frame6(options(0x9e)), DropReason::ipv6_unrecognized_option},
      {"IPv6 routing header with a segment left", frame6(ipv6({.next_header = 43}, packets::concat(routing, echo))),
       DropReason::ipv6_routing_header},
      {"IPv6 first fragment of 13 bytes",
       frame6(ipv6({.next_header = 44}, Frame{17, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3, 4, 5})), DropReason::ipv6_bad_fragment},
      {"IPv6 first fragment cutting TCP's header short",
       frame6(ipv6({.next_header = 44}, packets::concat(Frame{6, 0, 0, 1, 0, 0, 0, 8}, pattern(8)))),
       DropReason::ipv6_header_chain_incomplete},
      {"IPv6 next header 99", frame6(ipv6({.next_header = 99}, pattern(16))), DropReason::ipv6_unknown_next_header},
      {"IPv6 no next header", frame6(ipv6({.next_header = 59}, {})), DropReason::ipv6_no_next_header},
      {"ICMPv6 of 4 bytes", frame6(ipv6({}, Frame{128, 0, 0, 0})), DropReason::icmp6_truncated},
      {"bad ICMPv6 checksum", frame6(bad_sum), DropReason::icmp6_bad_checksum},
      {"an ICMPv6 echo reply", frame6(ipv6({}, icmpv6(129, 0, 0, pattern(8), {}))), DropReason::icmp6_type_ignored},
      {"NS with hop limit 64", frame6(neighbor_solicitation(kOurGlobal, {.hop_limit = 64})), DropReason::nd_invalid},
      {"NS for another address", frame6(neighbor_solicitation(address("fd00:3::77"), nd)), DropReason::nd_not_for_us},
      {"a router advertisement", frame6(ipv6(to_all, icmpv6(134, 0, 0, pattern(8), to_all)), all_nodes),
       DropReason::nd_router_ignored},
      {"NA claiming our address",
       frame6(neighbor_advertisement(kOurGlobal, packets::kPeerMac, 0x20, to_all), all_nodes),
       DropReason::nd_duplicate_address},
      {"an MLD query", frame6(ipv6(mld, icmpv6(130, 0, 0, pattern(20), mld)), all_nodes), DropReason::mld_ignored},
      {"an IPv6 echo request", frame6(echo_request6()), std::nullopt},
  };
}

// The TUN capture's configuration: TCP caps small enough to reach with a few frames (one half-open connection,
// queues for two connections in all, one run of data held out of order).
StackConfig crafted_ip_config() {
  StackConfig config;
  config.tcp.max_half_open = 1;
  config.tcp.syn_cookies = false;  // so that a full SYN queue drops (the cookies have their own tests)
  config.tcp.connection.max_out_of_order = 1;
  config.tcp.total_buffer_bytes = 2 * config.tcp.connection.buffer_bytes;
  return config;
}

// When frame `index` of a crafted capture arrives (explain() writes them a millisecond apart from kCraftedStart).
constexpr std::chrono::seconds kCraftedStart{1'800'000'000};
ministack::Instant crafted_instant(std::size_t index) {
  const auto at = std::chrono::microseconds{kCraftedStart} + std::chrono::milliseconds{index};
  return {std::chrono::duration_cast<ministack::Duration>(at), at};
}

// A segment from the peer's `port` to the echo port, in a bare IPv4 packet.
Frame to_echo(std::uint16_t port, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, const Frame& data = {}) {
  return packets::ipv4({.protocol = 6}, packets::tcp({.source_port = port,
                                                      .destination_port = 7,
                                                      .sequence = seq,
                                                      .acknowledgment = ack,
                                                      .flags = flags,
                                                      .payload = data}));
}

std::vector<Crafted> crafted_ip_packets() {
  namespace flag = packets::tcp_flags;
  Frame ipv6(40);
  ipv6[0] = 0x60;
  const packets6::Ipv6 nd{.destination = packets6::kOurGlobal, .hop_limit = 255};
  std::vector<Crafted> out = {{"an IPv6 jumbogram on TUN", ipv6, DropReason::ipv6_bad_length},
                              {"a neighbor solicitation on TUN",
                               packets6::neighbor_solicitation(packets6::kOurGlobal, nd), DropReason::nd_no_link_layer},
                              {"an IPv4 echo request on TUN", packets::echo_request(), std::nullopt}};
  // Our ISS for a SYN from `port` arriving as the next frame: the stack's own RFC 6528 function, with its secret.
  const StackConfig config = crafted_ip_config();
  const auto iss = [&](std::uint16_t port) {
    return ministack::tcp::initial_sequence(config.tcp.isn_secret, {packets::kOurIp, 7, packets::kPeerIp, port},
                                            crafted_instant(out.size()));
  };
  const auto add = [&](const char* what, const Frame& f, std::optional<DropReason> expect) {
    out.push_back({what, f, expect});
  };
  // Connection A, from port 50001, IRS 1000: established, then segments each rule refuses.
  const std::uint32_t a = iss(50001);
  add("A: SYN to the echo port", to_echo(50001, 1000, 0, flag::syn), std::nullopt);
  add("A: the handshake's ACK", to_echo(50001, 1001, a + 1, flag::ack), std::nullopt);
  add("A: data 5 bytes past RCV.NXT, held", to_echo(50001, 1006, a + 1, flag::ack, pattern(1)), std::nullopt);
  add("A: data 9 bytes past RCV.NXT, a second run", to_echo(50001, 1010, a + 1, flag::ack, pattern(1)),
      DropReason::tcp_out_of_order);
  add("A: an ACK for data never sent", to_echo(50001, 1001, a + 1000, flag::ack), DropReason::tcp_ack_unsent);
  add("A: an ACK older than any window", to_echo(50001, 1001, a + 1 - 200000, flag::ack), DropReason::tcp_ack_too_old);
  add("A: far outside the receive window", to_echo(50001, 1001 + 1000000, a + 1, flag::ack),
      DropReason::tcp_out_of_window);
  add("A: a RST in the window, not at RCV.NXT", to_echo(50001, 1011, 0, flag::rst), DropReason::tcp_reset_challenged);
  add("A: a SYN in the window", to_echo(50001, 1004, 0, flag::syn), DropReason::tcp_syn_challenged);
  add("A: data without ACK", to_echo(50001, 1001, 0, flag::psh, pattern(3)), DropReason::tcp_no_ack);
  // Connection B half-open fills the SYN queue (cap 1); once B is established, the queues' cap (2) is full.
  const std::uint32_t b = iss(50002);
  add("B: SYN", to_echo(50002, 5000, 0, flag::syn), std::nullopt);
  add("C: SYN while B is half-open", to_echo(50003, 7000, 0, flag::syn), DropReason::tcp_syn_queue_full);
  add("B: the handshake's ACK", to_echo(50002, 5001, b + 1, flag::ack), std::nullopt);
  add("D: SYN with two connections' queues in use", to_echo(50004, 9000, 0, flag::syn),
      DropReason::tcp_too_many_connections);
  add("E: an ACK to the listening port", to_echo(50005, 1, 2, flag::ack), DropReason::tcp_bad_ack);
  add("E: data without SYN to the listening port", to_echo(50005, 1, 0, flag::psh, pattern(2)),
      DropReason::tcp_listen_no_syn);
  return out;
}

class CraftedTrace : public ::testing::Test {
 protected:
  // Writes the frames as a capture, a millisecond apart, and explains it.
  TracedReplay explain(const std::vector<Crafted>& frames, int dlt, const StackConfig& config) {
    const auto path = dir_.path() / fmt::format("crafted-{}.pcap", dlt);
    {
      PcapWriter writer(path.string(), dlt);
      Received::Timestamp t{kCraftedStart};
      for (const Crafted& c : frames) {
        writer.write(c.frame, t);
        t += std::chrono::milliseconds{1};
      }
    }
    return trace_capture(path.string(), config);
  }

  void check(const std::vector<Crafted>& crafted, const TracedReplay& replay, std::set<DropReason>& seen) {
    ASSERT_EQ(replay.frames.size(), crafted.size());
    for (std::size_t i = 0; i < crafted.size(); ++i) {
      const TracedFrame& f = replay.frames[i];
      SCOPED_TRACE(fmt::format("crafted frame {}: {}\n{}", i + 1, crafted[i].what, f.printed));
      ASSERT_EQ(f.verdict.drop.has_value(), crafted[i].expect.has_value());
      if (crafted[i].expect) {
        EXPECT_EQ(describe(*f.verdict.drop).name, describe(*crafted[i].expect).name);
        seen.insert(*f.verdict.drop);
      }
      // Only a frame too short for its Ethernet header has no link line before its drop.
      const bool no_header = crafted[i].expect == DropReason::eth_truncated;
      check_frame(replay.link, f, "crafted", !no_header);
      if (no_header) {
        EXPECT_EQ(f.events.size(), 1u) << "eth_truncated: the drop is all there is to say";
      }
    }
  }

  ministack::testing::TempDir dir_{"ministack-trace"};
};

TEST_F(CraftedTrace, EveryDropFromReceiveIsNamedWithItsRule) {
  // The one setting that differs from `ministack explain`'s: a reassembly memory cap small enough that a datagram
  // reaching 16 KB can never fit (the cap's floor on the command line is 64 KiB; the stack takes any).
  StackConfig tap;
  tap.reassembly.max_bytes = 8 * 1024;
  const auto ethernet_frames = crafted_ethernet_frames();
  const auto ipv6_frames = crafted_ipv6_frames();
  const auto ip_packets = crafted_ip_packets();
  std::set<DropReason> seen;
  check(ethernet_frames, explain(ethernet_frames, kDltEthernet, tap), seen);
  check(ipv6_frames, explain(ipv6_frames, kDltEthernet, StackConfig{}), seen);
  check(ip_packets, explain(ip_packets, kDltRaw, crafted_ip_config()), seen);
  StackConfig no_ipv6;
  no_ipv6.ipv6 = false;
  const std::vector<Crafted> off = {
      {"IPv6 with IPv6 turned off", packets6::frame6(packets6::echo_request6()), DropReason::ipv6_not_spoken}};
  check(off, explain(off, kDltEthernet, no_ipv6), seen);

  // No unexplained drop: every reason is either triggered above, printed with its rule, or one no received frame
  // can end in. A new reason fails here until it is crafted or listed in kNotFromReceive.
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    const auto info = describe(reason);
    EXPECT_TRUE(mentions_a_rule(info.rule)) << info.name << ": '" << info.rule << "' names no RFC or IEEE rule";
    if (kNotFromReceive.contains(reason)) {
      EXPECT_FALSE(seen.contains(reason)) << info.name << " came from receive(): take it off kNotFromReceive";
    } else {
      EXPECT_TRUE(seen.contains(reason)) << info.name << ": no crafted frame ends in it";
    }
  }
  std::cout << fmt::format("{} of {} drop reasons triggered by crafted frames, each printed with its rule; {} only "
                           "from timers or sending\n",
                           seen.size(), kDropReasonCount, kNotFromReceive.size());
}

// The answer to an unknown protocol is told in full: ipv4, then icmp (the error), out, sent, and only then the drop.
TEST_F(CraftedTrace, AnErrorSentIsExplainedBeforeTheDrop) {
  const std::vector<Crafted> frames = {
      {"protocol 132 (SCTP)", ip_frame({.protocol = 132}, pattern(20)), DropReason::ip_unknown_protocol}};
  const TracedReplay replay = explain(frames, kDltEthernet, StackConfig{});
  ASSERT_EQ(replay.frames.size(), 1u);
  const TracedFrame& f = replay.frames.front();
  EXPECT_EQ(f.verdict.frames_sent, 1u);
  EXPECT_NE(f.printed.find("      icmp destination unreachable, code 2 (protocol)"), std::string::npos) << f.printed;
  EXPECT_LT(f.printed.find("  sent "), f.printed.find("  dropped: ip_unknown_protocol: ")) << f.printed;
}

// A segment for a closed port is refused by TCP itself (RFC 9293 §3.10.7.1): ipv4, then tcp, out, the RST sent, and
// only then the drop; no ICMP error, and no icmp line.
TEST_F(CraftedTrace, ARstSentIsExplainedBeforeTheDrop) {
  const std::vector<Crafted> frames = {
      {"TCP SYN to port 80", ip_frame({.protocol = 6}, packets::tcp({})), DropReason::tcp_port_closed}};
  const TracedReplay replay = explain(frames, kDltEthernet, StackConfig{});
  std::set<DropReason> seen;
  check(frames, replay, seen);
  ASSERT_EQ(replay.frames.size(), 1u);
  const TracedFrame& f = replay.frames.front();
  EXPECT_EQ(f.verdict.frames_sent, 1u);
  EXPECT_EQ(std::count_if(f.events.begin(), f.events.end(),
                          [](const Event& e) { return e.kind == Event::Kind::note && e.layer == Layer::icmp; }),
            0)
      << f.printed;
  EXPECT_LT(f.printed.find("  sent "), f.printed.find("  dropped: tcp_port_closed: ")) << f.printed;
}

}  // namespace
}  // namespace trace_test
