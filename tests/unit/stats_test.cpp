// The counters shown to people (the table) and to scripts (the JSON and its atomic writer).
#include "apps/ministack/stats.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "temp_files.hpp"

namespace {

using namespace ministack;
namespace fs = std::filesystem;

Counter counter_at(std::size_t i) { return static_cast<Counter>(i); }
DropReason drop_at(std::size_t i) { return static_cast<DropReason>(i); }

// Counters with every counted counter at a distinct value (i + 1), and the given drops counted the given number of
// times. Aggregates (ipInHdrErrors, ...) are the sum of their drops, never counted directly.
Counters sample(const std::map<DropReason, int>& drops = {}) {
  Counters c;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (is_aggregate(counter_at(i))) continue;
    for (std::size_t k = 0; k <= i; ++k) c.count(counter_at(i));
  }
  for (const auto& [reason, n] : drops) {
    for (int k = 0; k < n; ++k) c.count(reason);
  }
  return c;
}

// What sample(drops) gives counter i: i + 1, or for an aggregate the sum of the drops that count toward it.
std::uint64_t sample_value(std::size_t i, const std::map<DropReason, int>& drops = {}) {
  if (!is_aggregate(counter_at(i))) return i + 1;
  std::uint64_t n = 0;
  for (const auto& [reason, count] : drops) n += aggregate_of(reason) == counter_at(i) ? count : 0;
  return n;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string first_word(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  in >> word;
  return word;
}

// The index of the row whose first word is exactly `name` (so ip_truncated never matches arp_truncated's row).
std::optional<std::size_t> row_of(const std::vector<std::string>& rows, std::string_view name) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (first_word(rows[i]) == name) return i;
  }
  return std::nullopt;
}

// Where the text after the value starts in a row "    NAME   VALUE  TEXT".
std::size_t text_column(const std::string& row) {
  std::size_t pos = row.find_first_not_of(' ');  // name
  pos = row.find(' ', pos);                      // after the name
  pos = row.find_first_not_of(' ', pos);         // value
  pos = row.find(' ', pos);                      // after the value
  return row.find_first_not_of(' ', pos);        // text
}

std::string value_word(const std::string& row) {
  std::istringstream in(row);
  std::string name, value;
  in >> name >> value;
  return value;
}

TEST(CountersTable, ListsEveryCounterWithValueAndMeaningUnderItsLayer) {
  const auto rows = lines(counters_table(sample()));
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const Counter c = counter_at(i);
    const auto row = row_of(rows, counter_name(c));
    ASSERT_TRUE(row) << counter_name(c) << " missing from the table";
    EXPECT_EQ(value_word(rows[*row]), std::to_string(sample_value(i))) << rows[*row];
    EXPECT_NE(rows[*row].find(counter_meaning(c)), std::string::npos) << rows[*row];

    // The nearest heading above the row is the counter's layer.
    std::optional<std::string> heading;
    for (std::size_t h = *row; h-- > 0;) {
      if (rows[h].starts_with("  ") && !rows[h].starts_with("   ")) {
        heading = rows[h].substr(2);
        break;
      }
    }
    ASSERT_TRUE(heading) << counter_name(c);
    EXPECT_EQ(*heading, counter_group_name(counter_group(c))) << counter_name(c);
  }
}

TEST(CountersTable, GroupsTheLayersAsTheIssueAsks) {
  EXPECT_EQ(counter_group(Counter::ifInUcastPkts), CounterGroup::link);
  EXPECT_EQ(counter_group(Counter::ifInErrors), CounterGroup::link);
  EXPECT_EQ(counter_group(Counter::arpOutRequests), CounterGroup::arp);
  EXPECT_EQ(counter_group(Counter::ipInReceives), CounterGroup::ipv4);
  EXPECT_EQ(counter_group(Counter::ipReasmOKs), CounterGroup::fragments);
  EXPECT_EQ(counter_group(Counter::ipFragCreates), CounterGroup::fragments);
  EXPECT_EQ(counter_group(Counter::icmpInEchos), CounterGroup::icmp);
  EXPECT_EQ(counter_group(Counter::udpNoPorts), CounterGroup::udp);

  // Each layer's heading appears once, in order from the link up.
  const std::string table = counters_table(Counters{});
  std::size_t last = 0;
  for (std::size_t g = 0; g < kCounterGroupCount; ++g) {
    const std::string heading = fmt::format("\n  {}\n", counter_group_name(static_cast<CounterGroup>(g)));
    const std::size_t at = table.find(heading);
    ASSERT_NE(at, std::string::npos) << heading;
    EXPECT_EQ(table.find(heading, at + 1), std::string::npos) << heading << " twice";
    EXPECT_GT(at, last) << heading << " out of order";
    last = at;
  }
}

TEST(CountersTable, ListsNonZeroDropsWithMeaningAndRuleAndOmitsTheRest) {
  const std::map<DropReason, int> drops{{DropReason::eth_not_for_us, 4},
                                        {DropReason::ip_bad_checksum, 1},
                                        {DropReason::reasm_overlap, 12}};
  const std::string table = counters_table(sample(drops));
  const auto rows = lines(table);
  const auto drops_heading = std::find(rows.begin(), rows.end(), "drops: 17 in all");
  ASSERT_NE(drops_heading, rows.end()) << table;
  const std::vector<std::string> drop_rows(drops_heading + 1, rows.end());
  EXPECT_EQ(drop_rows.size(), drops.size()) << table;

  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const DropReason reason = drop_at(i);
    const DropReasonInfo info = describe(reason);
    const auto row = row_of(drop_rows, info.name);
    if (!drops.contains(reason)) {
      EXPECT_FALSE(row) << info.name << " has no drops but is listed";
      EXPECT_EQ(table.find(info.name), std::string::npos) << info.name << " appears in the table";
      continue;
    }
    ASSERT_TRUE(row) << info.name << " missing";
    const std::string& line = drop_rows[*row];
    EXPECT_EQ(value_word(line), std::to_string(drops.at(reason))) << line;
    EXPECT_NE(line.find(info.meaning), std::string::npos) << line;
    // The rule, and the MIB counter the drop counts toward where there is one.
    const std::string toward = info.aggregate.empty() ? "" : fmt::format(", in {}", info.aggregate);
    EXPECT_NE(line.find(fmt::format("({}{})", info.rule, toward)), std::string::npos) << line;
  }
  // eth_not_for_us counts toward ifInDiscards, ip_bad_checksum toward ipInHdrErrors; reasm_overlap toward none.
  EXPECT_EQ(value_word(lines(table)[*row_of(lines(table), "ifInDiscards")]), "4");
  EXPECT_EQ(value_word(lines(table)[*row_of(lines(table), "ipInHdrErrors")]), "1");
}

// RFC 4293's and RFC 2011's error counters are the drops that name them, never counted on their own.
TEST(Counters, MibAggregatesAreTheSumOfTheirDrops) {
  const std::pair<DropReason, Counter> named[] = {{DropReason::ip_bad_checksum, Counter::ipInHdrErrors},
                                                  {DropReason::ip_bad_options, Counter::ipInHdrErrors},
                                                  {DropReason::ip_not_for_us, Counter::ipInAddrErrors},
                                                  {DropReason::ip_bad_source, Counter::ipInAddrErrors},
                                                  {DropReason::ip_unknown_protocol, Counter::ipInUnknownProtos},
                                                  {DropReason::icmp_bad_checksum, Counter::icmpInErrors},
                                                  {DropReason::icmp_truncated, Counter::icmpInErrors},
                                                  {DropReason::udp_bad_checksum, Counter::udpInErrors},
                                                  {DropReason::udp_port_unreachable, Counter::udpNoPorts},
                                                  {DropReason::eth_not_for_us, Counter::ifInDiscards}};
  for (const auto& [reason, counter] : named) {
    Counters c;
    c.count(reason);
    c.count(reason);
    EXPECT_EQ(c.get(counter), 2u) << describe(reason).name << " -> " << counter_name(counter);
    EXPECT_TRUE(is_aggregate(counter)) << counter_name(counter);
  }
  // Reasons with no MIB counter of their own leave every counter alone.
  Counters c;
  c.count(DropReason::reasm_overlap);
  c.count(DropReason::arp_not_for_us);
  for (std::size_t i = 0; i < kCounterCount; ++i) EXPECT_EQ(c.get(counter_at(i)), 0u) << counter_name(counter_at(i));
  EXPECT_FALSE(is_aggregate(Counter::ipInReceives));
  EXPECT_EQ(describe(Counter::arpInRequests).source, "ministack");
  EXPECT_EQ(describe(Counter::ifInUcastPkts).source, "IF-MIB");
}

TEST(CountersTable, SaysSoWhenNothingWasDropped) {
  const std::string table = counters_table(sample());
  EXPECT_TRUE(table.ends_with("\ndrops: none\n")) << table;
}

TEST(CountersTable, ColumnsAreAligned) {
  Counters c = sample({{DropReason::ip_broadcast_echo_ignored, 3}});
  for (int k = 0; k < 123456; ++k) c.count(Counter::ifInUcastPkts);  // a wide value
  const auto rows = lines(counters_table(c));
  std::optional<std::size_t> column;
  std::size_t checked = 0;
  for (const std::string& row : rows) {
    if (!row.starts_with("    ")) continue;  // headings
    const std::size_t at = text_column(row);
    if (!column) column = at;
    EXPECT_EQ(at, *column) << row;
    ++checked;
  }
  EXPECT_EQ(checked, kCounterCount + 1);
}

TEST(CountersTable, ColumnsStayAlignedWhenADropCountIsTheWidest) {
  Counters c;  // udpInErrors is the sum of the UDP drops: the widest value on both sides
  for (int k = 0; k < 1000000; ++k) c.count(DropReason::udp_bad_checksum);
  const auto rows = lines(counters_table(c));
  const auto counter_row = row_of(rows, "udpInErrors");
  const auto drop_row = row_of(rows, "udp_bad_checksum");
  ASSERT_TRUE(counter_row && drop_row);
  EXPECT_EQ(text_column(rows[*counter_row]), text_column(rows[*drop_row])) << rows[*counter_row] << "\n"
                                                                           << rows[*drop_row];
}

TEST(CountersTable, MeaningsComeFromTheCounterList) {
  EXPECT_EQ(counter_meaning(Counter::ifInUcastPkts), "frames to our MAC (TAP) or packets (TUN) passed up to ARP or IP");
  EXPECT_EQ(counter_meaning(Counter::udpOutDatagrams), "UDP datagrams sent");
  const auto rows = lines(counters_table(Counters{}));
  const auto row = row_of(rows, "icmpInEchos");
  ASSERT_TRUE(row);
  EXPECT_TRUE(rows[*row].ends_with("  0  ICMP echo requests received")) << rows[*row];
}

TEST(CountersJson, ParsesBackWithSchemaVersionAndEveryValue) {
  const std::map<DropReason, int> drops{{DropReason::eth_truncated, 2},
                                        {DropReason::udp_port_unreachable, 5},
                                        {DropReason::arp_unresolved, 1}};
  const Counters c = sample(drops);
  const auto doc = nlohmann::json::parse(counters_json(c, "0.1.0"));

  EXPECT_EQ(doc.at("schema"), "ministack-counters/2");
  EXPECT_EQ(doc.at("version"), "0.1.0");
  EXPECT_EQ(doc.size(), 6u) << doc.dump();

  const auto& counters = doc.at("counters");
  ASSERT_TRUE(counters.is_object());
  EXPECT_EQ(counters.size(), kCounterCount);
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const std::string name(counter_name(counter_at(i)));
    ASSERT_TRUE(counters.contains(name)) << name;
    EXPECT_TRUE(counters.at(name).is_number_unsigned()) << name;
    EXPECT_EQ(counters.at(name).get<std::uint64_t>(), sample_value(i, drops)) << name;
  }

  const auto& drop_values = doc.at("drops");
  ASSERT_TRUE(drop_values.is_object());
  EXPECT_EQ(drop_values.size(), kDropReasonCount);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const DropReason reason = drop_at(i);
    const std::string name(describe(reason).name);
    ASSERT_TRUE(drop_values.contains(name)) << name;
    const std::uint64_t expected = drops.contains(reason) ? static_cast<std::uint64_t>(drops.at(reason)) : 0;
    EXPECT_EQ(drop_values.at(name).get<std::uint64_t>(), expected) << name;
  }
  EXPECT_EQ(doc.at("total_drops").get<std::uint64_t>(), 8u);
  EXPECT_EQ(doc.at("total_drops").get<std::uint64_t>(), c.total_drops());
}

TEST(CountersJson, KeysInDeclarationOrder) {
  const auto doc = nlohmann::ordered_json::parse(counters_json(Counters{}, "v"));
  std::vector<std::string> top;
  for (const auto& [key, value] : doc.items()) top.push_back(key);
  EXPECT_EQ(top, (std::vector<std::string>{"schema", "version", "counters", "drops", "total_drops", "io"}));
  std::size_t i = 0;
  for (const auto& [key, value] : doc.at("counters").items()) EXPECT_EQ(key, counter_name(counter_at(i++)));
  i = 0;
  for (const auto& [key, value] : doc.at("drops").items()) EXPECT_EQ(key, describe(drop_at(i++)).name);
}

// The system calls a live device made: what a reply costs beyond the stack's work (issue 10).
TEST(CountersJson, IoHoldsEverySystemCallAndTheirSum) {
  IoStats io;
  io.mode = "io_uring";
  io.read = 1;
  io.write = 2;
  io.poll = 3;
  io.io_uring_enter = 40;
  io.netlink = 5;
  io.getrusage = 6;
  const auto doc = nlohmann::ordered_json::parse(counters_json(Counters{}, "v", io));
  const auto& got = doc.at("io");
  std::vector<std::string> keys;
  for (const auto& [key, value] : got.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"mode", "system_calls", "read", "write", "poll", "io_uring_enter",
                                            "netlink", "getrusage"}));
  EXPECT_EQ(got.at("mode"), "io_uring");
  EXPECT_EQ(got.at("system_calls"), 57);
  EXPECT_EQ(got.at("read"), 1);
  EXPECT_EQ(got.at("write"), 2);
  EXPECT_EQ(got.at("poll"), 3);
  EXPECT_EQ(got.at("io_uring_enter"), 40);
  EXPECT_EQ(got.at("netlink"), 5);
  EXPECT_EQ(got.at("getrusage"), 6);
  // A replay or a test device does no I/O of its own.
  EXPECT_EQ(nlohmann::json::parse(counters_json(Counters{}, "v")).at("io").at("mode"), "none");
}

TEST(CountersTable, EndsWithTheSystemCallsOfALiveDevice) {
  IoStats io;
  io.mode = "poll";
  io.read = 7;
  io.write = 5;
  io.poll = 2;
  const auto rows = lines(counters_table(Counters{}, io));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back(),
            "system calls (poll): 14 in all: read 7, write 5, poll 2, io_uring_enter 0, netlink 0, getrusage 0");
  // Without a live device there is no such line.
  EXPECT_EQ(lines(counters_table(Counters{})).back(), "drops: none");
}

TEST(CountersJson, EscapesTheVersion) {
  const std::string version = "0.1.0-\"dev\"\\\n";
  const auto doc = nlohmann::json::parse(counters_json(Counters{}, version));
  EXPECT_EQ(doc.at("version"), version);
  EXPECT_EQ(doc.at("total_drops"), 0);
}

using ministack::testing::TempDir;

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WriteCountersJson, WritesAParseableFileAndLeavesNoTemporary) {
  TempDir dir("stats_test");
  const fs::path path = dir.path() / "stats.json";
  const Counters c = sample({{DropReason::icmp_bad_checksum, 3}});
  write_counters_json(path.string(), c, "0.1.0");

  const std::string text = read_all(path);
  EXPECT_EQ(text, counters_json(c, "0.1.0"));
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc.at("drops").at("icmp_bad_checksum"), 3);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"stats.json"});
}

TEST(WriteCountersJson, ReplacesAnExistingFile) {
  TempDir dir("stats_test");
  const fs::path path = dir.path() / "stats.json";
  std::ofstream(path) << "a much longer previous content that must not survive as a tail of the new file...\n"
                      << std::string(10000, 'x');
  Counters c;
  c.count(Counter::ifInUcastPkts);
  write_counters_json(path.string(), c, "1");
  EXPECT_EQ(read_all(path), counters_json(c, "1"));
  EXPECT_EQ(nlohmann::json::parse(read_all(path)).at("counters").at("ifInUcastPkts"), 1);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"stats.json"});
}

TEST(WriteCountersJson, AStaleTemporaryFromACrashedRunDoesNotLeakIntoTheFile) {
  TempDir dir("stats_test");
  const fs::path path = dir.path() / "stats.json";
  // The temporary is named after the path and the PID, which a crashed earlier process may have had too.
  std::ofstream(dir.path() / fmt::format("stats.json.tmp.{}", ::getpid())) << std::string(10000, 'x');
  write_counters_json(path.string(), Counters{}, "1");
  EXPECT_EQ(read_all(path), counters_json(Counters{}, "1"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"stats.json"});
}

TEST(WriteCountersJson, FailsClearlyInAMissingDirectory) {
  TempDir dir("stats_test");
  const std::string path = (dir.path() / "no-such-dir" / "stats.json").string();
  try {
    write_counters_json(path, Counters{}, "0.1.0");
    FAIL() << "wrote into a missing directory";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot write counters to " + path + ": "), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(WriteCountersJson, FailsClearlyOnADirectoryAndCleansUp) {
  TempDir dir("stats_test");
  const fs::path target = dir.path() / "stats.json";
  fs::create_directory(target);
  try {
    write_counters_json(target.string(), Counters{}, "0.1.0");
    FAIL() << "replaced a directory";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot write counters to " + target.string() + ": "), std::string::npos) << message;
    EXPECT_NE(message.find("Is a directory"), std::string::npos) << message;
  }
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"stats.json"}) << "the temporary file was left behind";
}

TunnelCounters some_tunnel_traffic() {
  TunnelCounters t;
  t.in_packets = 3;
  t.in_octets = 252;
  t.out_packets = 4;
  t.out_octets = 1336;
  t.count(TunnelDrop::unknown_source, 2);
  t.count(TunnelDrop::receive_overflow, 17);
  return t;
}

TEST(TunnelJson, HoldsTheFourCountersAndEveryDropReasonZerosIncluded) {
  const auto doc = nlohmann::json::parse(tunnel_json(some_tunnel_traffic(), "0.1.0"));
  EXPECT_EQ(doc["schema"], "ministack-tunnel/1");
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["counters"]["tunnelInPackets"], 3);
  EXPECT_EQ(doc["counters"]["tunnelInOctets"], 252);
  EXPECT_EQ(doc["counters"]["tunnelOutPackets"], 4);
  EXPECT_EQ(doc["counters"]["tunnelOutOctets"], 1336);
  ASSERT_EQ(doc["drops"].size(), kTunnelDropCount);
  for (const TunnelDropInfo& info : kTunnelDropInfo) EXPECT_TRUE(doc["drops"].contains(info.name)) << info.name;
  EXPECT_EQ(doc["drops"]["tunnel_unknown_source"], 2);
  EXPECT_EQ(doc["drops"]["tunnel_receive_overflow"], 17);
  EXPECT_EQ(doc["drops"]["tunnel_not_ip"], 0);
  EXPECT_EQ(doc["total_drops"], 19);
}

TEST(CountersJson, CarriesTheUdpDevicesTunnelCountersOnlyWhenThereIsOne) {
  const TunnelCounters t = some_tunnel_traffic();
  const auto with = nlohmann::json::parse(counters_json(Counters{}, "0.1.0", {}, &t));
  EXPECT_EQ(with["schema"], "ministack-counters/2");
  EXPECT_EQ(with["tunnel"]["counters"]["tunnelOutOctets"], 1336);
  EXPECT_EQ(with["tunnel"]["drops"]["tunnel_unknown_source"], 2);
  EXPECT_EQ(with["tunnel"]["total_drops"], 19);
  EXPECT_FALSE(nlohmann::json::parse(counters_json(Counters{}, "0.1.0")).contains("tunnel"));
}

TEST(TunnelTable, ListsTheCountersAndOnlyTheDropsThatHappened) {
  const std::string table = tunnel_table(some_tunnel_traffic());
  EXPECT_NE(table.find("tunnelInPackets"), std::string::npos) << table;
  EXPECT_NE(table.find("tunnelOutOctets"), std::string::npos) << table;
  EXPECT_NE(table.find("tunnel drops: 19 in all"), std::string::npos) << table;
  EXPECT_NE(table.find(std::string(describe(TunnelDrop::unknown_source).meaning)), std::string::npos) << table;
  EXPECT_EQ(table.find("tunnel_not_ip"), std::string::npos) << table;
  EXPECT_NE(tunnel_table(TunnelCounters{}).find("tunnel drops: none"), std::string::npos);
}

}  // namespace
