// PcapWriter: what it writes reads back identically with libpcap, whatever the link type, and is on disk at once.
// The captures and the temporary directories: pcap_files.hpp.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "device/pcap_writer.hpp"
#include "pcap_files.hpp"

namespace pcap_test {
namespace {

using ministack::PcapWriter;

struct WriterCase {
  int dlt;                      // what PcapWriter is given
  std::uint32_t file_linktype;  // what the file's header must say
  const char* name;
};

void PrintTo(const WriterCase& c, std::ostream* os) { *os << c.name; }

class PcapWriterRoundTrip : public PcapTest, public ::testing::WithParamInterface<WriterCase> {};

std::vector<Record> sample_records() {
  return {
      {at(0, 0), distinct_bytes(60, 1)},
      {at(0, 1), distinct_bytes(42, 2)},
      {at(1, 999'999), distinct_bytes(1514, 3)},
      {at(1'700'000'000, 123'456), distinct_bytes(1, 4)},
      {at(1'700'000'000, 123'457), distinct_bytes(98, 5)},
      {at(2'000'000'000, 500'000), distinct_bytes(9014, 6)},  // a jumbo frame: the writer never cuts
      {at(1'600'000'000, 0), distinct_bytes(0, 7)},  // an empty record, and time going backwards: kept as given
  };
}

TEST_P(PcapWriterRoundTrip, FramesAndMicrosecondTimestampsReadBackIdentically) {
  const std::string path = dir_.file("out.pcap");
  const std::vector<Record> records = sample_records();
  {
    PcapWriter writer(path, GetParam().dlt);
    EXPECT_EQ(writer.path(), path);
    for (const Record& r : records) writer.write(r.bytes, r.timestamp);
  }
  EXPECT_EQ(file_linktype(path), GetParam().file_linktype);
  const LibpcapFile back = read_with_libpcap(path);
  EXPECT_EQ(back.datalink, GetParam().dlt);
  ASSERT_EQ(back.records.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(back.records[i].bytes, records[i].bytes) << "frame " << i + 1;
    EXPECT_EQ(back.records[i].timestamp.count(), records[i].timestamp.count()) << "frame " << i + 1;
    EXPECT_EQ(back.original_lengths[i], records[i].bytes.size()) << "frame " << i + 1 << ": never recorded as cut";
  }
}

INSTANTIATE_TEST_SUITE_P(LinkTypes, PcapWriterRoundTrip,
                         ::testing::Values(WriterCase{kEthernet, 1, "ethernet_1"},
                                           WriterCase{kRaw, kLinktypeRaw, "raw_12_as_101"},
                                           WriterCase{kIpv4, 228, "ipv4_228"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(PcapWriterTest, FlushesEveryFrameAtOnce) {
  const std::string path = dir_.file("live.pcap");
  PcapWriter writer(path, kEthernet);
  writer.write(distinct_bytes(60, 1), at(10, 1));
  // Still open: what was written must already be readable (Ctrl-C or a crash loses nothing written).
  LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, distinct_bytes(60, 1));
  writer.write(distinct_bytes(70, 2), at(10, 2));
  back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[1].bytes, distinct_bytes(70, 2));
  EXPECT_EQ(back.records[1].timestamp, at(10, 2));
}

TEST_F(PcapWriterTest, TruncatesAnExistingFile) {
  const std::string path = dir_.file("again.pcap");
  {
    PcapWriter writer(path, kEthernet);
    for (std::uint8_t i = 0; i < 3; ++i) writer.write(distinct_bytes(60, i), at(1, i));
  }
  {
    PcapWriter writer(path, kRaw);
    writer.write(distinct_bytes(20, 9), at(2, 0));
  }
  const LibpcapFile back = read_with_libpcap(path);
  EXPECT_EQ(back.datalink, kRaw);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, distinct_bytes(20, 9));
}

TEST_F(PcapWriterTest, ThrowsNamingThePathWhenItCannotCreateTheFile) {
  const std::string path = dir_.file("no-such-directory/out.pcap");
  try {
    PcapWriter writer(path, kEthernet);
    FAIL() << "PcapWriter created " << path;
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pcap_test
