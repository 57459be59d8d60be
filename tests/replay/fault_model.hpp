// Which drop reasons a frame plausibly has, read independently of the stack: the faults of each frame (read_frame),
// the reassembly of fragments (ReassemblyModel) and the documented rate limit on ICMP errors (ErrorRateModel).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "wire_reads.hpp"

namespace ministack::realworld {

// ---------------------------------------------------------------------------------------------------------------
// Reading a frame: every reason the stack could legitimately give for dropping it (the faults it really has, several
// when it has several: which one a stack names first is its own business), and what it hands up.

struct FrameReading {
  std::set<DropReason> faults;     // a drop for any of these is right; an answer is wrong
  std::set<DropReason> tolerated;  // reasons a stack may also give for a frame it could as well answer
  bool arp = false;
  bool ipv4 = false;  // an IPv4 header whose lengths hold: the packet is f[l3, l3 + total)
  std::size_t l3 = 0, ihl = 0, total = 0;
  bool link_broadcast = false;
  bool fragment = false;            // MF or an offset
  bool reaches_reassembly = false;  // a fragment with no fault before reassembly
  bool odd_options = false;
  bool may_hold = false;           // reassembly takes it in, and its datagram is still incomplete
  bool reassembled = false;        // it completes a datagram: `delivered` is that datagram
  std::optional<Bytes> delivered;  // the whole datagram this frame hands up (a non-fragment: itself)
  // IPv6 (fault_model_ipv6.cpp): the upper layer at delivered[l4]; whether the packet is taken in with nothing to
  // answer (a valid neighbor advertisement, RFC 4861 §7.2.5); the ICMPv6 error due, when RFC 4443 §2.4(e) allows one.
  bool ipv6 = false;
  std::size_t l4 = 0;
  std::uint8_t upper = 0;
  bool absorbs = false;
  struct Icmp6Error {
    std::uint8_t type, code;
    std::uint32_t pointer;
    DropReason reason;
  };
  std::optional<Icmp6Error> error6;
};

// The faults of a whole datagram (exactly its total length) above IP. `to_group`: sent to a broadcast or multicast
// address.
std::set<DropReason> upper_faults(const Bytes& d, bool to_group, bool odd_options, std::set<DropReason>& tolerated);

FrameReading read_frame(const Bytes& f, LinkLayer link);

// An IPv6 packet at f[l3] (fault_model_ipv6.cpp).
void read_ipv6(const Bytes& f, std::size_t l3, LinkLayer link, FrameReading& r);

// A TCP segment at d[at, d.size()), its checksum already judged with the right pseudo-header.
std::set<DropReason> tcp_faults(const Bytes& d, std::size_t at, bool checksum_good, bool to_group,
                                std::set<DropReason>& tolerated);

// ---------------------------------------------------------------------------------------------------------------
// An independent model of reassembly (RFC 791 §3.2, RFC 815), with the rules the README states: overlaps drop the
// whole datagram (RFC 5722 §4, which allows the same for an exact duplicate), exact duplicates may be ignored, a
// fragment with no data or a non-final one whose data is not a multiple of 8 is dropped alone, nothing may reach
// past 65535 bytes. Which of several faults the stack names is its business; the model then follows the consequence
// of the reason it named (verify()).

using DatagramKey = std::tuple<std::uint32_t, std::uint32_t, std::uint8_t, std::uint16_t>;  // src, dst, proto, id

DatagramKey key_of(const Bytes& f, std::size_t l3);

class ReassemblyModel {
 public:
  struct Step {
    std::set<DropReason> faults;     // of this fragment, given what is held
    std::optional<Bytes> completes;  // the whole datagram, if taking it in completes one
  };

  Step look(const Bytes& f, const FrameReading& r) const;

  // The fragment joins its datagram; a completed datagram leaves the model.
  void take(const Bytes& f, const FrameReading& r);
  // Its datagram is dropped whole.
  void abandon(const Bytes& f, const FrameReading& r) { pending_.erase(key_of(f, r.l3)); }
  std::size_t in_progress() const { return pending_.size(); }

 private:
  struct Piece {
    std::size_t offset;
    Bytes data;
    bool last;
  };
  struct Pending {
    std::vector<Piece> pieces;
    Bytes first_header;  // of the offset-0 fragment, once it is there
  };

  static void add(Pending& p, const Bytes& f, const FrameReading& r);

  // RFC 791 §3.2: the whole datagram once every hole is filled: the first fragment's header, with the total
  // length of the whole, MF and the offset cleared (the reserved bit and DF as they were), a new checksum.
  static std::optional<Bytes> assemble(const Pending& p);

  std::map<DatagramKey, Pending> pending_;
};

// Reasons a stack gives only once a datagram is whole and handed up.
bool given_after_delivery(DropReason r);

// ---------------------------------------------------------------------------------------------------------------
// The documented limit on ICMP errors, modelled independently: per destination a bucket of 6 that regains one
// message a second, and a global bucket of 50 that regains 1000 a second (one a millisecond); the global one is
// looked at first, the destination's spends its token, then the global one spends its own (so a refusal costs
// neither). Time in whole milliseconds, as the stack's clock has it.

// IPv6 has a limiter of its own with the same limits (RFC 4443 §2.4(f)): a second instance models it.
class ErrorRateModel {
 public:
  using Key = std::array<std::uint8_t, 16>;  // an IPv6 address, or an IPv4 one as ::ffff:a.b.c.d
  bool allow(std::uint32_t destination, std::int64_t now_ms) {
    return allow(Key{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, static_cast<std::uint8_t>(destination >> 24),
                     static_cast<std::uint8_t>(destination >> 16), static_cast<std::uint8_t>(destination >> 8),
                     static_cast<std::uint8_t>(destination)},
                 now_ms);
  }
  bool allow(const Key& destination, std::int64_t now_ms);
  std::size_t destinations() const { return per_destination_.size(); }

 private:
  struct Bucket {
    std::int64_t credit;  // global: messages; per destination: milliseconds of waiting saved up
    std::int64_t last_ms = 0;
    bool started = false;  // last_ms means something
  };
  static constexpr std::int64_t kGlobalBurst = 50, kPerDestinationBurst = 6, kMsPerToken = 1000;
  static void refill(Bucket& b, std::int64_t now_ms, std::int64_t capacity);
  Bucket global_{kGlobalBurst, 0, false};
  std::map<Key, Bucket> per_destination_;
};

}  // namespace ministack::realworld
