// PcapReplayDevice: every link type it feeds to the TAP or the TUN pipeline, the ones it refuses, damaged and cut
// files, frame sizes and timestamps. The captures and the temporary directories: pcap_files.hpp.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "device/pcap_replay.hpp"
#include "pcap_files.hpp"

namespace pcap_test {
namespace {

using ministack::PcapReplayDevice;

// ---------------------------------------------------------------------------------------------------------------
// PcapReplayDevice: link types

TEST_F(PcapReplayDeviceTest, EthernetCaptureFeedsTheTapPipelineUnchanged) {
  const std::string path = dir_.file("eth.pcap");
  const std::vector<Record> records = {
      {at(1'700'000'000, 1), distinct_bytes(60, 1)},
      {at(1'700'000'000, 2), distinct_bytes(42, 2)},
      {at(1'700'000'001, 999'999), distinct_bytes(1514, 3)},
  };
  write_with_libpcap(path, kEthernet, records);
  PcapReplayDevice device(path);
  EXPECT_EQ(device.link(), LinkLayer::ethernet);
  EXPECT_EQ(device.capture_link_type(), kEthernet);
  EXPECT_EQ(device.name(), path);
  EXPECT_EQ(device.mtu(), 1500u);
  EXPECT_EQ(device.receive_buffer_size(), 65535u + 14) << "the largest frame, not the MTU";
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
  int capture_link_type;  // what the device reports for writing its output
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
  EXPECT_EQ(device.receive_buffer_size(), 65535u) << "the largest IP packet, not the MTU";
  expect_same(drain(device), records);
  EXPECT_EQ(device.frames_read(), records.size());
  EXPECT_EQ(device.frames_skipped(), 0u);
}

INSTANTIATE_TEST_SUITE_P(LinkTypes, PcapReplayRawLinkTypes,
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
  const Frame in_v4 = ipv4_packet(84, 1), out_v4 = ipv4_packet(84, 2), arp = distinct_bytes(28, 3),
              in_v6 = ipv6_packet(104, 4), other_host_v4 = ipv4_packet(60, 5), broadcast_v4 = ipv4_packet(48, 6),
              outgoing_v6 = ipv6_packet(72, 7);
  Frame runt = cooked(dlt, kHost, kProtoIpv4, {});
  runt.erase(runt.end() - 3, runt.end());  // shorter than the cooked header itself
  const std::vector<Record> records = {
      {at(100, 1), cooked(dlt, kHost, kProtoIpv4, in_v4)},
      {at(100, 2), cooked(dlt, kOutgoing, kProtoIpv4, out_v4)},  // the capturing host's own: skipped
      {at(100, 3), cooked(dlt, kBroadcast, kProtoArp, arp)},     // not IP: skipped
      {at(100, 4), cooked(dlt, kHost, kProtoIpv6, in_v6)},       // IPv6 passes (the stack drops it by name)
      {at(100, 5), runt},                                        // no complete cooked header: skipped
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
                     {{at(1, 0), cooked(dlt, kBroadcast, kProtoArp, distinct_bytes(28, 1))},
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
  write_with_libpcap(path, dlt, {{at(1, 0), distinct_bytes(60, 1)}});
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
  const std::vector<Record> records = {{at(50, 1), distinct_bytes(100, 1)},
                                       {at(50, 2), distinct_bytes(100, 2)},
                                       {at(50, 3), distinct_bytes(100, 3)}};
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
  const std::vector<Record> records = {{at(50, 1), distinct_bytes(100, 1)},
                                       {at(50, 2), distinct_bytes(100, 2)},
                                       {at(50, 3), distinct_bytes(100, 3)}};
  write_with_libpcap(path, kEthernet, records);
  chop(path, 16 + 100);
  PcapReplayDevice device(path);
  expect_same(drain(device), {records[0], records[1]});
}

// ---------------------------------------------------------------------------------------------------------------
// PcapReplayDevice: sizes and timestamps

TEST_F(PcapReplayDeviceTest, FrameLongerThanTheBufferIsCutToTheBuffer) {
  const std::string path = dir_.file("long.pcap");
  const Frame jumbo = distinct_bytes(9014, 1), after = distinct_bytes(60, 2);
  write_with_libpcap(path, kEthernet, {{at(7, 1), jumbo}, {at(7, 2), after}});
  PcapReplayDevice device(path);
  Frame buffer(100, 0xee);
  Received in = device.receive(buffer, milliseconds{0});
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_EQ(in.length, 100u);
  EXPECT_EQ(in.wire_length, 9014u) << "the cut is flagged with the frame's whole length";
  EXPECT_TRUE(in.cut());
  EXPECT_EQ(buffer, Frame(jumbo.begin(), jumbo.begin() + 100));
  EXPECT_EQ(in.timestamp, at(7, 1));
  // The next frame is read whole: the cut did not desynchronise the file.
  in = device.receive(buffer, milliseconds{0});
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_FALSE(in.cut());
  EXPECT_EQ(Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), after);
  EXPECT_EQ(device.receive(buffer, milliseconds{0}).status, Received::Status::end);
}

// The MTU sizes what the stack sends, never what it reads: a jumbo frame at MTU 1500 is read whole, as Linux reads
// it from a tap; only a frame longer than any device delivers (65535 + 14) is cut, and flagged.
TEST_F(PcapReplayDeviceTest, FrameLongerThanTheMtuIsReadWholeOnlyOneLongerThanAnyFrameIsCut) {
  const std::string path = dir_.file("mtu.pcap");
  const Frame jumbo = distinct_bytes(9014, 1), largest = distinct_bytes(65535 + 14, 2),
              giant = distinct_bytes(70000, 3);
  write_with_libpcap(path, kEthernet, {{at(7, 1), jumbo}, {at(7, 2), largest}, {at(7, 3), giant}});
  PcapReplayDevice device(path);
  EXPECT_EQ(device.mtu(), 1500u);
  Frame buffer(device.receive_buffer_size());
  const auto next = [&] {
    const Received in = device.receive(buffer, milliseconds{0});
    EXPECT_EQ(in.status, Received::Status::frame);
    return in;
  };
  Received in = next();
  EXPECT_EQ(Frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(in.length)), jumbo);
  EXPECT_FALSE(in.cut());
  in = next();
  EXPECT_EQ(buffer, largest);
  EXPECT_FALSE(in.cut());
  in = next();
  EXPECT_EQ(in.length, 65535u + 14);
  EXPECT_EQ(in.wire_length, 70000u);
  EXPECT_EQ(buffer, Frame(giant.begin(), giant.begin() + 65535 + 14));
  EXPECT_EQ(device.receive(buffer, milliseconds{0}).status, Received::Status::end);
}

TEST_F(PcapReplayDeviceTest, CookedFrameLongerThanTheBufferIsCutAfterItsHeaderIsStripped) {
  const std::string path = dir_.file("cooked-long.pcap");
  const Frame packet = ipv4_packet(3000, 1);
  write_with_libpcap(path, kLinuxSll2, {{at(8, 0), cooked(kLinuxSll2, kHost, kProtoIpv4, packet)}});
  PcapReplayDevice device(path);
  Frame buffer(1500);
  const Received in = device.receive(buffer, milliseconds{0});
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_EQ(in.length, 1500u);
  EXPECT_EQ(in.wire_length, 3000u) << "the packet's length, without the cooked header";
  EXPECT_EQ(buffer, Frame(packet.begin(), packet.begin() + 1500));
}

TEST_F(PcapReplayDeviceTest, TimestampsAreThoseOfTheFile) {
  const std::string path = dir_.file("times.pcap");
  const std::vector<Record> records = {
      {at(0, 0), distinct_bytes(60, 1)},
      {at(0, 999'999), distinct_bytes(60, 2)},
      {at(1'234'567'890, 123'456), distinct_bytes(60, 3)},
      {at(1'234'567'889, 1), distinct_bytes(60, 4)},  // earlier than the one before: kept, not "fixed"
      {at(2'100'000'000, 654'321), distinct_bytes(60, 5)},
  };
  write_with_libpcap(path, kEthernet, records);
  PcapReplayDevice device(path);
  expect_same(drain(device), records);
}

TEST_F(PcapReplayDeviceTest, NanosecondCaptureTimestampsAreReadInMicroseconds) {
  const std::string path = dir_.file("nano.pcap");
  // Timestamps given in nanoseconds here.
  write_with_libpcap(path, kEthernet,
                     {{Timestamp{1'700'000'000LL * 1'000'000'000 + 123'456'789}, distinct_bytes(60, 1)},
                      {Timestamp{1'700'000'001LL * 1'000'000'000 + 999}, distinct_bytes(60, 2)}},
                     PCAP_TSTAMP_PRECISION_NANO);
  PcapReplayDevice device(path);
  const std::vector<DeviceFrame> got = drain(device);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].timestamp, at(1'700'000'000, 123'456));
  EXPECT_EQ(got[1].timestamp, at(1'700'000'001, 0));
}

TEST_F(PcapReplayDeviceTest, TransmittedFramesAreSwallowedAndCounted) {
  const std::string path = dir_.file("tx.pcap");
  write_with_libpcap(path, kEthernet, {{at(1, 0), distinct_bytes(60, 1)}});
  PcapReplayDevice device(path);
  device.transmit(distinct_bytes(60, 2));
  device.transmit(distinct_bytes(42, 3));
  EXPECT_EQ(device.frames_transmitted(), 2u);
  EXPECT_EQ(drain(device).size(), 1u);
}

}  // namespace
}  // namespace pcap_test
