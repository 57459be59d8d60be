// Golden replays: every fixture in pcaps/ is a real client talking to the real Linux kernel (see pcaps/README.md).
// The client's frames are played through the stack, and what the stack sends must match, field by field, what the
// kernel sent in answer to the same frame. The TCP conversations (*_tcp_echo*, *_tcp_bulk*) are the exception,
// compared by tcp_golden_test.cpp and tcp_bulk_golden_test.cpp instead (see fixture_names below).
//
// Fields allowed to differ, and why:
//   - ip.identification, and with it ip.checksum: Linux picks IDs from a per-destination hash (RFC 6864 lets a
//     datagram that is never fragmented carry any ID); ministack counts. Both checksums must still verify.
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
#include <string>
#include <vector>

#include <fmt/format.h>

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

// 192.168.3.12: the kernel's address in the recordings, and ours (02:00:00:00:00:01 its MAC, packets::kOurMac).
constexpr std::uint32_t kOurIp = packets::kOurIp.value;

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

// Sent by the kernel (the reference side) rather than the client.
bool from_kernel(LinkLayer link, const Frame& f) {
  if (link == LinkLayer::ethernet) return f.size() >= 12 && packets::get_mac(f, 6) == packets::kOurMac;
  return f.size() >= 20 && get32(f, 12) == kOurIp;
}

// An ARP request or other frame the kernel originates on its own (neighbor confirmation), not a reply.
bool kernel_originated(LinkLayer link, const Frame& f) {
  return link == LinkLayer::ethernet && f.size() >= 22 && get16(f, 12) == 0x0806 && get16(f, 20) == 1;
}

// The frame cut at the end of its network-layer packet; the rest is padding.
Frame without_padding(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  std::size_t end = f.size();
  if (link == LinkLayer::ethernet && f.size() >= 14 && get16(f, 12) == 0x0806) end = l3 + 28;
  else if (f.size() >= l3 + 4 && (f[l3] >> 4) == 4) end = l3 + get16(f, l3 + 2);
  return Frame(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(std::min(end, f.size())));
}

// Field-by-field differences between the kernel's reply and ours, minus the documented ones.
std::vector<std::string> differences(LinkLayer link, const Frame& kernel_frame, const Frame& our_frame) {
  std::vector<std::string> out;
  const Frame k = without_padding(link, kernel_frame);
  const Frame m = without_padding(link, our_frame);
  if (!std::all_of(our_frame.begin() + static_cast<std::ptrdiff_t>(m.size()), our_frame.end(),
                   [](std::uint8_t b) { return b == 0; })) {
    out.push_back("padding is not zero");
  }
  if (k.size() != m.size()) {
    out.push_back(fmt::format("length: kernel {} bytes, ministack {}", k.size(), m.size()));
    return out;
  }
  const std::size_t l3 = l3_offset(link);
  const bool ipv4 = k.size() >= l3 + 20 && (k[l3] >> 4) == 4 && (link == LinkLayer::ip || get16(k, 12) == 0x0800);
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
      if (field == "ip.identification" || field == "ip.checksum") continue;
    } else if (ipv4) {
      field = fmt::format("ip payload byte {}", i - l3 - std::size_t{k[l3] & 0x0fu} * 4);
    }
    out.push_back(fmt::format("{}: kernel {:02x}, ministack {:02x}", field, k[i], m[i]));
  }
  return out;
}

std::filesystem::path fixtures_dir() { return MINISTACK_FIXTURES; }

// Every fixture but the TCP conversations (*_tcp_echo*, *_tcp_bulk*): a connection's segments carry the initial
// sequence numbers each TCP picks for itself (RFC 9293 §3.4.1, RFC 6528), and with them every sequence and
// acknowledgment number and checksum differs from the kernel's, byte for byte, however right ministack is.
// tcp_golden_test.cpp compares those conversations field by field, with numbers relative to each side's ISS.
std::vector<std::string> fixture_names() {
  auto names = ministack::testing::pcap_names(fixtures_dir());
  std::erase_if(names, [](const std::string& n) {
    return n.find("_tcp_echo") != std::string::npos || n.find("_tcp_bulk") != std::string::npos;
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
      const auto diffs = differences(fixture.link, *expected[n], ours.sent[n]);
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
  EXPECT_GT(kernel_replies, 0u) << "a fixture in which the kernel answered nothing tests nothing";
  for (const auto& p : problems) ADD_FAILURE() << GetParam() << " " << p;
  EXPECT_EQ(missing, known) << (missing > known ? "replies missing beyond the known gaps"
                                                : "a known gap is closed: update kKnownGaps");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return ministack::testing::capture_test_name(param_info.param);
                         });

// The fixture directory is part of the project: it must be there, and it must hold both link types.
TEST(GoldenFixtures, ArePresentForTapAndTun) {
  const auto names = fixture_names();
  const auto count = [&](const char* prefix) {
    return std::count_if(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  EXPECT_GE(count("tap_"), 5) << "Ethernet fixtures missing from " << fixtures_dir();
  EXPECT_GE(count("tun_"), 4) << "raw IP fixtures missing from " << fixtures_dir();
}

}  // namespace
