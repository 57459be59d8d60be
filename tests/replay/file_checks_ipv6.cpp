// Per-file certainties for IPv6 (file_checks.hpp), and the listing's documented exceptions: the frames of the IPv6
// set that expect/*.txt, written for an IPv4-only responder, says get nothing while an RFC has a host answer them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "file_checks.hpp"
#include "wire_reads_ipv6.hpp"

namespace ministack::realworld {
namespace {

constexpr const char* kRoutingHeader =
    "RFC 8200 §4.4: a routing header with segments left whose type the node does not know (type 0, deprecated by RFC "
    "5095 §3) MUST be refused with a parameter problem, code 0, pointing at the Routing Type";
constexpr const char* kDuplicateAddressProbe =
    "RFC 4861 §7.2.3-§7.2.4, RFC 4862 §5.4.3: a solicitation from :: for one of our addresses (another node's "
    "duplicate address detection) is answered with an advertisement to all-nodes, Solicited clear, which defends the "
    "address; Linux does the same";

std::size_t count_sent(const Outcome& o, SentKind kind) {
  return static_cast<std::size_t>(
      std::count_if(o.frames.begin(), o.frames.end(), [kind](const FrameOutcome& fo) { return fo.sent == kind; }));
}

}  // namespace

const std::vector<ListingException>& listing_exceptions(const std::string& file) {
  static const std::map<std::string, std::vector<ListingException>> table = {
      {"tp_ipv6.pcap",
       {{6, SentKind::parameter_problem, kRoutingHeader},
        {7, SentKind::parameter_problem, kRoutingHeader},
        {39, SentKind::parameter_problem, kRoutingHeader},
        {40, SentKind::parameter_problem, kRoutingHeader},
        {9, SentKind::neighbor_advertisement, kDuplicateAddressProbe},
        {34, SentKind::neighbor_advertisement, kDuplicateAddressProbe},
        {35, SentKind::neighbor_advertisement, kDuplicateAddressProbe}}},
      // The same packets without their link header: no neighbor discovery on TUN (RFC 4861 §1), so no advertisement.
      {"tun_tp_mixed_raw12.pcap",
       {{18, SentKind::parameter_problem, kRoutingHeader},
        {19, SentKind::parameter_problem, kRoutingHeader},
        {51, SentKind::parameter_problem, kRoutingHeader},
        {52, SentKind::parameter_problem, kRoutingHeader}}},
  };
  static const std::vector<ListingException> none;
  const auto it = table.find(file);
  return it == table.end() ? none : it->second;
}

std::size_t exceptions_taken(const std::string& file, const Replay& replay, const Outcome& o) {
  std::size_t taken = 0;
  for (const ListingException& x : listing_exceptions(file)) {
    for (std::size_t i = 0; i < replay.frames.size(); ++i) {
      if (replay.frames[i].index == x.frame && o.frames[i].sent == x.allowed) ++taken;
    }
  }
  return taken;
}

// tp_ipv6.pcap: the five echo requests for us answered (RFC 4443 §4.2), the six solicitations for our link-local
// address advertised (three of them duplicate address probes, to all-nodes), the four routing headers with segments
// left refused (RFC 8200 §4.4); everything else dropped by name, a valid advertisement for another node taken in.
void expect_ipv6_answered(const Replay& replay, const Outcome& o, const Expectation&) {
  EXPECT_EQ(o.echo_replies6, 5u) << "echo replies";
  EXPECT_EQ(o.advertisements, 6u) << "neighbor advertisements";
  EXPECT_EQ(count_sent(o, SentKind::parameter_problem), 4u) << "parameter problems";
  EXPECT_EQ(count_drops(replay, DropReason::ipv6_routing_header), 4u);
  std::size_t to_all_nodes = 0, absorbed = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    if (o.frames[i].sent == SentKind::neighbor_advertisement && mac_is_all_nodes(f.sent.front(), 0)) ++to_all_nodes;
    if (o.frames[i].reading.absorbs && !f.drop && f.sent.empty()) ++absorbed;
  }
  EXPECT_EQ(to_all_nodes, 3u) << "advertisements defending our address against a probe from ::";
  EXPECT_EQ(absorbed, 1u) << "frame 10, an advertisement for another node, taken in";
  for (const DropReason r :
       {DropReason::eth_multicast_not_joined, DropReason::ipv6_not_for_us, DropReason::nd_router_ignored,
        DropReason::icmp6_bad_checksum, DropReason::ipv6_bad_version, DropReason::ipv6_truncated}) {
    EXPECT_GT(count_drops(replay, r), 0u) << reason_name(r);
  }
}

// tun_tp_mixed_raw12.pcap: the IPv6 set over TUN. Neighbor discovery has no link-layer addresses to resolve there
// (RFC 4861 §1): every solicitation and advertisement that reaches it is dropped as nd_no_link_layer, with nothing
// sent; echo requests and routing headers are answered as over TAP.
void expect_ipv6_over_tun(const Replay& replay, const Outcome& o, const Expectation&) {
  std::size_t refused = 0;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    if (o.frames[i].reading.faults != std::set<DropReason>{DropReason::nd_no_link_layer}) continue;
    ++refused;
    EXPECT_EQ(f.drop, DropReason::nd_no_link_layer) << "frame " << f.index;
    EXPECT_TRUE(f.sent.empty()) << "frame " << f.index;
  }
  EXPECT_EQ(refused, 7u) << "solicitations and advertisements for us reaching neighbor discovery (#20-22, #39, #42, "
                            "#46, #47)";
  EXPECT_EQ(o.echo_replies6, 5u);
  EXPECT_EQ(o.advertisements, 0u);
  EXPECT_EQ(count_sent(o, SentKind::parameter_problem), 4u);
}

// tun_tp_ipv4_228.pcap: the IPv6 packet in a LINKTYPE_IPV4 file reaches the stack as a TUN device would deliver it,
// by its version nibble: read as IPv6 (never ipv6_not_spoken: IPv6 is on), dropped for what it is, nothing sent.
void expect_ipv6_read_as_ipv6(const Replay& replay, const Outcome&, const Expectation&) {
  std::size_t ipv6 = 0;
  for (const ReplayedFrame& f : replay.frames) {
    if (f.input.empty() || f.input[0] >> 4 != 6) continue;
    ++ipv6;
    EXPECT_TRUE(f.drop && *f.drop != DropReason::ipv6_not_spoken) << "frame " << f.index;
    EXPECT_TRUE(f.sent.empty()) << "frame " << f.index;
  }
  EXPECT_GE(ipv6, 1u) << "IPv6 packets in the capture";
}

}  // namespace ministack::realworld
