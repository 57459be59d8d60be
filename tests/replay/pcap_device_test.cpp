// The pcap devices on their own: PcapWriter, PcapReplayDevice and CaptureDevice.
//
// Every capture is written by the test itself into a fresh temporary directory (removed afterwards): through
// PcapWriter, through libpcap directly (pcap_open_dead + pcap_dump_open, for any link type), or byte by byte (for
// link-type values libpcap would rewrite on the way out, such as the historical DLT_RAW 12 and 14, and for damaged
// files). Files are read back with libpcap's pcap_open_offline, independently of the code under test.
#include <pcap/pcap.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "device/capture_device.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"
#include "device/queue_device.hpp"
#include "stack/stack.hpp"

namespace {

namespace fs = std::filesystem;
using ministack::Bytes;
using ministack::CaptureDevice;
using ministack::Device;
using ministack::DeviceError;
using ministack::LinkLayer;
using ministack::PcapReplayDevice;
using ministack::PcapWriter;
using ministack::QueueDevice;
using ministack::Received;
using Frame = std::vector<std::uint8_t>;
using Timestamp = Received::Timestamp;
using std::chrono::milliseconds;

// libpcap DLT_ / LINKTYPE_ values used below (spelled out: some are not defined on every platform's pcap.h).
constexpr int kNull = 0;          // DLT_NULL (BSD loopback)
constexpr int kEthernet = 1;      // DLT_EN10MB
constexpr int kRaw = 12;          // DLT_RAW on Linux; LINKTYPE_RAW is 101 in files
constexpr int kRawBsd = 14;       // DLT_RAW on BSD/OS and OpenBSD
constexpr int kLinktypeRaw = 101;
constexpr int kIeee80211 = 105;   // DLT_IEEE802_11
constexpr int kLinuxSll = 113;
constexpr int kIpv4 = 228;
constexpr int kLinuxSll2 = 276;

constexpr std::uint16_t kProtoIpv4 = 0x0800;
constexpr std::uint16_t kProtoArp = 0x0806;
constexpr std::uint16_t kProtoIpv6 = 0x86dd;

// ---------------------------------------------------------------------------------------------------------------
// Temporary directory and files

// A directory of its own under temp_directory_path(), removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const fs::path candidate = fs::temp_directory_path() /
                                 ("ministack-device-test-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(counter++) + "-" + std::to_string(random()));
      if (fs::create_directory(candidate)) {
        path_ = candidate;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory under " + fs::temp_directory_path().string());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Record {
  Timestamp timestamp{};
  Frame bytes;
  std::uint32_t original_length = 0;  // 0: the same as bytes.size()
};

Timestamp at(std::int64_t seconds, std::int64_t microseconds) { return Timestamp{seconds * 1'000'000 + microseconds}; }

// Bytes that differ from frame to frame and from position to position, so a mix-up or an offset shows.
Frame pattern(std::size_t size, std::uint8_t seed) {
  Frame f(size);
  for (std::size_t i = 0; i < size; ++i) f[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
  return f;
}

Frame concat(const Frame& a, const Frame& b) {
  Frame out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void put16(Frame& f, std::size_t at_offset, std::uint16_t v) {
  f[at_offset] = static_cast<std::uint8_t>(v >> 8);
  f[at_offset + 1] = static_cast<std::uint8_t>(v);
}

// An IPv4-looking and an IPv6-looking packet (the devices never parse them; the first nibble is for the eye).
Frame ipv4_packet(std::size_t size, std::uint8_t seed) {
  Frame f = pattern(size, seed);
  f[0] = 0x45;
  return f;
}
Frame ipv6_packet(std::size_t size, std::uint8_t seed) {
  Frame f = pattern(size, seed);
  f[0] = 0x60;
  return f;
}

// Linux cooked headers (see pcap-linktype(7)).
constexpr std::uint8_t kHost = 0, kBroadcast = 1, kOtherHost = 3, kOutgoing = 4;

Frame sll_header(std::uint8_t pkttype, std::uint16_t protocol) {
  Frame h(16, 0);
  put16(h, 0, pkttype);           // packet type
  put16(h, 2, 1);                 // ARPHRD_ETHER
  put16(h, 4, 6);                 // address length
  const std::uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::copy(std::begin(mac), std::end(mac), h.begin() + 6);
  put16(h, 14, protocol);
  return h;
}

Frame sll2_header(std::uint8_t pkttype, std::uint16_t protocol) {
  Frame h(20, 0);
  put16(h, 0, protocol);
  h[7] = 2;                       // interface index 2 (bytes 4..7)
  put16(h, 8, 1);                 // ARPHRD_ETHER
  h[10] = pkttype;
  h[11] = 6;                      // address length
  const std::uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::copy(std::begin(mac), std::end(mac), h.begin() + 12);
  return h;
}

Frame cooked(int dlt, std::uint8_t pkttype, std::uint16_t protocol, const Frame& payload) {
  return concat(dlt == kLinuxSll ? sll_header(pkttype, protocol) : sll2_header(pkttype, protocol), payload);
}

// Writes `records` with libpcap itself, as any capturing tool would: `dlt` is a DLT_ value, which libpcap maps to
// the file's LINKTYPE_ value (12 -> 101).
void write_with_libpcap(const std::string& path, int dlt, const std::vector<Record>& records,
                        u_int precision = PCAP_TSTAMP_PRECISION_MICRO) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(dlt, 262144, precision);
  if (!dead) throw std::runtime_error("pcap_open_dead failed for link type " + std::to_string(dlt));
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (!dumper) {
    const std::string why = pcap_geterr(dead);
    pcap_close(dead);
    throw std::runtime_error("pcap_dump_open " + path + ": " + why);
  }
  const std::int64_t per_second = precision == PCAP_TSTAMP_PRECISION_NANO ? 1'000'000'000 : 1'000'000;
  for (const Record& r : records) {
    // For nanosecond files the record's timestamp is taken as nanoseconds.
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(r.timestamp.count() / per_second);
    header.ts.tv_usec = static_cast<suseconds_t>(r.timestamp.count() % per_second);
    header.caplen = static_cast<bpf_u_int32>(r.bytes.size());
    header.len = r.original_length ? r.original_length : header.caplen;
    pcap_dump(static_cast<u_char*>(static_cast<void*>(dumper)), &header, r.bytes.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

void append_le32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Writes a classic microsecond pcap file byte by byte, with exactly `linktype` in its header (libpcap would turn
// DLT 12 into 101, and has no DLT 14 on Linux), in little- or big-endian order.
void write_raw_pcap(const std::string& path, std::uint32_t linktype, const std::vector<Record>& records,
                    bool big_endian = false) {
  std::string out;
  auto put32 = [&](std::uint32_t v) { big_endian ? append_be32(out, v) : append_le32(out, v); };
  auto put16_file = [&](std::uint16_t v) {
    if (big_endian) {
      out.push_back(static_cast<char>(v >> 8));
      out.push_back(static_cast<char>(v & 0xff));
    } else {
      out.push_back(static_cast<char>(v & 0xff));
      out.push_back(static_cast<char>(v >> 8));
    }
  };
  put32(0xa1b2c3d4);  // magic: microsecond timestamps
  put16_file(2);      // version 2.4
  put16_file(4);
  put32(0);           // thiszone
  put32(0);           // sigfigs
  put32(262144);      // snaplen
  put32(linktype);
  for (const Record& r : records) {
    put32(static_cast<std::uint32_t>(r.timestamp.count() / 1'000'000));
    put32(static_cast<std::uint32_t>(r.timestamp.count() % 1'000'000));
    put32(static_cast<std::uint32_t>(r.bytes.size()));
    put32(r.original_length ? r.original_length : static_cast<std::uint32_t>(r.bytes.size()));
    out.append(r.bytes.begin(), r.bytes.end());
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file) throw std::runtime_error("cannot write " + path);
}

// What libpcap reads back from a file: its DLT and every record, timestamps in microseconds.
struct LibpcapFile {
  int datalink = -1;
  std::vector<Record> records;
  std::vector<std::uint32_t> original_lengths;
};

LibpcapFile read_with_libpcap(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline(path.c_str(), errbuf);
  if (!handle) throw std::runtime_error("pcap_open_offline " + path + ": " + errbuf);
  LibpcapFile out;
  out.datalink = pcap_datalink(handle);
  for (;;) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle, &header, &data);
    if (rc == PCAP_ERROR_BREAK) break;
    if (rc != 1) {
      const std::string why = pcap_geterr(handle);
      pcap_close(handle);
      throw std::runtime_error("pcap_next_ex " + path + ": " + why);
    }
    Record r;
    r.timestamp = at(header->ts.tv_sec, header->ts.tv_usec);
    r.bytes.assign(data, data + header->caplen);
    out.records.push_back(std::move(r));
    out.original_lengths.push_back(header->len);
  }
  pcap_close(handle);
  return out;
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The LINKTYPE_ value in a pcap file's header, read in the byte order its magic number says.
std::uint32_t file_linktype(const std::string& path) {
  const std::vector<std::uint8_t> b = file_bytes(path);
  if (b.size() < 24) throw std::runtime_error(path + " has no complete pcap header");
  const bool little = b[0] == 0xd4 || b[0] == 0x4d;  // d4 c3 b2 a1 (micro) or 4d 3c b2 a1 (nano)
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint32_t byte = b[20 + i];
    v |= little ? byte << (8 * i) : byte << (8 * (3 - i));
  }
  return v;
}

void chop(const std::string& path, std::uintmax_t bytes) { fs::resize_file(path, fs::file_size(path) - bytes); }

// ---------------------------------------------------------------------------------------------------------------
// Reading a device

struct Got {
  Frame bytes;
  Timestamp timestamp{};
};

std::vector<Got> drain(Device& device, std::size_t buffer_size) {
  std::vector<Got> out;
  Frame buffer(buffer_size);
  for (;;) {
    const Received in = device.receive(buffer, milliseconds{0});
    if (in.status == Received::Status::end) return out;
    EXPECT_EQ(in.status, Received::Status::frame);
    EXPECT_LE(in.length, buffer.size());
    out.push_back({Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), in.timestamp});
    if (out.size() > 10'000) throw std::runtime_error("device never reports the end");
  }
}

std::vector<Got> drain(Device& device) { return drain(device, device.receive_buffer_size()); }

void expect_same(const std::vector<Got>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].bytes, want[i].bytes) << "frame " << i + 1;
    EXPECT_EQ(got[i].timestamp.count(), want[i].timestamp.count()) << "frame " << i + 1;
  }
}

// A fixture that gives every test a temporary directory of its own.
class PcapTest : public ::testing::Test {
 protected:
  TempDir dir_;
};
// One suite name per device under test.
using PcapWriterTest = PcapTest;
using PcapReplayDeviceTest = PcapTest;
using CaptureDeviceTest = PcapTest;

// ---------------------------------------------------------------------------------------------------------------
// PcapWriter

struct WriterCase {
  int dlt;                     // what PcapWriter is given
  std::uint32_t file_linktype;  // what the file's header must say
  const char* name;
};

void PrintTo(const WriterCase& c, std::ostream* os) { *os << c.name; }

class PcapWriterRoundTrip : public PcapTest, public ::testing::WithParamInterface<WriterCase> {};

std::vector<Record> sample_records() {
  return {
      {at(0, 0), pattern(60, 1)},
      {at(0, 1), pattern(42, 2)},
      {at(1, 999'999), pattern(1514, 3)},
      {at(1'700'000'000, 123'456), pattern(1, 4)},
      {at(1'700'000'000, 123'457), pattern(98, 5)},
      {at(2'000'000'000, 500'000), pattern(9014, 6)},  // a jumbo frame: the writer never cuts
      {at(1'600'000'000, 0), pattern(0, 7)},           // an empty record, and time going backwards: kept as given
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
  writer.write(pattern(60, 1), at(10, 1));
  // Still open: what was written must already be readable (Ctrl-C or a crash loses nothing written).
  LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, pattern(60, 1));
  writer.write(pattern(70, 2), at(10, 2));
  back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[1].bytes, pattern(70, 2));
  EXPECT_EQ(back.records[1].timestamp, at(10, 2));
}

TEST_F(PcapWriterTest, TruncatesAnExistingFile) {
  const std::string path = dir_.file("again.pcap");
  {
    PcapWriter writer(path, kEthernet);
    for (std::uint8_t i = 0; i < 3; ++i) writer.write(pattern(60, i), at(1, i));
  }
  {
    PcapWriter writer(path, kRaw);
    writer.write(pattern(20, 9), at(2, 0));
  }
  const LibpcapFile back = read_with_libpcap(path);
  EXPECT_EQ(back.datalink, kRaw);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, pattern(20, 9));
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

// ---------------------------------------------------------------------------------------------------------------
// PcapReplayDevice: link types

TEST_F(PcapReplayDeviceTest, EthernetCaptureFeedsTheTapPipelineUnchanged) {
  const std::string path = dir_.file("eth.pcap");
  const std::vector<Record> records = {
      {at(1'700'000'000, 1), pattern(60, 1)},
      {at(1'700'000'000, 2), pattern(42, 2)},
      {at(1'700'000'001, 999'999), pattern(1514, 3)},
  };
  write_with_libpcap(path, kEthernet, records);
  PcapReplayDevice device(path);
  EXPECT_EQ(device.link(), LinkLayer::ethernet);
  EXPECT_EQ(device.capture_link_type(), kEthernet);
  EXPECT_EQ(device.name(), path);
  EXPECT_EQ(device.mtu(), 1500u);
  EXPECT_EQ(device.receive_buffer_size(), 1514u);
  expect_same(drain(device), records);
  EXPECT_EQ(device.frames_read(), records.size());
  EXPECT_EQ(device.frames_skipped(), 0u);
}

TEST_F(PcapReplayDeviceTest, EmptyCaptureEndsAtOnce) {
  const std::string path = dir_.file("empty.pcap");
  write_with_libpcap(path, kEthernet, {});
  PcapReplayDevice device(path);
  Frame buffer(device.receive_buffer_size());
  EXPECT_EQ(device.receive(buffer, milliseconds{0}).status, Received::Status::end);
  EXPECT_EQ(device.frames_read(), 0u);
}

struct RawCase {
  const char* name;
  std::uint32_t file_linktype;  // the value in the file's header
  bool via_libpcap;             // written by libpcap from DLT `dlt`, else byte by byte with `file_linktype`
  int dlt;
  int capture_link_type;        // what the device reports for writing its output
  bool big_endian = false;
};

void PrintTo(const RawCase& c, std::ostream* os) { *os << c.name; }

class PcapReplayRawLinkTypes : public PcapTest, public ::testing::WithParamInterface<RawCase> {};

TEST_P(PcapReplayRawLinkTypes, FeedTheTunPipelinePacketsUnchangedIpv6Included) {
  const RawCase& c = GetParam();
  const std::string path = dir_.file("raw.pcap");
  const std::vector<Record> records = {
      {at(1'600'000'000, 10), ipv4_packet(84, 1)},
      {at(1'600'000'000, 20), ipv6_packet(104, 2)},  // passed through: the stack itself says ipv6_not_spoken
      {at(1'600'000'000, 30), ipv4_packet(20, 3)},
      {at(1'600'000'001, 0), ipv4_packet(1500, 4)},
  };
  if (c.via_libpcap) {
    write_with_libpcap(path, c.dlt, records);
  } else {
    write_raw_pcap(path, c.file_linktype, records, c.big_endian);
  }
  ASSERT_EQ(file_linktype(path), c.file_linktype);
  PcapReplayDevice device(path);
  EXPECT_EQ(device.link(), LinkLayer::ip);
  EXPECT_EQ(device.capture_link_type(), c.capture_link_type);
  EXPECT_EQ(device.receive_buffer_size(), 1500u);
  expect_same(drain(device), records);
  EXPECT_EQ(device.frames_read(), records.size());
  EXPECT_EQ(device.frames_skipped(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    LinkTypes, PcapReplayRawLinkTypes,
    ::testing::Values(RawCase{"raw_101_in_file", kLinktypeRaw, true, kRaw, kRaw},
                      RawCase{"raw_12_in_file", kRaw, false, 0, kRaw},
                      RawCase{"raw_14_in_file", kRawBsd, false, 0, kRaw},
                      RawCase{"raw_12_in_big_endian_file", kRaw, false, 0, kRaw, true},
                      RawCase{"ipv4_228", kIpv4, true, kIpv4, kIpv4}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

class PcapReplayCooked : public PcapTest, public ::testing::WithParamInterface<int> {};

TEST_P(PcapReplayCooked, StripsTheCookedHeaderAndSkipsOutgoingAndNonIpFrames) {
  const int dlt = GetParam();
  const std::string path = dir_.file("cooked.pcap");
  const Frame in_v4 = ipv4_packet(84, 1), out_v4 = ipv4_packet(84, 2), arp = pattern(28, 3),
              in_v6 = ipv6_packet(104, 4), other_host_v4 = ipv4_packet(60, 5), broadcast_v4 = ipv4_packet(48, 6),
              outgoing_v6 = ipv6_packet(72, 7);
  Frame runt = cooked(dlt, kHost, kProtoIpv4, {});
  runt.resize(runt.size() - 3);  // shorter than the cooked header itself
  const std::vector<Record> records = {
      {at(100, 1), cooked(dlt, kHost, kProtoIpv4, in_v4)},
      {at(100, 2), cooked(dlt, kOutgoing, kProtoIpv4, out_v4)},      // the capturing host's own: skipped
      {at(100, 3), cooked(dlt, kBroadcast, kProtoArp, arp)},         // not IP: skipped
      {at(100, 4), cooked(dlt, kHost, kProtoIpv6, in_v6)},           // IPv6 passes (the stack drops it by name)
      {at(100, 5), runt},                                            // no complete cooked header: skipped
      {at(100, 6), cooked(dlt, kOtherHost, kProtoIpv4, other_host_v4)},
      {at(100, 7), cooked(dlt, kBroadcast, kProtoIpv4, broadcast_v4)},
      {at(100, 8), cooked(dlt, kOutgoing, kProtoIpv6, outgoing_v6)},  // outgoing IPv6: skipped
  };
  write_with_libpcap(path, dlt, records);
  ASSERT_EQ(file_linktype(path), static_cast<std::uint32_t>(dlt));

  PcapReplayDevice device(path);
  EXPECT_EQ(device.link(), LinkLayer::ip);
  EXPECT_EQ(device.capture_link_type(), kRaw) << "a cooked capture is written back as raw IP";
  const std::vector<Record> want = {
      {at(100, 1), in_v4},
      {at(100, 4), in_v6},
      {at(100, 6), other_host_v4},
      {at(100, 7), broadcast_v4},
  };
  expect_same(drain(device), want);
  EXPECT_EQ(device.frames_read(), records.size());
  EXPECT_EQ(device.frames_skipped(), 4u);
}

TEST_P(PcapReplayCooked, CaptureOfOnlySkippedFramesEndsWithoutAFrame) {
  const int dlt = GetParam();
  const std::string path = dir_.file("cooked-arp.pcap");
  write_with_libpcap(path, dlt,
                     {{at(1, 0), cooked(dlt, kBroadcast, kProtoArp, pattern(28, 1))},
                      {at(1, 1), cooked(dlt, kOutgoing, kProtoIpv4, ipv4_packet(40, 2))}});
  PcapReplayDevice device(path);
  EXPECT_TRUE(drain(device).empty());
  EXPECT_EQ(device.frames_read(), 2u);
  EXPECT_EQ(device.frames_skipped(), 2u);
}

INSTANTIATE_TEST_SUITE_P(LinkTypes, PcapReplayCooked, ::testing::Values(kLinuxSll, kLinuxSll2),
                         [](const auto& param_info) {
                           return param_info.param == kLinuxSll ? "linux_sll_113" : "linux_sll2_276";
                         });

// ---------------------------------------------------------------------------------------------------------------
// PcapReplayDevice: errors

class PcapReplayUnsupported : public PcapTest, public ::testing::WithParamInterface<int> {};

TEST_P(PcapReplayUnsupported, ThrowsNamingTheLinkTypeNumber) {
  const int dlt = GetParam();
  const std::string path = dir_.file("unsupported.pcap");
  write_with_libpcap(path, dlt, {{at(1, 0), pattern(60, 1)}});
  try {
    PcapReplayDevice device(path);
    FAIL() << "link type " << dlt << " was accepted";
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("link type " + std::to_string(dlt)), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(LinkTypes, PcapReplayUnsupported, ::testing::Values(kNull, kIeee80211),
                         [](const auto& param_info) {
                           return param_info.param == kNull ? "null_0" : "ieee802_11_105";
                         });

TEST_F(PcapReplayDeviceTest, MissingFileThrowsNamingThePath) {
  const std::string path = dir_.file("does-not-exist.pcap");
  try {
    PcapReplayDevice device(path);
    FAIL() << "opened " << path;
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST_F(PcapReplayDeviceTest, FileThatIsNotACaptureThrowsNamingThePath) {
  const std::string path = dir_.file("notes.pcap");
  std::ofstream(path) << "this is not a pcap file, just some text that is long enough\n";
  try {
    PcapReplayDevice device(path);
    FAIL() << "opened " << path;
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST_F(PcapReplayDeviceTest, CaptureCutInsideItsFileHeaderThrowsNamingThePath) {
  const std::string path = dir_.file("header-only.pcap");
  write_with_libpcap(path, kEthernet, {});
  chop(path, 10);
  EXPECT_THROW(PcapReplayDevice device(path), DeviceError);
}

// The file holds three 100-byte frames; each record is a 16-byte header and the frame. `chopped` bytes are cut off
// its end: from 1 to 115 the third record is incomplete (its data, or its header too), at 116 it is gone entirely.
class PcapReplayTruncated : public PcapTest, public ::testing::WithParamInterface<int> {};

TEST_P(PcapReplayTruncated, ReturnsEveryCompleteFrameThenThrowsDamaged) {
  const int chopped = GetParam();
  const std::string path = dir_.file("cut.pcap");
  const std::vector<Record> records = {
      {at(50, 1), pattern(100, 1)}, {at(50, 2), pattern(100, 2)}, {at(50, 3), pattern(100, 3)}};
  write_with_libpcap(path, kEthernet, records);
  chop(path, static_cast<std::uintmax_t>(chopped));

  PcapReplayDevice device(path);
  Frame buffer(device.receive_buffer_size());
  for (std::size_t i = 0; i < 2; ++i) {
    const Received in = device.receive(buffer, milliseconds{0});
    ASSERT_EQ(in.status, Received::Status::frame) << "frame " << i + 1;
    EXPECT_EQ(Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), records[i].bytes);
    EXPECT_EQ(in.timestamp, records[i].timestamp);
  }
  try {
    device.receive(buffer, milliseconds{0});
    FAIL() << "the incomplete third frame was not reported";
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("damaged"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(CutInsideTheLastRecord, PcapReplayTruncated, ::testing::Values(1, 50, 99, 100, 101, 110, 115),
                         [](const auto& param_info) { return "chopped_" + std::to_string(param_info.param); });

TEST_F(PcapReplayDeviceTest, CaptureCutAtARecordBoundaryEndsCleanly) {
  const std::string path = dir_.file("cut-clean.pcap");
  const std::vector<Record> records = {
      {at(50, 1), pattern(100, 1)}, {at(50, 2), pattern(100, 2)}, {at(50, 3), pattern(100, 3)}};
  write_with_libpcap(path, kEthernet, records);
  chop(path, 16 + 100);
  PcapReplayDevice device(path);
  expect_same(drain(device), {records[0], records[1]});
}

// ---------------------------------------------------------------------------------------------------------------
// PcapReplayDevice: sizes and timestamps

TEST_F(PcapReplayDeviceTest, FrameLongerThanTheBufferIsCutToTheBuffer) {
  const std::string path = dir_.file("long.pcap");
  const Frame jumbo = pattern(9014, 1), after = pattern(60, 2);
  write_with_libpcap(path, kEthernet, {{at(7, 1), jumbo}, {at(7, 2), after}});
  PcapReplayDevice device(path);
  Frame buffer(100, 0xee);
  Received in = device.receive(buffer, milliseconds{0});
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_EQ(in.length, 100u);
  EXPECT_EQ(buffer, Frame(jumbo.begin(), jumbo.begin() + 100));
  EXPECT_EQ(in.timestamp, at(7, 1));
  // The next frame is read whole: the cut did not desynchronise the file.
  in = device.receive(buffer, milliseconds{0});
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_EQ(Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), after);
  EXPECT_EQ(device.receive(buffer, milliseconds{0}).status, Received::Status::end);
}

TEST_F(PcapReplayDeviceTest, FrameLongerThanTheMtuIsCutToTheDeviceBuffer) {
  const std::string path = dir_.file("mtu.pcap");
  const Frame jumbo = pattern(9014, 1);
  write_with_libpcap(path, kEthernet, {{at(7, 1), jumbo}});
  PcapReplayDevice device(path);
  const std::vector<Got> got = drain(device);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, Frame(jumbo.begin(), jumbo.begin() + 1514));

  PcapReplayDevice big(path, 9000);
  EXPECT_EQ(big.mtu(), 9000u);
  EXPECT_EQ(big.receive_buffer_size(), 9014u);
  const std::vector<Got> whole = drain(big);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].bytes, jumbo);
}

TEST_F(PcapReplayDeviceTest, CookedFrameLongerThanTheBufferIsCutAfterItsHeaderIsStripped) {
  const std::string path = dir_.file("cooked-long.pcap");
  const Frame packet = ipv4_packet(3000, 1);
  write_with_libpcap(path, kLinuxSll2, {{at(8, 0), cooked(kLinuxSll2, kHost, kProtoIpv4, packet)}});
  PcapReplayDevice device(path);
  const std::vector<Got> got = drain(device);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, Frame(packet.begin(), packet.begin() + 1500));
}

TEST_F(PcapReplayDeviceTest, TimestampsAreThoseOfTheFile) {
  const std::string path = dir_.file("times.pcap");
  const std::vector<Record> records = {
      {at(0, 0), pattern(60, 1)},
      {at(0, 999'999), pattern(60, 2)},
      {at(1'234'567'890, 123'456), pattern(60, 3)},
      {at(1'234'567'889, 1), pattern(60, 4)},  // earlier than the one before: kept, not "fixed"
      {at(2'100'000'000, 654'321), pattern(60, 5)},
  };
  write_with_libpcap(path, kEthernet, records);
  PcapReplayDevice device(path);
  expect_same(drain(device), records);
}

TEST_F(PcapReplayDeviceTest, NanosecondCaptureTimestampsAreReadInMicroseconds) {
  const std::string path = dir_.file("nano.pcap");
  // Timestamps given in nanoseconds here.
  write_with_libpcap(path, kEthernet,
                     {{Timestamp{1'700'000'000LL * 1'000'000'000 + 123'456'789}, pattern(60, 1)},
                      {Timestamp{1'700'000'001LL * 1'000'000'000 + 999}, pattern(60, 2)}},
                     PCAP_TSTAMP_PRECISION_NANO);
  PcapReplayDevice device(path);
  const std::vector<Got> got = drain(device);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].timestamp, at(1'700'000'000, 123'456));
  EXPECT_EQ(got[1].timestamp, at(1'700'000'001, 0));
}

TEST_F(PcapReplayDeviceTest, TransmittedFramesAreSwallowedAndCounted) {
  const std::string path = dir_.file("tx.pcap");
  write_with_libpcap(path, kEthernet, {{at(1, 0), pattern(60, 1)}});
  PcapReplayDevice device(path);
  device.transmit(pattern(60, 2));
  device.transmit(pattern(42, 3));
  EXPECT_EQ(device.frames_transmitted(), 2u);
  EXPECT_EQ(drain(device).size(), 1u);
}

// ---------------------------------------------------------------------------------------------------------------
// CaptureDevice

// Receives one frame through `device` and returns it (failing the test if none comes).
Frame receive_one(Device& device) {
  Frame buffer(device.receive_buffer_size());
  const Received in = device.receive(buffer, milliseconds{0});
  EXPECT_EQ(in.status, Received::Status::frame);
  buffer.resize(in.status == Received::Status::frame ? in.length : 0);
  return buffer;
}

// rx A, tx a1, rx B, rx C, tx c1, tx c2, end.
struct Exchange {
  Frame a = pattern(60, 0x10), a1 = pattern(60, 0x11), b = pattern(98, 0x20), c = pattern(42, 0x30),
        c1 = pattern(60, 0x31), c2 = pattern(1514, 0x32);

  void run(Device& device) const {
    EXPECT_EQ(receive_one(device), a);
    device.transmit(a1);
    EXPECT_EQ(receive_one(device), b);
    EXPECT_EQ(receive_one(device), c);
    device.transmit(c1);
    device.transmit(c2);
    Frame buffer(device.receive_buffer_size());
    EXPECT_EQ(device.receive(buffer, milliseconds{0}).status, Received::Status::end);
  }
};

std::vector<Frame> frames_of(const LibpcapFile& file) {
  std::vector<Frame> out;
  for (const Record& r : file.records) out.push_back(r.bytes);
  return out;
}

TEST_F(CaptureDeviceTest, BothDirectionsRecordsReceivedAndTransmittedInOrder) {
  const std::string path = dir_.file("both.pcap");
  QueueDevice inner(LinkLayer::ethernet);
  const Exchange x;
  for (const Frame& f : {x.a, x.b, x.c}) inner.inject(f);
  {
    PcapWriter writer(path, inner.capture_link_type());
    CaptureDevice capture(inner, writer, CaptureDevice::Record::both_directions, false);
    x.run(capture);
  }
  EXPECT_EQ(inner.sent(), (std::vector<Frame>{x.a1, x.c1, x.c2})) << "transmitted frames reach the wrapped device";
  const LibpcapFile back = read_with_libpcap(path);
  EXPECT_EQ(back.datalink, kEthernet);
  EXPECT_EQ(frames_of(back), (std::vector<Frame>{x.a, x.a1, x.b, x.c, x.c1, x.c2}));
}

TEST_F(CaptureDeviceTest, TransmittedOnlyRecordsOnlyTransmittedFrames) {
  const std::string path = dir_.file("tx-only.pcap");
  QueueDevice inner(LinkLayer::ip);
  const Exchange x;
  for (const Frame& f : {x.a, x.b, x.c}) inner.inject(f);
  {
    PcapWriter writer(path, inner.capture_link_type());
    CaptureDevice capture(inner, writer, CaptureDevice::Record::transmitted_only, false);
    x.run(capture);
  }
  EXPECT_EQ(inner.sent(), (std::vector<Frame>{x.a1, x.c1, x.c2}));
  const LibpcapFile back = read_with_libpcap(path);
  EXPECT_EQ(back.datalink, kRaw);
  EXPECT_EQ(frames_of(back), (std::vector<Frame>{x.a1, x.c1, x.c2}));
}

TEST_F(CaptureDeviceTest, RecordsReceivedFramesAsCutByTheBuffer) {
  const std::string path = dir_.file("cut-rx.pcap");
  QueueDevice inner(LinkLayer::ethernet);
  const Frame big = pattern(3000, 1);
  inner.inject(big);
  {
    PcapWriter writer(path, kEthernet);
    CaptureDevice capture(inner, writer, CaptureDevice::Record::both_directions, true);
    EXPECT_EQ(receive_one(capture).size(), 1514u);
  }
  const LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, Frame(big.begin(), big.begin() + 1514)) << "what the stack saw, no more";
}

TEST_F(CaptureDeviceTest, PassesTheWrappedDevicesPropertiesThrough) {
  QueueDevice tap(LinkLayer::ethernet, 9000, "tap7");
  QueueDevice tun(LinkLayer::ip, 1280, "tun7");
  const std::string path = dir_.file("props.pcap");
  PcapWriter writer(path, kEthernet);
  CaptureDevice over_tap(tap, writer, CaptureDevice::Record::both_directions, true);
  CaptureDevice over_tun(tun, writer, CaptureDevice::Record::both_directions, true);
  EXPECT_EQ(over_tap.link(), LinkLayer::ethernet);
  EXPECT_EQ(over_tap.name(), "tap7");
  EXPECT_EQ(over_tap.mtu(), 9000u);
  EXPECT_EQ(over_tap.capture_link_type(), kEthernet);
  EXPECT_EQ(over_tun.link(), LinkLayer::ip);
  EXPECT_EQ(over_tun.name(), "tun7");
  EXPECT_EQ(over_tun.mtu(), 1280u);
  EXPECT_EQ(over_tun.capture_link_type(), kRaw);

  const std::string cooked_path = dir_.file("cooked.pcap");
  write_with_libpcap(cooked_path, kLinuxSll, {{at(1, 0), cooked(kLinuxSll, kHost, kProtoIpv4, ipv4_packet(40, 1))}});
  PcapReplayDevice replay(cooked_path);
  CaptureDevice over_replay(replay, writer, CaptureDevice::Record::both_directions, true);
  EXPECT_EQ(over_replay.capture_link_type(), kRaw) << "cooked in, raw IP out";
  EXPECT_EQ(over_replay.name(), cooked_path);
}

TEST_F(CaptureDeviceTest, StampsRepliesWithTheCauseTimestampFromAQueueDevice) {
  // QueueDevice stamps what it delivers with the zero timestamp; with stamp_replies_with_cause every transmitted
  // frame carries that, not the wall clock.
  const std::string path = dir_.file("stamped.pcap");
  QueueDevice inner(LinkLayer::ethernet);
  const Exchange x;
  for (const Frame& f : {x.a, x.b, x.c}) inner.inject(f);
  {
    PcapWriter writer(path, kEthernet);
    CaptureDevice capture(inner, writer, CaptureDevice::Record::both_directions, true);
    x.run(capture);
  }
  const LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 6u);
  for (const Record& r : back.records) EXPECT_EQ(r.timestamp.count(), 0);
}

TEST_F(CaptureDeviceTest, WithoutCauseStampsTransmittedFramesWithTheWallClock) {
  const std::string path = dir_.file("wall.pcap");
  QueueDevice inner(LinkLayer::ethernet);
  const Exchange x;
  for (const Frame& f : {x.a, x.b, x.c}) inner.inject(f);
  const auto now = [] {
    return std::chrono::duration_cast<Timestamp>(std::chrono::system_clock::now().time_since_epoch());
  };
  const Timestamp before = now();
  {
    PcapWriter writer(path, kEthernet);
    CaptureDevice capture(inner, writer, CaptureDevice::Record::both_directions, false);
    x.run(capture);
  }
  const Timestamp after = now();
  const LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 6u);
  for (std::size_t i : {1u, 4u, 5u}) {  // a1, c1, c2
    EXPECT_GE(back.records[i].timestamp.count(), before.count()) << "frame " << i + 1;
    EXPECT_LE(back.records[i].timestamp.count(), after.count()) << "frame " << i + 1;
  }
  for (std::size_t i : {0u, 2u, 3u}) EXPECT_EQ(back.records[i].timestamp.count(), 0) << "frame " << i + 1;
}

// Replays a file through a CaptureDevice that stamps replies with their cause, transmitting `replies[i]` copies of
// a reply after the i-th received frame; returns the output file's bytes.
std::vector<std::uint8_t> replay_and_capture(const std::string& input, const std::string& output,
                                             const std::vector<int>& replies, CaptureDevice::Record record) {
  PcapReplayDevice replay(input);
  {
    PcapWriter writer(output, replay.capture_link_type());
    CaptureDevice capture(replay, writer, record, true);
    Frame buffer(capture.receive_buffer_size());
    for (std::size_t i = 0;; ++i) {
      const Received in = capture.receive(buffer, milliseconds{0});
      if (in.status == Received::Status::end) break;
      for (int n = 0; n < (i < replies.size() ? replies[i] : 0); ++n) {
        capture.transmit(pattern(60, static_cast<std::uint8_t>(0x80 + i * 4 + static_cast<std::size_t>(n))));
      }
    }
  }
  return file_bytes(output);
}

TEST_F(CaptureDeviceTest, StampsRepliesWithTheLastReceivedFramesTimestamp) {
  const std::string input = dir_.file("in.pcap");
  const std::vector<Record> records = {
      {at(1'700'000'000, 100), pattern(60, 1)},
      {at(1'700'000'000, 200), pattern(60, 2)},
      {at(1'700'000'005, 300), pattern(60, 3)},
  };
  write_with_libpcap(input, kEthernet, records);
  // After frame 1: one reply; after frame 2: none; after frame 3: two.
  const std::vector<int> replies = {1, 0, 2};
  const std::vector<std::uint8_t> first =
      replay_and_capture(input, dir_.file("out1.pcap"), replies, CaptureDevice::Record::both_directions);

  const LibpcapFile back = read_with_libpcap(dir_.file("out1.pcap"));
  ASSERT_EQ(back.records.size(), 6u);
  const std::vector<Timestamp> want = {records[0].timestamp, records[0].timestamp, records[1].timestamp,
                                       records[2].timestamp, records[2].timestamp, records[2].timestamp};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(back.records[i].timestamp.count(), want[i].count()) << "frame " << i + 1;
  }
  EXPECT_EQ(back.records[0].bytes, records[0].bytes);
  EXPECT_EQ(back.records[2].bytes, records[1].bytes);
  EXPECT_EQ(back.records[3].bytes, records[2].bytes);

  // The output depends on the input alone: a second run writes the same bytes.
  const std::vector<std::uint8_t> second =
      replay_and_capture(input, dir_.file("out2.pcap"), replies, CaptureDevice::Record::both_directions);
  EXPECT_EQ(first, second);

  const std::vector<std::uint8_t> tx_only =
      replay_and_capture(input, dir_.file("out3.pcap"), replies, CaptureDevice::Record::transmitted_only);
  const LibpcapFile tx_back = read_with_libpcap(dir_.file("out3.pcap"));
  ASSERT_EQ(tx_back.records.size(), 3u);
  EXPECT_EQ(tx_back.records[0].timestamp, records[0].timestamp);
  EXPECT_EQ(tx_back.records[1].timestamp, records[2].timestamp);
  EXPECT_EQ(tx_back.records[2].timestamp, records[2].timestamp);
}

// The whole chain as `ministack --replay IN --pcap OUT` runs it: replay device, capture wrapper, stack.
TEST_F(CaptureDeviceTest, ReplayThroughTheStackCapturesRequestThenReplyWithTheRequestsTimestamp) {
  const std::string input = dir_.file("arp-in.pcap");
  const std::string output = dir_.file("arp-out.pcap");
  // An ARP who-has 192.168.3.12 tell 192.168.3.11, from 52:54:00:12:34:56, broadcast.
  Frame request = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
                   0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                   192,  168,  3,    11,   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192,  168,  3,    12};
  request.resize(60, 0);
  write_with_libpcap(input, kEthernet, {{at(1'650'000'000, 42), request}});

  PcapReplayDevice replay(input);
  {
    PcapWriter writer(output, replay.capture_link_type());
    CaptureDevice capture(replay, writer, CaptureDevice::Record::both_directions, true);
    ministack::StackConfig config;
    config.link = capture.link();
    ministack::Stack stack(config);
    // What the event loop does: whatever the stack sends goes to the (capturing) device.
    struct ToDevice final : ministack::FrameSink {
      explicit ToDevice(ministack::Device& d) : device(d) {}
      void send(Bytes frame) override { device.transmit(frame); }
      ministack::Device& device;
    } sink(capture);
    Frame buffer(capture.receive_buffer_size());
    for (;;) {
      const Received in = capture.receive(buffer, milliseconds{0});
      if (in.status == Received::Status::end) break;
      stack.receive(buffer, in.length, ministack::Instant{}, sink);
    }
  }
  EXPECT_EQ(replay.frames_transmitted(), 1u);
  const LibpcapFile back = read_with_libpcap(output);
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[0].bytes, request);
  EXPECT_EQ(back.records[1].bytes.size(), 60u);
  EXPECT_EQ(back.records[1].bytes[21], 2) << "an ARP reply";
  EXPECT_EQ(back.records[0].timestamp, at(1'650'000'000, 42));
  EXPECT_EQ(back.records[1].timestamp, at(1'650'000'000, 42));
}

}  // namespace
