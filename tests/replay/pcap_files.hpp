// What the pcap device tests share (pcap_writer_test.cpp, pcap_replay_device_test.cpp, capture_device_test.cpp):
// captures written by the test itself, through libpcap directly (pcap_open_dead + pcap_dump_open, for any link type)
// or byte by byte (for link-type values libpcap would rewrite on the way out, such as the historical DLT_RAW 12 and
// 14, and for damaged files), and read back with libpcap's pcap_open_offline, independently of the code under test;
// and a temporary directory for every test.
#pragma once

#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "packets.hpp"
#include "replay.hpp"
#include "temp_files.hpp"

namespace pcap_test {

namespace fs = std::filesystem;
using ministack::Bytes;
using ministack::Device;
using ministack::DeviceError;
using ministack::LinkLayer;
using ministack::Received;
using ministack::testing::DeviceFrame;
using packets::concat;
using packets::distinct_bytes;
using packets::put16;
using Frame = std::vector<std::uint8_t>;
using Timestamp = Received::Timestamp;
using std::chrono::milliseconds;

// libpcap DLT_ / LINKTYPE_ values used below (spelled out: some are not defined on every platform's pcap.h).
inline constexpr int kNull = 0;      // DLT_NULL (BSD loopback)
inline constexpr int kEthernet = 1;  // DLT_EN10MB
inline constexpr int kRaw = 12;      // DLT_RAW on Linux; LINKTYPE_RAW is 101 in files
inline constexpr int kRawBsd = 14;   // DLT_RAW on BSD/OS and OpenBSD
inline constexpr int kLinktypeRaw = 101;
inline constexpr int kIeee80211 = 105;  // DLT_IEEE802_11
inline constexpr int kLinuxSll = 113;
inline constexpr int kIpv4 = 228;
inline constexpr int kLinuxSll2 = 276;

inline constexpr std::uint16_t kProtoIpv4 = 0x0800;
inline constexpr std::uint16_t kProtoArp = 0x0806;
inline constexpr std::uint16_t kProtoIpv6 = 0x86dd;

// ---------------------------------------------------------------------------------------------------------------
// Captures written and read by the test

struct Record {
  Timestamp timestamp{};
  Frame bytes;
  std::uint32_t original_length = 0;  // 0: the same as bytes.size()
};

inline Timestamp at(std::int64_t seconds, std::int64_t microseconds) {
  return Timestamp{seconds * 1'000'000 + microseconds};
}

// An IPv4-looking and an IPv6-looking packet (the devices never parse them; the first nibble is for the eye).
inline Frame ipv4_packet(std::size_t size, std::uint8_t seed) {
  Frame f = distinct_bytes(size, seed);
  f[0] = 0x45;
  return f;
}
inline Frame ipv6_packet(std::size_t size, std::uint8_t seed) {
  Frame f = distinct_bytes(size, seed);
  f[0] = 0x60;
  return f;
}

// Linux cooked headers (see pcap-linktype(7)).
inline constexpr std::uint8_t kHost = 0, kBroadcast = 1, kOtherHost = 3, kOutgoing = 4;

inline Frame sll_header(std::uint8_t pkttype, std::uint16_t protocol) {
  Frame h(16, 0);
  put16(h, 0, pkttype);  // packet type
  put16(h, 2, 1);        // ARPHRD_ETHER
  put16(h, 4, 6);        // address length
  packets::put_mac(h, 6, packets::kPeerMac);
  put16(h, 14, protocol);
  return h;
}

inline Frame sll2_header(std::uint8_t pkttype, std::uint16_t protocol) {
  Frame h(20, 0);
  put16(h, 0, protocol);
  h[7] = 2;        // interface index 2 (bytes 4..7)
  put16(h, 8, 1);  // ARPHRD_ETHER
  h[10] = pkttype;
  h[11] = 6;  // address length
  packets::put_mac(h, 12, packets::kPeerMac);
  return h;
}

inline Frame cooked(int dlt, std::uint8_t pkttype, std::uint16_t protocol, const Frame& payload) {
  return concat(dlt == kLinuxSll ? sll_header(pkttype, protocol) : sll2_header(pkttype, protocol), payload);
}

// Writes `records` with libpcap itself, as any capturing tool would: `dlt` is a DLT_ value, which libpcap maps to
// the file's LINKTYPE_ value (12 -> 101).
inline void write_with_libpcap(const std::string& path, int dlt, const std::vector<Record>& records,
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

inline void append_le32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Writes a classic microsecond pcap file byte by byte, with exactly `linktype` in its header (libpcap would turn
// DLT 12 into 101, and has no DLT 14 on Linux), in little- or big-endian order.
inline void write_raw_pcap(const std::string& path, std::uint32_t linktype, const std::vector<Record>& records,
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
  put32(0);       // thiszone
  put32(0);       // sigfigs
  put32(262144);  // snaplen
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

inline LibpcapFile read_with_libpcap(const std::string& path) {
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

inline std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The LINKTYPE_ value in a pcap file's header, read in the byte order its magic number says.
inline std::uint32_t file_linktype(const std::string& path) {
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

inline void chop(const std::string& path, std::uintmax_t bytes) { fs::resize_file(path, fs::file_size(path) - bytes); }

// ---------------------------------------------------------------------------------------------------------------
// Reading a device

// Every frame `device` delivers until its end, through a buffer of `buffer_size` bytes (the device's own if 0).
inline std::vector<DeviceFrame> drain(Device& device, std::size_t buffer_size = 0) {
  return ministack::testing::read_frames(device, buffer_size, 10'000);
}

inline void expect_same(const std::vector<DeviceFrame>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].bytes, want[i].bytes) << "frame " << i + 1;
    EXPECT_EQ(got[i].timestamp.count(), want[i].timestamp.count()) << "frame " << i + 1;
  }
}

// A fixture that gives every test a temporary directory of its own.
class PcapTest : public ::testing::Test {
 protected:
  ministack::testing::TempDir dir_{"ministack-device-test"};
};
// One suite name per device under test.
using PcapWriterTest = PcapTest;
using PcapReplayDeviceTest = PcapTest;
using CaptureDeviceTest = PcapTest;

}  // namespace pcap_test
