// Per-file certainties from the README, beyond the generic checks. Each runs with gtest assertions after the
// generic checks of its file (realworld_test.cpp).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "capture_outcome.hpp"
#include "realworld_expectations.hpp"

namespace ministack::realworld {

using FileCheck = std::function<void(const Replay&, const Outcome&, const Expectation&)>;

// By file name; a file without an entry has only the generic checks.
const std::map<std::string, FileCheck>& file_checks();

// The directory's own verdict on every frame, expect/NAME.txt ("#N ... => MUST ...", "=> MAY ...", "=> nothing
// (why)"), held against what was sent frame by frame: nothing for a "nothing" line, an answer for a MUST line, and
// a refusal (ICMP unreachable, TCP RST) only where its line names that refusal. Skipped when the file is absent.
void expect_frames_as_listed(const std::filesystem::path& listing, const Replay& replay, const Outcome& o);

}  // namespace ministack::realworld
