// Per-file certainties from the README, beyond the generic checks. Each runs with gtest assertions after the
// generic checks of its file (realworld_test.cpp).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "capture_outcome.hpp"
#include "realworld_expectations.hpp"

namespace ministack::realworld {

using FileCheck = std::function<void(const Replay&, const Outcome&, const Expectation&)>;

// By file name; a file without an entry has only the generic checks.
const std::map<std::string, FileCheck>& file_checks();

}  // namespace ministack::realworld
