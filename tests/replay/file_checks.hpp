// Per-file certainties from the README, beyond the generic checks. Each runs with gtest assertions after the
// generic checks of its file (realworld_test.cpp).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "capture_outcome.hpp"
#include "realworld_expectations.hpp"

namespace ministack::realworld {

using FileCheck = std::function<void(const Replay&, const Outcome&, const Expectation&)>;

// The IPv6 ones (file_checks_ipv6.cpp): tp_ipv6.pcap answered as RFC 4443 and RFC 4861 have it; over TUN, neighbor
// discovery refused by name; an IPv6 packet in a LINKTYPE_IPV4 file read as IPv6, as a TUN device would deliver it.
void expect_ipv6_answered(const Replay& replay, const Outcome& o, const Expectation& e);
void expect_ipv6_over_tun(const Replay& replay, const Outcome& o, const Expectation& e);
void expect_ipv6_read_as_ipv6(const Replay& replay, const Outcome& o, const Expectation& e);

// By file name; a file without an entry has only the generic checks.
const std::map<std::string, FileCheck>& file_checks();

// The directory's own verdict on every frame, expect/NAME.txt ("#N ... => MUST ...", "=> MAY ...", "=> nothing
// (why)"), held against what was sent frame by frame: nothing for a "nothing" line, an answer for a MUST line, and
// a refusal (ICMP unreachable, TCP RST) only where its line names that refusal. Skipped when the file is absent.
void expect_frames_as_listed(const std::filesystem::path& listing, const Replay& replay, const Outcome& o);

// The listings were written for an IPv4-only responder. Where one says "nothing" for an IPv6 frame that an RFC has a
// host answer, the answer is allowed frame by frame, each with its RFC (file_checks.cpp); and counted beyond MAY.
struct ListingException {
  std::size_t frame;
  SentKind allowed;
  const char* why;
};
const std::vector<ListingException>& listing_exceptions(const std::string& file);
// How many of `file`'s excepted frames got the answer their exception allows.
std::size_t exceptions_taken(const std::string& file, const Replay& replay, const Outcome& o);

}  // namespace ministack::realworld
