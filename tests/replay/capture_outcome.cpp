// The verdict on a whole capture, and the capture file read ourselves (capture_outcome.hpp).
#include "capture_outcome.hpp"
#include "wire_reads_ipv6.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <utility>

namespace ministack::realworld {

namespace {

using Report = std::function<void(const std::string&)>;  // a problem with the frame at hand
using Geometry = std::map<DatagramKey, std::vector<std::pair<std::size_t, std::size_t>>>;  // offset, length

// Fragments: what the model says about this one, given what is held.
ReassemblyModel::Step look_at_fragment(const ReassemblyModel& model, const Bytes& input, FrameReading& r) {
  ReassemblyModel::Step step;
  if (r.reaches_reassembly) {
    step = model.look(input, r);
    r.faults.insert(step.faults.begin(), step.faults.end());
    if (step.completes) {
      r.reassembled = true;
      r.delivered = step.completes;
      const std::uint32_t destination = get32(*step.completes, 16);
      const std::set<DropReason> upper = upper_faults(*step.completes,
                                                      is_broadcast(destination) || is_multicast(destination),
                                                      r.odd_options, r.tolerated);
      r.faults.insert(upper.begin(), upper.end());
    } else if (step.faults.empty()) {
      r.may_hold = true;
    }
  }
  return step;
}

// The verdicts that come with a RST sent (RFC 9293 §3.10.7.1 and §3.10.7.2).
bool is_refused_with_rst(DropReason reason) {
  return reason == DropReason::tcp_port_closed || reason == DropReason::tcp_bad_ack;
}

// Whether the verdict goes with what was sent, given the frame's faults; the answers, errors and held fragments
// counted.
void check_verdict_against_sent(const ReplayedFrame& f, const FrameReading& r, const SentReading& s, Outcome& o,
                                const Report& problem) {
  const std::string dropped_as = f.drop ? reason_name(*f.drop) : "nothing";
  switch (s.kind) {
    case SentKind::arp_reply:
    case SentKind::echo_reply:
    case SentKind::udp_echo:
    case SentKind::neighbor_advertisement:
      ++o.answers;
      o.arp_replies += s.kind == SentKind::arp_reply ? 1 : 0;
      o.echo_replies += s.kind == SentKind::echo_reply ? 1 : 0;
      o.echo_replies6 += s.kind == SentKind::echo_reply && r.ipv6 ? 1 : 0;
      o.advertisements += s.kind == SentKind::neighbor_advertisement ? 1 : 0;
      if (f.drop) problem("answered, and yet dropped as " + dropped_as);
      if (!r.faults.empty()) problem("answered although it has the fault(s) " + reason_names(r.faults));
      break;
    case SentKind::unreachable:
    case SentKind::parameter_problem: {
      ++o.errors;
      o.errors6 += r.ipv6 ? 1 : 0;
      // An ICMPv6 error reports the fault the reading found it due for (its type, code and pointer: check_sent6).
      const DropReason expected = r.ipv6        ? (r.error6 ? r.error6->reason : DropReason::ipv6_not_for_us)
                                  : s.code == 3 ? DropReason::udp_port_unreachable
                                                : DropReason::ip_unknown_protocol;
      if (f.drop != expected) {
        problem("sent an ICMP error (code " + std::to_string(s.code) + ") with the verdict " + dropped_as + ", not " +
                reason_name(expected));
      }
      if (r.faults != std::set<DropReason>{expected}) {
        problem("sent an ICMP error about a frame whose faults are " + reason_names(r.faults) +
                ": only a datagram whose one fault is " + reason_name(expected) + " may be reported");
      }
      break;
    }
    case SentKind::tcp_rst:
      ++o.resets;
      if (!f.drop || !is_refused_with_rst(*f.drop)) problem("sent a TCP RST with the verdict " + dropped_as);
      if (r.faults.size() != 1 || !is_refused_with_rst(*r.faults.begin())) {
        problem("sent a TCP RST about a frame whose faults are " + reason_names(r.faults) +
                ": only a well-formed segment for a closed port, or an ACK to a listening one, is refused with one");
      }
      break;
    case SentKind::unexpected: break;  // its problems are already listed
    case SentKind::nothing:
      if (!f.drop) {
        if (r.may_hold) {
          ++o.held;
        } else if (r.absorbs && r.faults.empty()) {
          // a neighbor advertisement taken in, nothing to answer (RFC 4861 §7.2.5)
        } else if (r.reassembled) {
          problem("completes a datagram (by the file's fragments), yet was neither answered nor dropped");
        } else {
          problem("neither answered nor dropped" +
                  (r.faults.empty() ? std::string() : " (it has the fault(s) " + reason_names(r.faults) + ")"));
        }
      } else if (!r.faults.count(*f.drop) && !r.tolerated.count(*f.drop)) {
        if (r.faults.empty()) {
          problem(std::string(r.may_hold ? "a fragment to hold" : "a well-formed request for us") + " was dropped as " +
                  dropped_as);
        } else {
          problem("dropped as " + dropped_as + ", which it is not (it is: " + reason_names(r.faults) + ")");
        }
      }
      break;
  }
}

// An unreachable that may be sent must be, within the documented rate limit, and never beyond it.
// ICMPv6 errors the same way, with a limiter of their own (RFC 4443 §2.4(f)): due when the reading found one allowed
// (RFC 4443 §2.4(e)) and the packet has no other fault.
struct ErrorRates {
  ErrorRateModel v4, v6;
};
void check_error_rate(FrameOutcome& fo, const SentReading& s, std::int64_t now_ms, ErrorRates& rates, Outcome& o,
                      const Report& problem) {
  const FrameReading& r = fo.reading;
  const bool one_fault = r.faults == std::set<DropReason>{DropReason::ip_unknown_protocol} ||
                         r.faults == std::set<DropReason>{DropReason::udp_port_unreachable};
  const bool due4 = r.delivered && !r.ipv6 && one_fault && get32(*r.delivered, 16) == kOurIp && !r.link_broadcast &&
                    !bad_source(get32(*r.delivered, 12));
  const bool due6 = r.ipv6 && r.error6 && r.faults == std::set<DropReason>{r.error6->reason};
  if (due4 || due6) {
    fo.error_due = true;
    fo.error_allowed = due6 ? rates.v6.allow(ip6_at(*r.delivered, 8), now_ms)
                            : rates.v4.allow(get32(*r.delivered, 12), now_ms);
    const bool sent_error = s.kind == SentKind::unreachable || s.kind == SentKind::parameter_problem;
    if (fo.error_allowed && !sent_error) {
      problem("an ICMP error was due and within the rate limit (per destination 6, then 1/s; in all 50, "
              "then 1000/s), yet none was sent");
    }
    if (!fo.error_allowed && sent_error) problem("an ICMP error sent beyond the rate limit");
    o.rate_limited += fo.error_allowed ? 0 : 1;
  }
}

// RFC 9293 §3.10.7.1: every well-formed segment for a port nobody listens on, unicast to us from a host, is refused
// with a RST, and so is an ACK to a listening port (§3.10.7.2); no limit on them is documented. (Faults below TCP, a
// broadcast destination and a RST are read_frame's: any of them leaves the refusal out.)
// A drop for a reason tolerated for the frame (an odd option) is as right as the RST.
void check_rst_due(FrameOutcome& fo, const ReplayedFrame& f, const SentReading& s, const Report& problem) {
  const FrameReading& r = fo.reading;
  fo.rst_due = r.delivered && r.faults.size() == 1 && is_refused_with_rst(*r.faults.begin());
  const bool tolerated = f.drop && r.tolerated.count(*f.drop);
  if (fo.rst_due && s.kind != SentKind::tcp_rst && !tolerated) {
    problem("a RST was due (" + reason_names(r.faults) + "), yet none was sent (sent " +
            std::string(sent_name(s.kind)) + ")");
  }
}

// The model follows the consequence of the reason the stack named.
void follow_stack_verdict(ReassemblyModel& model, const ReplayedFrame& f, const FrameReading& r,
                          const ReassemblyModel::Step& step, Outcome& o) {
  if (r.reaches_reassembly) {
    const std::optional<DropReason> v = f.drop;
    if (v == DropReason::reasm_overlap || v == DropReason::reasm_oversize) {
      model.abandon(f.input, r);
    } else if (step.faults.empty() &&
               (!v || given_after_delivery(*v) || (v == DropReason::ip_bad_options && step.completes))) {
      model.take(f.input, r);
      o.completed += step.completes ? 1 : 0;
    }
  }
}

// The datagrams of which two different fragments in the file overlap.
void find_overlapping(const Geometry& geometry, std::set<DatagramKey>& overlapping) {
  for (const auto& [key, pieces] : geometry) {
    for (std::size_t a = 0; a < pieces.size(); ++a) {
      for (std::size_t b = a + 1; b < pieces.size(); ++b) {
        const auto [a_offset, a_length] = pieces[a];
        const auto [b_offset, b_length] = pieces[b];
        if (pieces[a] != pieces[b] && a_offset < b_offset + b_length && b_offset < a_offset + a_length) {
          overlapping.insert(key);
        }
      }
    }
  }
}

}  // namespace

Outcome verify(const Replay& replay, const std::vector<std::int64_t>& times_us, std::size_t mtu) {
  Outcome o;
  ReassemblyModel model;
  ErrorRates rates;
  if (times_us.size() != replay.frames.size()) {
    o.problems.push_back("the file holds " + std::to_string(times_us.size()) + " records for " +
                         std::to_string(replay.frames.size()) + " frames replayed");
  }
  Geometry geometry;
  for (std::size_t i = 0; i < replay.frames.size(); ++i) {
    const ReplayedFrame& f = replay.frames[i];
    const std::int64_t now_ms = i < times_us.size() ? times_us[i] / 1000 : 0;
    FrameOutcome fo;
    FrameReading& r = fo.reading;
    r = read_frame(f.input, replay.link);
    const std::string where = "frame " + std::to_string(f.index) + " (" + kind_of(f.input, replay.link) + "): ";
    const Report problem = [&o, &where](const std::string& what) { o.problems.push_back(where + what); };

    const ReassemblyModel::Step step = look_at_fragment(model, f.input, r);
    if (r.ipv4 && r.fragment) {
      geometry[key_of(f.input, r.l3)].emplace_back(fragment_offset_at(f.input, r.l3), r.total - r.ihl);
    }
    if (r.faults.empty() && !r.may_hold && !r.absorbs) ++o.answerable;

    // What was sent, and whether the verdict goes with it.
    const SentReading s = check_sent(f.input, replay.link, r, f.sent, mtu);
    fo.sent = s.kind;
    fo.fragmented = s.fragmented;
    for (const std::string& p : s.problems) problem(p);
    check_verdict_against_sent(f, r, s, o, problem);
    o.fragmented += s.fragmented ? 1 : 0;

    check_error_rate(fo, s, now_ms, rates, o, problem);
    check_rst_due(fo, f, s, problem);
    follow_stack_verdict(model, f, r, step, o);
    o.max_in_progress = std::max(o.max_in_progress, model.in_progress());
    o.frames.push_back(std::move(fo));
  }
  if (rates.v4.destinations() > 64 || rates.v6.destinations() > 64) {
    o.problems.push_back("the rate model keeps every destination; the stack forgets the least recent beyond 64");
  }
  find_overlapping(geometry, o.overlapping);
  return o;
}

CaptureFile read_capture_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  Bytes b;
  for (std::istreambuf_iterator<char> it(file), end; it != end; ++it) b.push_back(static_cast<std::uint8_t>(*it));
  CaptureFile c;
  if (b.size() < 24) return c;
  const std::uint32_t magic = get32(b, 0);
  const bool little = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  const bool nanoseconds = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  if (!little && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return c;
  const auto u32 = [&b, little](std::size_t at) {
    return little ? (std::uint32_t{b[at + 3]} << 24) | (std::uint32_t{b[at + 2]} << 16) |
                        (std::uint32_t{b[at + 1]} << 8) | std::uint32_t{b[at]}
                  : get32(b, at);
  };
  c.link_type = u32(20);
  for (std::size_t at = 24; at + 16 <= b.size(); at += 16 + std::size_t{u32(at + 8)}) {
    const std::int64_t fraction = std::int64_t{u32(at + 4)};
    c.times_us.push_back(std::int64_t{u32(at)} * 1'000'000 + (nanoseconds ? fraction / 1000 : fraction));
  }
  return c;
}

std::string drop_histogram(const Replay& replay) {
  std::map<std::string, std::size_t> counts;
  for (const ReplayedFrame& f : replay.frames) {
    if (f.drop) ++counts[reason_name(*f.drop)];
  }
  std::ostringstream out;
  for (const auto& [name, n] : counts) out << (out.tellp() > 0 ? ", " : "") << name << "=" << n;
  return out.str();
}

std::size_t count_drops(const Replay& replay, DropReason reason) {
  return static_cast<std::size_t>(std::count_if(replay.frames.begin(), replay.frames.end(),
                                                [reason](const ReplayedFrame& f) { return f.drop == reason; }));
}

}  // namespace ministack::realworld
