// CaptureDevice: what it records of the wrapped device's traffic, in which order, with which timestamps, and the
// whole chain `ministack --replay IN --pcap OUT` runs. The captures and the temporary directories: pcap_files.hpp.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "device/capture_device.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"
#include "device/queue_device.hpp"
#include "pcap_files.hpp"
#include "replay.hpp"
#include "stack/stack.hpp"

namespace pcap_test {
namespace {

using ministack::CaptureDevice;
using ministack::PcapReplayDevice;
using ministack::PcapWriter;
using ministack::QueueDevice;

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
  Frame a = distinct_bytes(60, 0x10), a1 = distinct_bytes(60, 0x11), b = distinct_bytes(98, 0x20),
        c = distinct_bytes(42, 0x30), c1 = distinct_bytes(60, 0x31), c2 = distinct_bytes(1514, 0x32);

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
  const Frame big = distinct_bytes(70000, 1);
  inner.inject(big);
  {
    PcapWriter writer(path, kEthernet);
    CaptureDevice capture(inner, writer, CaptureDevice::Record::both_directions, true);
    EXPECT_EQ(receive_one(capture).size(), 65535u + 14);
  }
  const LibpcapFile back = read_with_libpcap(path);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].bytes, Frame(big.begin(), big.begin() + 65535 + 14)) << "what the stack saw, no more";
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
        capture.transmit(distinct_bytes(60, static_cast<std::uint8_t>(0x80 + i * 4 + static_cast<std::size_t>(n))));
      }
    }
  }
  return file_bytes(output);
}

TEST_F(CaptureDeviceTest, StampsRepliesWithTheLastReceivedFramesTimestamp) {
  const std::string input = dir_.file("in.pcap");
  const std::vector<Record> records = {
      {at(1'700'000'000, 100), distinct_bytes(60, 1)},
      {at(1'700'000'000, 200), distinct_bytes(60, 2)},
      {at(1'700'000'005, 300), distinct_bytes(60, 3)},
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

// The whole chain as `ministack --replay IN --pcap OUT` runs it: replay device, capture wrapper, event loop, stack.
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
    // What `ministack --replay` runs: the event loop, handing whatever the stack sends to the (capturing) device.
    const ministack::testing::Replay run = ministack::testing::replay_device(capture);
    ASSERT_EQ(run.frames.size(), 1u);
    EXPECT_EQ(run.frames[0].input, request);
    ASSERT_EQ(run.frames[0].sent.size(), 1u) << "the ARP reply, handed to the device while the request was handled";
    EXPECT_TRUE(run.sent_between_frames.empty());
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
}  // namespace pcap_test
