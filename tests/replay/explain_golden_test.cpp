// The exact text of `ministack explain pcaps/tap_ping.pcap`, run from the source tree, against a reviewed snapshot in
// tests/golden/.
#include <stdio.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

namespace {

// tests/golden/explain_tap_ping.txt is a reviewed snapshot, not a recording taken on trust: it was generated once
// with `ministack explain pcaps/tap_ping.pcap > tests/golden/explain_tap_ping.txt` (stdout not a terminal: plain
// text) and read line by line against the capture (tcpdump -vv -xx): the ARP request answered with a 60-byte
// padded reply, the kernel's four frames dropped as not for our MAC, the three echo requests with their real
// header and ICMP checksums, id 27583, seq 1 to 3, each reply's ICMP checksum 0x0800 above the request's (type 8 ->
// 0, RFC 1624), and its IP header checksum (id 0, 1, 2) recomputed by hand. When the output changes on purpose,
// regenerate it the same way and review the diff before committing it.
std::string read_file(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return {};
  std::string text;
  std::array<char, 4096> chunk{};
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get())) text.append(chunk.data(), n);
  return text;
}

TEST(ExplainGolden, TapPingPrintsTheReviewedStory) {
  const std::filesystem::path source = MINISTACK_SOURCE_DIR;
  const std::string golden = read_file(source / "tests/golden/explain_tap_ping.txt");
  ASSERT_FALSE(golden.empty()) << "tests/golden/explain_tap_ping.txt is missing or empty";
  // Run from the source tree, as the README does: the capture's path is part of the output.
  const std::string command =
      fmt::format("cd '{}' && '{}' explain pcaps/tap_ping.pcap", source.string(), MINISTACK_BINARY);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  ASSERT_TRUE(pipe) << command;
  std::string output;
  std::array<char, 4096> chunk{};
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) output.append(chunk.data(), n);
  const int status = ::pclose(pipe.release());
  EXPECT_EQ(status, 0) << command;
  EXPECT_EQ(output, golden) << "`ministack explain pcaps/tap_ping.pcap` no longer prints the reviewed snapshot in "
                               "tests/golden/explain_tap_ping.txt; if the change is intended, regenerate it and "
                               "review the diff";
}

}  // namespace
