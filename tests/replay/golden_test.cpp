// Golden replays: every fixture in pcaps/ is a real client talking to the real Linux kernel (see pcaps/README.md).
// The client's frames are played through the stack, and what the stack sends must match, field by field, what the
// kernel sent in answer to the same frame. The TCP conversations (*_tcp_echo*, *_tcp6_echo*, *_tcp_bulk*) are the
// exception, compared by tcp_golden_test.cpp and tcp_bulk_golden_test.cpp instead (see fixture_names below).
//
// Fields allowed to differ, and why:
//   - ip.identification, and with it ip.checksum: Linux picks IDs from a per-destination hash (RFC 6864 lets a
//     datagram that is never fragmented carry any ID); ministack counts. Both checksums must still verify.
//   - IPv6 (the *6* fixtures), ip6.flow_label: Linux labels every flow it sends with a hash of its addresses and
//     ports (net.ipv6.auto_flowlabels=1, its default); ministack labels none, which RFC 6437 §3 allows (a zero flow
//     label is an unlabeled packet; "a node that does not support the flow label" sets it to 0, RFC 8200 §6). No
//     checksum covers the label, so nothing else follows from it. The traffic class beside it is compared.
//   - IPv6 fragments, frag.identification: RFC 8200 §4.5 asks only that it differ from that of any other recent
//     fragmented packet with the same addresses; Linux draws it from a hash, ministack counts. Every other field of
//     the Fragment header (next header, offset, M flag) and where the reply is cut are compared.
//   - Ethernet padding: ministack pads short frames to the 60-byte minimum itself (IEEE 802.3 §4.2.3.3); Linux
//     leaves that to the NIC, so on a veth capture its ARP replies are 42 bytes. Bytes past the ARP packet or the IP
//     total length are compared only in that ministack's are zero.
//
// What the kernel does that ministack does not do yet is listed in kKnownGaps: the test counts those replies as
// known gaps, says so in its output, and fails if a gap closes (so the list stays true).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "device/pcap_replay.hpp"
#include "frame_feeder.hpp"
#include "packets.hpp"
#include "replay.hpp"

namespace {

using ministack::Bytes;
using ministack::LinkLayer;
using packets::get16;
using packets::get32;
using Frame = std::vector<std::uint8_t>;

// 192.168.3.12: the kernel's address in the recordings, and ours (02:00:00:00:00:01 its MAC, packets::kOurMac);
// fd00:3::12 and fe80::ff:fe00:1 (the EUI-64 link-local address of that MAC), its and ours on IPv6.
constexpr std::uint32_t kOurIp = packets::kOurIp.value;
const ministack::Ipv6Address kOurIp6 = *ministack::Ipv6Address::parse("fd00:3::12");
const ministack::Ipv6Address kOurLinkLocal6 = *ministack::Ipv6Address::parse("fe80::ff:fe00:1");
constexpr std::uint16_t kEthertypeIpv6 = 0x86dd;
constexpr std::size_t kIpv6Header = 40;
constexpr std::uint8_t kFragmentHeader = 44, kIcmpv6 = 58;
constexpr std::uint8_t kNeighborSolicitation = 135;

// Replies the kernel sends that ministack does not send yet: fixture name -> (how many, why).
struct Gap {
  std::size_t replies;
  const char* why;
};
const std::map<std::string, Gap> kKnownGaps = {};  // none left: every kernel reply in pcaps/ is reproduced

struct Fixture {
  std::string name;
  LinkLayer link;
  std::vector<Frame> frames;
  std::vector<ministack::Instant> times;  // each frame's capture time, the stack's clock in a replay
};

Fixture read_fixture(const std::filesystem::path& path) {
  // Read every frame as recorded (client and kernel alike) with the replay device itself.
  ministack::PcapReplayDevice device(path.string(), 65535);
  Fixture f{path.filename().string(), device.link(), {}, {}};
  for (const auto& frame : ministack::testing::read_frames(device)) {
    f.frames.push_back(frame.bytes);
    f.times.push_back(ministack::testing::instant_of(frame.timestamp));
  }
  return f;
}

std::size_t l3_offset(LinkLayer link) { return link == LinkLayer::ethernet ? 14 : 0; }

// Whether the frame carries an IPv6 packet (its header whole) at l3.
bool is_ipv6(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  return f.size() >= l3 + kIpv6Header && (f[l3] >> 4) == 6 && (link == LinkLayer::ip || get16(f, 12) == kEthertypeIpv6);
}

ministack::Ipv6Address ipv6_at(const Frame& f, std::size_t at) {
  ministack::Ipv6Address a;
  std::copy_n(f.begin() + static_cast<std::ptrdiff_t>(at), 16, a.bytes.begin());
  return a;
}

// Sent by the kernel (the reference side) rather than the client.
bool from_kernel(LinkLayer link, const Frame& f) {
  if (link == LinkLayer::ethernet) return f.size() >= 12 && packets::get_mac(f, 6) == packets::kOurMac;
  if (is_ipv6(link, f)) {
    const ministack::Ipv6Address source = ipv6_at(f, 8);
    return source == kOurIp6 || source == kOurLinkLocal6;
  }
  return f.size() >= 20 && get32(f, 12) == kOurIp;
}

// An ARP request, or an IPv6 neighbor solicitation (RFC 4861 §7.2.2, the same resolution on IPv6), or other frame
// the kernel originates on its own (neighbor confirmation), not a reply.
bool kernel_originated(LinkLayer link, const Frame& f) {
  if (link == LinkLayer::ethernet && f.size() >= 22 && get16(f, 12) == 0x0806 && get16(f, 20) == 1) return true;
  const std::size_t l3 = l3_offset(link);
  return is_ipv6(link, f) && f[l3 + 6] == kIcmpv6 && f.size() > l3 + kIpv6Header &&
         f[l3 + kIpv6Header] == kNeighborSolicitation;
}

// The frame cut at the end of its network-layer packet; the rest is padding.
Frame without_padding(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  std::size_t end = f.size();
  if (link == LinkLayer::ethernet && f.size() >= 14 && get16(f, 12) == 0x0806) end = l3 + 28;
  else if (is_ipv6(link, f)) end = l3 + kIpv6Header + get16(f, l3 + 4);
  else if (f.size() >= l3 + 4 && (f[l3] >> 4) == 4) end = l3 + get16(f, l3 + 2);
  return Frame(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(std::min(end, f.size())));
}

// The name of byte i (counted from the IPv6 header) of an IPv6 packet: its header's fields, a Fragment header's
// right after it, and "ip6 payload byte N" beyond (N counted from the end of the IPv6 and Fragment headers). Sets
// `tolerated` for the fields allowed to differ (the flow label, the fragment identification; see the top).
std::string ipv6_field(const Frame& k, std::size_t l3, std::size_t i, bool& tolerated) {
  tolerated = false;
  if (i < kIpv6Header) {
    static const char* names[] = {
        "ip6.version/traffic_class", "ip6.traffic_class/flow_label", "ip6.flow_label",  "ip6.flow_label",
        "ip6.payload_length",        "ip6.payload_length",           "ip6.next_header", "ip6.hop_limit"};
    if (i < 8) {
      // Byte 1: the traffic class's low nibble (compared) and the flow label's first 4 bits (tolerated).
      tolerated = i == 2 || i == 3;
      return names[i];
    }
    return i < 24 ? "ip6.source" : "ip6.destination";
  }
  const bool fragment = k[l3 + 6] == kFragmentHeader;
  std::size_t at = i - kIpv6Header;
  if (fragment) {
    if (at < 8) {
      static const char* names[] = {"frag.next_header",    "frag.reserved",       "frag.offset/flags",
                                    "frag.offset/flags",   "frag.identification", "frag.identification",
                                    "frag.identification", "frag.identification"};
      tolerated = at >= 4;
      return names[at];
    }
    at -= 8;
  }
  return fmt::format("ip6 payload byte {}", at);
}

// Field-by-field differences between the kernel's reply and ours, minus the documented ones; the documented ones
// that do differ are named in `tolerated` (each once), for the test's report.
std::vector<std::string> differences(LinkLayer link, const Frame& kernel_frame, const Frame& our_frame,
                                     std::set<std::string>& tolerated_fields) {
  std::vector<std::string> out;
  const Frame k = without_padding(link, kernel_frame);
  const Frame m = without_padding(link, our_frame);
  if (!std::all_of(our_frame.begin() + static_cast<std::ptrdiff_t>(m.size()), our_frame.end(),
                   [](std::uint8_t b) { return b == 0; })) {
    // From a std::string, not the literal: GCC 12 misreads the inlined copy of a literal here (-Wstringop-overread).
    static const std::string kPaddingNotZero = "padding is not zero";
    out.push_back(kPaddingNotZero);
  }
  if (k.size() != m.size()) {
    out.push_back(fmt::format("length: kernel {} bytes, ministack {}", k.size(), m.size()));
    return out;
  }
  const std::size_t l3 = l3_offset(link);
  const bool ipv4 = k.size() >= l3 + 20 && (k[l3] >> 4) == 4 && (link == LinkLayer::ip || get16(k, 12) == 0x0800);
  const bool ipv6 = is_ipv6(link, k);
  if (ipv4) {
    const std::size_t ihl = std::size_t{k[l3] & 0x0fu} * 4;
    for (const Frame* f : {&k, &m}) {
      if (packets::reference_checksum(Bytes{f->data() + l3, ihl}) != 0) {
        out.push_back(fmt::format("ip.checksum does not verify ({})", f == &k ? "kernel" : "ministack"));
      }
    }
  }
  // Compare byte by byte, naming the field; identification and its checksum are the documented exceptions.
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i] == m[i]) continue;
    std::string field = fmt::format("byte {}", i);
    if (link == LinkLayer::ethernet && i < 14) field = i < 6 ? "eth.destination" : i < 12 ? "eth.source" : "eth.type";
    if (ipv4 && i >= l3 && i < l3 + 20) {
      static const char* names[] = {"ip.version/ihl",
                                    "ip.tos",
                                    "ip.total_length",
                                    "ip.total_length",
                                    "ip.identification",
                                    "ip.identification",
                                    "ip.flags/fragment",
                                    "ip.flags/fragment",
                                    "ip.ttl",
                                    "ip.protocol",
                                    "ip.checksum",
                                    "ip.checksum",
                                    "ip.source",
                                    "ip.source",
                                    "ip.source",
                                    "ip.source",
                                    "ip.destination",
                                    "ip.destination",
                                    "ip.destination",
                                    "ip.destination"};
      field = names[i - l3];
      if (field == "ip.identification" || field == "ip.checksum") {
        tolerated_fields.insert(field);
        continue;
      }
    } else if (ipv4) {
      field = fmt::format("ip payload byte {}", i - l3 - std::size_t{k[l3] & 0x0fu} * 4);
    } else if (ipv6 && i >= l3) {
      bool tolerated = false;
      field = ipv6_field(k, l3, i - l3, tolerated);
      // Byte 1 holds the traffic class's low nibble, compared, and the flow label's high one, tolerated.
      if (i - l3 == 1 && (k[i] & 0xf0) == (m[i] & 0xf0)) tolerated = true;
      if (tolerated) {
        tolerated_fields.insert(i - l3 == 1 ? "ip6.flow_label" : field);
        continue;
      }
    }
    out.push_back(fmt::format("{}: kernel {:02x}, ministack {:02x}", field, k[i], m[i]));
  }
  return out;
}

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

// Every fixture but the TCP conversations (*_tcp_echo*, *_tcp6_echo*, *_tcp_bulk*): a connection's segments carry the
// initial sequence numbers each TCP picks for itself (RFC 9293 §3.4.1, RFC 6528), and with them every sequence and
// acknowledgment number and checksum differs from the kernel's, byte for byte, however right ministack is.
// tcp_golden_test.cpp compares those conversations field by field, with numbers relative to each side's ISS.
std::vector<std::string> fixture_names() {
  auto names = ministack::testing::pcap_names(fixtures_dir());
  std::erase_if(names, [](const std::string& n) {
    return n.find("_tcp_echo") != std::string::npos || n.find("_tcp6_echo") != std::string::npos ||
           n.find("_tcp_bulk") != std::string::npos;
  });
  return names;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RepliesMatchTheKernel) {
  const Fixture fixture = read_fixture(fixtures_dir() / GetParam());
  ministack::StackConfig config;
  config.link = fixture.link;
  ministack::testing::FrameFeeder stack(config, 65535 + 14);  // any datagram in one frame

  std::size_t kernel_replies = 0, matched = 0, missing = 0, extra = 0, kernel_own = 0;
  std::map<std::string, std::size_t> tolerated;  // documented field -> in how many replies it differed
  std::vector<std::string> problems;
  // Walk the recording: each client frame goes through the stack; the kernel frames that follow it, up to the
  // next client frame, are what the kernel answered it with.
  for (std::size_t i = 0; i < fixture.frames.size(); ++i) {
    const Frame& request = fixture.frames[i];
    if (from_kernel(fixture.link, request)) continue;
    std::vector<const Frame*> expected;
    for (std::size_t j = i + 1; j < fixture.frames.size() && from_kernel(fixture.link, fixture.frames[j]); ++j) {
      if (kernel_originated(fixture.link, fixture.frames[j])) {
        ++kernel_own;
      } else {
        expected.push_back(&fixture.frames[j]);
      }
    }
    kernel_replies += expected.size();

    const auto& ours = stack.feed(request, fixture.times[i]);
    const std::size_t sent = ours.sent.size();
    if (sent < expected.size()) missing += expected.size() - sent;
    if (sent > expected.size()) {
      extra += sent - expected.size();
      problems.push_back(
          fmt::format("frame {}: ministack sent {} frames, the kernel {}", i + 1, sent, expected.size()));
    }
    // Answers in order: a fragmented reply is compared fragment by fragment.
    for (std::size_t n = 0; n < std::min(sent, expected.size()); ++n) {
      std::set<std::string> fields;
      const auto diffs = differences(fixture.link, *expected[n], ours.sent[n], fields);
      for (const auto& field : fields) ++tolerated[field];
      if (diffs.empty()) ++matched;
      for (const auto& d : diffs) problems.push_back(fmt::format("frame {}, answer {}: {}", i + 1, n + 1, d));
    }
  }

  const auto gap = kKnownGaps.find(GetParam());
  const std::size_t known = gap == kKnownGaps.end() ? 0 : gap->second.replies;
  std::cout << fmt::format("{}: the kernel sent {} replies; ministack matched {}, missed {} (known gaps: {}{}), "
                           "sent {} the kernel did not; {} kernel-originated frames ignored\n",
                           GetParam(), kernel_replies, matched, missing, known,
                           known ? std::string(" - ") + gap->second.why : "", extra, kernel_own);
  for (const auto& [field, replies] : tolerated) {
    std::cout << fmt::format("  {} differs (allowed, see the top of golden_test.cpp) in {} of the matched replies\n",
                             field, replies);
  }
  EXPECT_GT(kernel_replies, 0u) << "a fixture in which the kernel answered nothing tests nothing";
  for (const auto& p : problems) ADD_FAILURE() << GetParam() << " " << p;
  EXPECT_EQ(missing, known) << (missing > known ? "replies missing beyond the known gaps"
                                                : "a known gap is closed: update kKnownGaps");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return ministack::testing::capture_test_name(param_info.param);
                         });

// The IPv6 comparison allows exactly the fields it says, and no more: the kernel's own replies, edited.
TEST(GoldenComparison, Ipv6AllowsTheFlowLabelAndTheFragmentIdentificationOnly) {
  struct Edit {
    const char* what;
    std::size_t at;  // from the IPv6 header
    std::uint8_t mask;
    bool allowed;
  };
  const auto check = [](const char* file, std::size_t frame, const std::vector<Edit>& edits) {
    const Fixture f = read_fixture(fixtures_dir() / file);
    ASSERT_GT(f.frames.size(), frame) << file;
    const Frame& kernel = f.frames[frame];
    ASSERT_TRUE(from_kernel(f.link, kernel) && is_ipv6(f.link, kernel)) << file << " frame " << frame + 1;
    std::set<std::string> fields;
    EXPECT_TRUE(differences(f.link, kernel, kernel, fields).empty());
    for (const Edit& e : edits) {
      Frame ours = kernel;
      ours[l3_offset(f.link) + e.at] ^= e.mask;
      fields.clear();
      const auto diffs = differences(f.link, kernel, ours, fields);
      EXPECT_EQ(diffs.empty(), e.allowed)
          << file << ", " << e.what << ": " << fmt::format("{}", fmt::join(diffs, "; "));
      EXPECT_EQ(fields.size(), e.allowed ? 1u : 0u) << file << ", " << e.what;
    }
  };
  // An echo reply: the flow label's 20 bits may differ, the traffic class (which shares byte 1), the hop limit, the
  // next header, the addresses and the ICMPv6 checksum may not.
  check("tap_ping6.pcap", 3,
        {{"flow label, first bits", 1, 0x0f, true},
         {"flow label", 3, 0xff, true},
         {"traffic class, last bits", 1, 0xf0, false},
         {"traffic class", 0, 0x0f, false},
         {"payload length", 5, 0x01, false},
         {"next header", 6, 0x01, false},
         {"hop limit", 7, 0x01, false},
         {"source", 23, 0x01, false},
         {"destination", 39, 0x01, false},
         {"ICMPv6 checksum", 42, 0x01, false}});
  // The first fragment of a fragmented echo reply: its identification may differ, the rest of the Fragment header
  // and what follows may not.
  check("tun_ping6_s4000.pcap", 3,
        {{"fragment identification", 44, 0xff, true},
         {"fragment identification, last byte", 47, 0x01, true},
         {"fragment next header", 40, 0x01, false},
         {"fragment offset", 42, 0x08, false},
         {"M flag", 43, 0x01, false},
         {"ICMPv6 type", 48, 0x01, false}});
}

// The fixture directory is part of the project: it must be there, and it must hold both link types.
TEST(GoldenFixtures, ArePresentForTapAndTun) {
  const auto names = fixture_names();
  const auto count = [&](const char* prefix) {
    return std::count_if(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  EXPECT_GE(count("tap_"), 5) << "Ethernet fixtures missing from " << fixtures_dir();
  EXPECT_GE(count("tun_"), 4) << "raw IP fixtures missing from " << fixtures_dir();
  // IPv6 (tests/fixtures/record.sh, record_variant6): the same seven scenarios on each link type.
  for (const char* link : {"tap_", "tun_"}) {
    for (const char* scenario :
         {"ping6", "ping6_s1452", "ping6_s4000", "ping6_ll", "udp6_echo", "udp6_closed", "tcp6_closed"}) {
      const std::string name = std::string(link) + scenario + ".pcap";
      EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name << " missing from " << fixtures_dir();
    }
  }
}

}  // namespace
