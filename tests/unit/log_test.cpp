// The logger: run-time levels filter, the prefixes, flushing, and parsing --log-level.
#include "apps/ministack/log.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "temp_files.hpp"

namespace {

using ministack::Logger;
using ministack::LogLevel;
using ministack::parse_log_level;

constexpr std::array kLevels{LogLevel::error, LogLevel::warning, LogLevel::info, LogLevel::debug};

// A std::tmpfile; written() reads what reached the file, past stdio's buffer.
using ministack::testing::TempFile;

// Counts how often it is formatted, to show that a disabled message formats nothing.
int g_probe_formats = 0;
struct Probe {};

}  // namespace

template <>
struct fmt::formatter<Probe> : fmt::formatter<std::string_view> {
  auto format(Probe, fmt::format_context& ctx) const {
    ++g_probe_formats;
    return fmt::formatter<std::string_view>::format("probe", ctx);
  }
};

namespace {

TEST(ParseLogLevel, AcceptsEveryLevelAndWarnForWarning) {
  EXPECT_EQ(parse_log_level("error"), LogLevel::error);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("info"), LogLevel::info);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
}

TEST(ParseLogLevel, RoundTripsEveryLevelName) {
  for (const LogLevel level : kLevels) EXPECT_EQ(parse_log_level(ministack::log_level_name(level)), level);
}

TEST(ParseLogLevel, RejectsOthersListingTheValidOnes) {
  for (const std::string bad : {"verbose", "", "trace", "warnings", "info "}) {
    try {
      parse_log_level(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("'" + bad + "'"), std::string::npos) << message;
      for (const char* name : {"error", "warning", "warn", "info", "debug"}) {
        EXPECT_NE(message.find(name), std::string::npos) << message << " does not list " << name;
      }
    }
  }
}

TEST(Logger, EnabledIsTheLevelAndEverythingMoreSevere) {
  for (std::size_t l = 0; l < kLevels.size(); ++l) {
    const Logger logger(kLevels[l], stderr);
    for (std::size_t m = 0; m < kLevels.size(); ++m) {
      EXPECT_EQ(logger.enabled(kLevels[m]), m <= l) << "logger level " << l << ", message level " << m;
    }
  }
}

TEST(Logger, LevelsFilterWhatIsPrinted) {
  const std::array<std::string, 4> expected_at_level{
      "ministack: error: e\n",
      "ministack: error: e\nministack: warning: w\n",
      "ministack: error: e\nministack: warning: w\nministack: i\n",
      "ministack: error: e\nministack: warning: w\nministack: i\nministack: d\n",
  };
  for (std::size_t l = 0; l < kLevels.size(); ++l) {
    TempFile out;
    Logger logger(kLevels[l], out.get());
    logger.debug("d0");  // before the others, so order shows too
    logger.error("e");
    logger.warn("w");
    logger.info("i");
    logger.debug("d");
    const std::string debug_first = l == 3 ? "ministack: d0\n" : "";
    EXPECT_EQ(out.written(), debug_first + expected_at_level[l]) << "at level " << l;
  }
}

TEST(Logger, PrefixesAndFormattingThroughLog) {
  TempFile out;
  Logger logger(LogLevel::debug, out.get());
  logger.log(LogLevel::error, "cannot open {}: {}", "tap0", "busy");
  logger.log(LogLevel::warning, "{} frames held", 3);
  logger.log(LogLevel::info, "listening on {} as {}/{}", "tun0", "192.168.3.12", 24);
  logger.log(LogLevel::debug, "rx {:5} B", 98);
  EXPECT_EQ(out.written(), "ministack: error: cannot open tap0: busy\n"
                           "ministack: warning: 3 frames held\n"
                           "ministack: listening on tun0 as 192.168.3.12/24\n"
                           "ministack: rx    98 B\n");
}

TEST(Logger, FlushesEveryLine) {
  TempFile out;
  ASSERT_EQ(std::setvbuf(out.get(), nullptr, _IOFBF, 1 << 16), 0);  // fully buffered: only a flush shows a line
  Logger logger(LogLevel::info, out.get());
  logger.info("one");
  EXPECT_EQ(out.written(), "ministack: one\n");
  logger.warn("two");
  EXPECT_EQ(out.written(), "ministack: one\nministack: warning: two\n");
}

TEST(Logger, DisabledMessagesAreNotFormatted) {
  TempFile out;
  Logger logger(LogLevel::warning, out.get());
  g_probe_formats = 0;
  logger.debug("{}", Probe{});
  logger.info("{}", Probe{});
  EXPECT_EQ(g_probe_formats, 0);
  logger.warn("{}", Probe{});
  EXPECT_EQ(g_probe_formats, 1);
  EXPECT_EQ(out.written(), "ministack: warning: probe\n");
}

TEST(Logger, LevelCanChangeAtRunTime) {
  TempFile out;
  Logger logger(LogLevel::error, out.get());
  logger.info("hidden");
  logger.set_level(LogLevel::info);
  EXPECT_EQ(logger.level(), LogLevel::info);
  logger.info("shown");
  EXPECT_EQ(out.written(), "ministack: shown\n");
}

}  // namespace
