#include "tcp_conversation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "device/pcap_replay.hpp"
#include "packets.hpp"
#include "packets6.hpp"
#include "replay.hpp"

namespace tcp_conversation {

namespace {

using ministack::Instant;
using ministack::LinkLayer;
using packets::get16;
using packets::get32;

constexpr std::uint32_t kOurIp = packets::kOurIp.value;  // 192.168.3.12, the kernel's address and ours

std::size_t l3_offset(LinkLayer link) { return link == LinkLayer::ethernet ? 14 : 0; }

// Whether the 16 bytes at `at` in `f` are one of the kernel's IPv6 addresses in the recording (and ours).
bool ours6(const Frame& f, std::size_t at) {
  const auto a = packets6::get_address(f, at);
  return a == packets6::kOurGlobal || a == packets6::kOurLinkLocal;
}

// The IP version of the frame's packet: 4, 6, or 0 for anything else (ARP).
unsigned ip_version(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  if (f.size() <= l3) return 0;
  if (link == LinkLayer::ethernet) {
    const std::uint16_t type = get16(f, 12);
    if (type != 0x0800 && type != 0x86dd) return 0;
  }
  const unsigned version = f[l3] >> 4;
  return version == 4 || version == 6 ? version : 0;
}

// The frame's TCP segment to or from port 7, if it carries one (IPv4, protocol 6, not a fragment; or IPv6 with TCP
// straight after the 40-byte header, as the recordings have it).
std::optional<Segment> tcp_segment(LinkLayer link, const Frame& f) {
  const std::size_t l3 = l3_offset(link);
  const unsigned version = ip_version(link, f);
  Segment s;
  std::size_t t = 0, ip_end = 0;
  if (version == 4) {
    if (f.size() < l3 + 20 || f[l3 + 9] != 6 || (get16(f, l3 + 6) & 0x3fff) != 0) return std::nullopt;
    t = l3 + std::size_t{f[l3] & 0x0fu} * 4;
    ip_end = std::min<std::size_t>(f.size(), l3 + get16(f, l3 + 2));
    s.from_server = get32(f, l3 + 12) == kOurIp;
  } else if (version == 6) {
    if (f.size() < l3 + 40 || f[l3 + 6] != 6) return std::nullopt;
    t = l3 + 40;
    ip_end = std::min<std::size_t>(f.size(), t + get16(f, l3 + 4));
    s.from_server = ours6(f, l3 + 8);
    s.ipv6 = true;
  } else {
    return std::nullopt;
  }
  if (ip_end < t + 20) return std::nullopt;
  const std::size_t data_at = t + static_cast<std::size_t>(f[t + 12] >> 4) * 4;
  if (data_at > ip_end) return std::nullopt;
  s.tcp_at = t;
  if ((s.from_server ? get16(f, t) : get16(f, t + 2)) != kEchoPort) return std::nullopt;
  s.seq = get32(f, t + 4);
  s.ack = get32(f, t + 8);
  s.flags = f[t + 13];
  s.window = get16(f, t + 14);
  s.payload.assign(f.begin() + static_cast<std::ptrdiff_t>(data_at), f.begin() + static_cast<std::ptrdiff_t>(ip_end));
  // Options (RFC 9293 §3.1): EOL ends them, NOP is one byte, every other kind has a length byte.
  for (std::size_t o = t + 20; o < data_at;) {
    const std::uint8_t kind = f[o];
    if (kind == 0) break;
    if (kind == 1) {
      ++o;
      continue;
    }
    if (o + 1 >= data_at || f[o + 1] < 2 || o + f[o + 1] > data_at) break;
    const std::uint8_t len = f[o + 1];
    if (kind == 2 && len == 4) s.mss = get16(f, o + 2);
    else if (kind == 3 && len == 3) s.window_scale = f[o + 2];
    else if (kind == 4) s.sack_permitted = true;
    else if (kind == 8) s.timestamps = true;
    else s.other_options = true;
    o += len;
  }
  return s;
}

// The client's segment with its acknowledgment number moved by `offset` (from the kernel's sequence space into
// ours) and its TCP checksum made right again.
Frame translated(LinkLayer link, Frame f, const Segment& s, std::uint32_t offset) {
  if (!(s.flags & kAck)) return f;
  const std::size_t l3 = l3_offset(link);
  const std::size_t t = s.tcp_at;
  const std::size_t tcp_length = s.ipv6 ? l3 + 40 + get16(f, l3 + 4) - t : l3 + get16(f, l3 + 2) - t;
  packets::put32(f, t + 8, s.ack + offset);
  packets::put16(f, t + 16, 0);
  const auto segment = packets::slice(f, t, tcp_length);
  packets::put16(f, t + 16,
                 s.ipv6 ? packets6::checksum6(segment, packets6::get_address(f, l3 + 8),
                                              packets6::get_address(f, l3 + 24), 6, 16)
                        : packets::reference_checksum(
                              packets::with_pseudo_header(segment, {get32(f, l3 + 12)}, {get32(f, l3 + 16)},
                                                          static_cast<std::uint16_t>(tcp_length), 6)));
  return f;
}

std::uint32_t iss_of(const Side& side) {
  for (const auto& a : side.answers) {
    for (const auto& s : a) {
      if (s.flags & kSyn) return s.seq;
    }
  }
  return 0;
}

}  // namespace

std::string flag_names(std::uint8_t flags) {
  std::string out;
  static constexpr std::pair<std::uint8_t, const char*> kNames[] = {
      {kSyn, "SYN"}, {kFin, "FIN"}, {kRst, "RST"}, {kPsh, "PSH"}, {kAck, "ACK"}};
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out += out.empty() ? name : std::string(",") + name;
  }
  return out.empty() ? "none" : out;
}

Relative relative(const Segment& s, std::uint32_t server_iss, std::uint32_t client_iss) {
  return {s.flags,        s.seq - server_iss, (s.flags & kAck) ? s.ack - client_iss : 0,
          s.payload,      s.mss.has_value(),  s.window_scale.has_value(),
          s.other_options};
}

std::string describe(const std::vector<Relative>& segments) {
  if (segments.empty()) return "nothing";
  std::string out;
  for (const auto& r : segments) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} seq {} ack {} data {}{}{}", flag_names(r.flags), r.seq, r.ack, r.payload.size(),
                       r.mss ? " +mss" : "", r.window_scale ? " +wscale" : "");
  }
  return out;
}

std::vector<std::string> fixtures_named(const std::filesystem::path& dir, const std::string& part) {
  std::vector<std::string> names;
  for (const auto& n : ministack::testing::pcap_names(dir)) {
    if (n.find(part) != std::string::npos) names.push_back(n);
  }
  return names;
}

namespace {

struct Capture {
  std::vector<Frame> frames;
  std::vector<Instant> times;
};

bool from_kernel(LinkLayer link, const Frame& f) {
  if (link == LinkLayer::ethernet) return f.size() >= 12 && packets::get_mac(f, 6) == packets::kOurMac;
  if (ip_version(link, f) == 6) return f.size() >= 40 && ours6(f, 8);
  return f.size() >= 20 && get32(f, 12) == kOurIp;
}

// Whether the kernel's frame is one it sent of its own accord, not an answer: its ARP request, or its neighbor
// solicitation (ICMPv6 type 135 straight after the IPv6 header).
bool kernel_originated(LinkLayer link, const Frame& f) {
  if (link != LinkLayer::ethernet) return false;
  if (f.size() >= 22 && get16(f, 12) == 0x0806) return get16(f, 20) == 1;
  return ip_version(link, f) == 6 && f.size() > 14 + 40 && f[14 + 6] == 58 && f[14 + 40] == 135;
}

// The client's segments and the kernel's answers, from the capture.
bool read_kernel_side(const std::filesystem::path& file, const Capture& capture, Conversation& c) {
  const LinkLayer link = c.link;
  bool last_client_was_tcp = false;
  for (std::size_t i = 0; i < capture.frames.size(); ++i) {
    const Frame& f = capture.frames[i];
    const auto s = tcp_segment(link, f);
    if (!from_kernel(link, f)) {
      last_client_was_tcp = s.has_value();
      if (s) {
        c.client.push_back(*s);
        c.client_frame.push_back(i);
        c.kernel.answers.emplace_back();
      }
    } else if (s) {
      if (c.kernel.answers.empty()) {
        ADD_FAILURE() << file << " frame " << i + 1 << ": the kernel spoke first";
        return false;
      }
      c.kernel.answers.back().push_back(*s);
    } else {
      // A non-TCP answer (ARP reply, neighbor advertisement), unless the kernel originated it.
      if (!kernel_originated(link, f) && !last_client_was_tcp) ++c.kernel_other_expected;
    }
  }
  if (c.client.size() < 3 || c.client.front().flags != kSyn || c.kernel.answers.front().empty()) {
    ADD_FAILURE() << file << ": no TCP conversation that starts with the client's SYN and the kernel's answer";
    return false;
  }
  c.client_iss = c.client.front().seq;
  c.kernel_iss = iss_of(c.kernel);
  return true;
}

// The client's frames through a Stack, its timers run on time in between; ministack's answers collected.
bool feed_client(const std::filesystem::path& file, const Capture& capture, Conversation& c) {
  const LinkLayer link = c.link;
  auto& stack = *c.stack;
  c.ours.answers.resize(c.client.size());
  std::optional<std::uint32_t> offset;  // our ISS - the kernel's, once we have sent our SYN-ACK
  std::size_t current = 0;              // answers go to the client segment last fed (0 before any: none expected)
  bool fed_tcp = false;
  const auto collect = [&](const std::vector<Frame>& sent, bool answer_to_tcp) {
    for (const auto& out : sent) {
      if (const auto s = tcp_segment(link, out); s && s->from_server && fed_tcp) {
        c.ours.answers[current].push_back(*s);
        if ((s->flags & kSyn) && !offset) offset = s->seq - c.kernel_iss;
      } else if (!s && !answer_to_tcp) {
        ++c.ours_other;
      } else {
        ++c.ours_unparsed;
      }
    }
  };
  const auto run_timers_until = [&](Instant until) {
    for (int n = 0; n < 1000; ++n) {  // a bound, should a deadline not move on
      const auto deadline = stack.stack().next_deadline();
      if (!deadline || *deadline > until) return;
      collect(stack.poll(*deadline), true);
    }
    ADD_FAILURE() << "the timers keep firing";
  };
  std::size_t next_client = 0;
  for (std::size_t i = 0; i < capture.frames.size(); ++i) {
    if (from_kernel(link, capture.frames[i])) continue;
    run_timers_until(capture.times[i]);
    const bool is_tcp = next_client < c.client.size() && c.client_frame[next_client] == i;
    Frame input = capture.frames[i];
    if (is_tcp) {
      current = next_client++;
      fed_tcp = true;
      if (current > 0) {
        if (!offset) {
          ADD_FAILURE() << file << ": ministack sent no SYN-ACK to the client's SYN";
          return false;
        }
        input = translated(link, input, c.client[current], *offset);
      }
    }
    collect(stack.feed(input, capture.times[i]).sent, is_tcp);
  }
  // After the last segment: whatever the timers still send (a delayed ACK, a retransmission, TIME-WAIT's end).
  run_timers_until(capture.times.back() + std::chrono::seconds(300));
  if (!offset || c.ours.answers.front().empty()) {
    ADD_FAILURE() << file << ": ministack sent no SYN-ACK";
    return false;
  }
  c.our_iss = c.kernel_iss + *offset;
  return true;
}

}  // namespace

std::optional<Conversation> replay(const std::filesystem::path& file, ministack::StackConfig config) {
  ministack::PcapReplayDevice device(file.string(), 65535);
  Conversation c;
  c.link = device.link();
  Capture capture;
  for (const auto& f : ministack::testing::read_frames(device)) {
    capture.frames.push_back(f.bytes);
    capture.times.push_back(ministack::testing::instant_of(f.timestamp));
  }
  if (!read_kernel_side(file, capture, c)) return std::nullopt;
  config.link = c.link;
  c.stack = std::make_unique<ministack::testing::FrameFeeder>(config, 65535 + 14);
  if (!feed_client(file, capture, c)) return std::nullopt;
  return c;
}

Stream stream_of(const Side& side, std::uint32_t iss, std::uint32_t client_iss) {
  Stream out;
  std::uint32_t next = 1;  // relative sequence number of the next new data byte
  for (const auto& answer : side.answers) {
    for (const auto& s : answer) {
      const std::uint32_t rel = s.seq - iss;
      if (!s.payload.empty() && rel <= next && rel + s.payload.size() > next) {
        out.bytes.insert(out.bytes.end(), s.payload.begin() + static_cast<std::ptrdiff_t>(next - rel), s.payload.end());
        next = rel + static_cast<std::uint32_t>(s.payload.size());
      }
      if (s.flags & kFin) {
        ++out.fins;
        out.fin_seq = rel + static_cast<std::uint32_t>(s.payload.size());
      }
      if ((s.flags & kSyn) && (s.flags & kAck)) ++out.synacks;
      if (s.flags & kRst) ++out.rsts;
      if (s.flags & kAck) out.highest_ack = std::max(out.highest_ack, s.ack - client_iss);
    }
  }
  return out;
}

}  // namespace tcp_conversation
