// The TCP peer of the connection tests (tcp_peer.hpp).
#include "tcp_peer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace stack_test {

namespace flag = packets::tcp_flags;

Instant at(std::int64_t ms) { return Instant{ministack::Duration{ms}, std::chrono::microseconds{ms * 1000}}; }

namespace {

// Calls fn(kind, value) for every option but NOP and EOL; stops at EOL or at a length that does not fit.
template <class Fn>
void walk_options(const Frame& options, Fn&& fn) {
  for (std::size_t i = 0; i < options.size();) {
    const std::uint8_t kind = options[i];
    if (kind == 0) return;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size() || options[i + 1] < 2 || i + options[i + 1] > options.size()) {
      ADD_FAILURE() << "option " << int{kind} << " at " << i << " has a bad length";
      return;
    }
    fn(kind, packets::slice(options, i + 2, options[i + 1] - 2u));
    i += options[i + 1];
  }
}

}  // namespace

std::optional<std::uint16_t> mss_of(const Frame& options) {
  std::optional<std::uint16_t> mss;
  walk_options(options, [&](std::uint8_t kind, const Frame& value) {
    if (kind == 2 && value.size() == 2) mss = get16(value, 0);
  });
  return mss;
}

std::optional<std::uint8_t> window_scale_of(const Frame& options) {
  std::optional<std::uint8_t> shift;
  walk_options(options, [&](std::uint8_t kind, const Frame& value) {
    if (kind == 3 && value.size() == 1) shift = value[0];
  });
  return shift;
}

std::vector<std::uint8_t> option_kinds(const Frame& options) {
  std::vector<std::uint8_t> kinds;
  walk_options(options, [&](std::uint8_t kind, const Frame&) { kinds.push_back(kind); });
  return kinds;
}

std::uint32_t Sent::end() const {
  return seq + static_cast<std::uint32_t>(data.size()) + (has(flag::syn) ? 1 : 0) + (has(flag::fin) ? 1 : 0);
}

packets::Tcp Peer::segment(std::uint8_t flags, Frame payload) const {
  return {.source_port = port,
          .destination_port = service,
          .sequence = seq,
          .acknowledgment = rcv_nxt,
          .flags = flags,
          .window = window,
          .payload = std::move(payload)};
}

TcpPeerTest::TcpPeerTest() { config_.link = GetParam(); }

ministack::testing::FrameFeeder& TcpPeerTest::feeder() {
  if (!feeder_) feeder_ = std::make_unique<ministack::testing::FrameFeeder>(config_);
  return *feeder_;
}

Frame TcpPeerTest::frame(packets::Tcp t) const {
  t.source = kPeerIp;
  t.destination = kOurIp;
  const Frame ip = packets::ipv4({.protocol = 6}, packets::tcp(t));
  return tap() ? packets::ethernet({}, ip) : ip;
}

std::vector<Sent> TcpPeerTest::send(const packets::Tcp& t, Instant now) {
  const Frame f = frame(t);
  EXPECT_LE(f.size(), feeder().buffer_size()) << "test frame larger than the device buffer";
  const ministack::testing::ReplayedFrame& fed = feeder().feed(f, now);
  EXPECT_EQ(fed.verdict.frames_sent, fed.sent.size()) << "the verdict counts what the sink got";
  last_drop_ = fed.verdict.drop;
  std::vector<Sent> out;
  for (const Frame& sent : fed.sent) out.push_back(read(sent));
  return out;
}

std::vector<Sent> TcpPeerTest::poll(Instant now) {
  std::vector<Sent> out;
  for (const Frame& sent : feeder().poll(now)) out.push_back(read(sent));
  return out;
}

Sent TcpPeerTest::read(const Frame& f) const {
  Sent s;
  const std::size_t l3 = tap() ? 14 : 0;
  if (f.size() < l3 + 40) {
    ADD_FAILURE() << "a sent frame of " << f.size() << " bytes cannot hold IP and TCP headers";
    return s;
  }
  if (tap()) {
    EXPECT_EQ(get_mac(f, 0), kPeerMac) << "to the peer's MAC";
    EXPECT_EQ(get_mac(f, 6), kOurMac);
    EXPECT_EQ(get16(f, 12), packets::ethertype::ipv4);
  }
  const packets::ByteView ip = packets::ByteView{f}.subspan(l3);
  const std::size_t total = get16(ip, 2);
  EXPECT_EQ(f.size(), tap() ? std::max<std::size_t>(60, 14 + total) : total) << "frame length";
  if (total < 40 || total > ip.size()) {
    ADD_FAILURE() << "IP total length " << total;
    return s;
  }
  EXPECT_TRUE(std::all_of(ip.begin() + static_cast<std::ptrdiff_t>(total), ip.end(), [](auto b) { return b == 0; }))
      << "Ethernet padding is zero";
  EXPECT_EQ(ip[0], 0x45) << "IPv4, no options";
  EXPECT_EQ(ip[1], 0) << "TOS";
  EXPECT_EQ(get16(ip, 6), 0x4000) << "DF set, not a fragment";
  EXPECT_EQ(ip[8], 64) << "TTL";
  EXPECT_EQ(ip[9], 6) << "protocol TCP";
  EXPECT_EQ(packets::reference_checksum(ip.first(20)), 0) << "IP header checksum";
  EXPECT_EQ(get32(ip, 12), kOurIp.value);
  EXPECT_EQ(get32(ip, 16), kPeerIp.value);
  const packets::ByteView tcp = ip.subspan(20, total - 20);
  const auto length = static_cast<std::uint16_t>(tcp.size());
  EXPECT_EQ(packets::reference_checksum(packets::with_pseudo_header(tcp, kOurIp, kPeerIp, length, 6)), 0)
      << "TCP checksum over the pseudo-header";
  const std::size_t header = static_cast<std::size_t>(tcp[12] >> 4u) * 4;
  if (header < 20 || header > tcp.size()) {
    ADD_FAILURE() << "TCP data offset " << header;
    return s;
  }
  EXPECT_EQ(tcp[12] & 0x0f, 0) << "reserved bits";
  EXPECT_EQ(get16(tcp, 18), 0) << "urgent pointer";
  s.source_port = get16(tcp, 0);
  s.destination_port = get16(tcp, 2);
  s.seq = get32(tcp, 4);
  s.ack = get32(tcp, 8);
  s.flags = tcp[13];
  s.window = get16(tcp, 14);
  s.options = packets::slice(tcp, 20, header - 20);
  s.data = packets::slice(tcp, header, tcp.size() - header);
  return s;
}

Sent TcpPeerTest::open(Peer& p, const Frame& options, Instant now) {
  packets::Tcp syn = p.segment(flag::syn);
  syn.acknowledgment = 0;
  syn.options = options;
  const std::vector<Sent> sent = send(syn, now);
  EXPECT_FALSE(last_drop_.has_value());
  EXPECT_EQ(sent.size(), 1u) << "one SYN,ACK";
  if (sent.size() != 1) return {};
  const Sent& s = sent.front();
  EXPECT_EQ(s.flags, flag::syn | flag::ack);
  EXPECT_EQ(s.ack, p.seq + 1) << "the SYN acknowledged";
  EXPECT_EQ(s.source_port, p.service);
  EXPECT_EQ(s.destination_port, p.port);
  p.iss = s.seq;
  p.seq += 1;
  p.rcv_nxt = s.seq + 1;
  p.our_shift = window_scale_of(s.options).value_or(0);
  return s;
}

void TcpPeerTest::establish(Peer& p, const Frame& options, Instant now) {
  open(p, options, now);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the SYN,ACK";
  EXPECT_TRUE(send(p.segment(), now).empty()) << "the handshake's ACK gets nothing";
  EXPECT_FALSE(last_drop_.has_value());
}

std::vector<Sent> TcpPeerTest::send_data(Peer& p, const Frame& data, Instant now) {
  const packets::Tcp t = p.segment(flag::ack | flag::psh, data);
  p.seq += static_cast<std::uint32_t>(data.size());
  return send(t, now);
}

std::vector<Sent> TcpPeerTest::send_in_parts(Peer& p, const Frame& data, std::size_t size, Instant now) {
  std::vector<Sent> all;
  for (std::size_t from = 0; from < data.size(); from += size) {
    const std::vector<Sent> sent = send_data(p, packets::slice(data, from, std::min(size, data.size() - from)), now);
    for (const Sent& s : sent) EXPECT_EQ(s.ack, p.seq) << "acknowledging the part just sent";
    all.insert(all.end(), sent.begin(), sent.end());
  }
  return all;
}

Frame TcpPeerTest::echoed(const std::vector<Sent>& segments, std::uint32_t first_seq,
                          std::optional<std::uint32_t> ack) {
  Frame bytes;
  std::uint32_t next = first_seq;
  for (const Sent& s : segments) {
    EXPECT_TRUE(s.has(flag::ack));
    if (ack) {
      EXPECT_EQ(s.ack, *ack) << "every segment acknowledges what the peer sent";
    }
    if (s.data.empty()) continue;
    EXPECT_EQ(s.seq, next) << "segments follow one another";
    next = s.seq + static_cast<std::uint32_t>(s.data.size());
    bytes.insert(bytes.end(), s.data.begin(), s.data.end());
  }
  return bytes;
}

std::string link_name(const ::testing::TestParamInfo<LinkLayer>& info) {
  return info.param == LinkLayer::ethernet ? std::string{"Tap"} : std::string{"Tun"};
}

}  // namespace stack_test
