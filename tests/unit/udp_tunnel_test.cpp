// The UDP tunnel's pieces without a TUN device: addresses as the options give them, the one-packet-per-datagram
// check, and the endpoint and the stack's UDP device over real sockets on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "device/udp_device.hpp"
#include "device/udp_endpoint.hpp"

namespace {

using namespace ministack;
using namespace std::chrono_literals;

// A minimal IPv4 header of `total` bytes (the rest zeros): enough for check_ip_packet, which reads no more.
std::vector<std::uint8_t> ipv4_packet(std::size_t size, std::uint16_t total_length, std::uint8_t ihl = 5) {
  std::vector<std::uint8_t> p(size);
  p[0] = static_cast<std::uint8_t>(0x40 | ihl);
  p[2] = static_cast<std::uint8_t>(total_length >> 8);
  p[3] = static_cast<std::uint8_t>(total_length);
  return p;
}

std::vector<std::uint8_t> ipv6_packet(std::size_t size, std::uint16_t payload_length) {
  std::vector<std::uint8_t> p(size);
  p[0] = 0x60;
  p[4] = static_cast<std::uint8_t>(payload_length >> 8);
  p[5] = static_cast<std::uint8_t>(payload_length);
  return p;
}

SocketAddress loopback_any_port() { return *SocketAddress::parse("127.0.0.1:0"); }

TEST(SocketAddress, ParsesNumericAddressesAndPorts) {
  EXPECT_EQ(SocketAddress::parse("10.0.0.2:5000")->to_string(), "10.0.0.2:5000");
  EXPECT_EQ(SocketAddress::parse("[fd00::2]:5000")->to_string(), "[fd00::2]:5000");
  EXPECT_EQ(SocketAddress::parse("[fd00::2]:5000")->family(), AF_INET6);
  EXPECT_EQ(SocketAddress::parse("[fe80::2%lo]:5000")->to_string(), "[fe80::2]:5000");
  // A port left out is the tunnel's; an address left out is every IPv4 address.
  EXPECT_EQ(SocketAddress::parse("10.0.0.2")->port(), kTunnelPort);
  EXPECT_EQ(SocketAddress::parse("[fd00::2]")->to_string(), "[fd00::2]:4789");
  EXPECT_TRUE(SocketAddress::parse(":4789")->is_any());
  EXPECT_EQ(SocketAddress::parse(":4789")->family(), AF_INET);
  EXPECT_TRUE(SocketAddress::any(AF_INET6, 1).is_any());
}

TEST(SocketAddress, RefusesWhatIsNotANumericAddressAndPort) {
  for (const char* text :
       {"fd00::2:4789", "[fd00::2", "[fd00::2]x", "10.0.0.2:65536", "10.0.0.2:-1", "10.0.0.2:a", "localhost:4789",
        "10.0.0:1", "10.1:1", "0x0a000001:1", "10.0.0.2:123456", "[10.0.0.2]:1x"}) {
    EXPECT_FALSE(SocketAddress::parse(text)) << text;
  }
}

TEST(SocketAddress, ComparesFamilyAddressAndPort) {
  EXPECT_EQ(*SocketAddress::parse("10.0.0.2:1"), *SocketAddress::parse("10.0.0.2:1"));
  EXPECT_FALSE(*SocketAddress::parse("10.0.0.2:1") == *SocketAddress::parse("10.0.0.2:2"));
  EXPECT_FALSE(*SocketAddress::parse("10.0.0.2:1") == *SocketAddress::parse("10.0.0.3:1"));
  EXPECT_FALSE(*SocketAddress::parse("[fd00::2]:1") == *SocketAddress::parse("10.0.0.2:1"));
  EXPECT_EQ(SocketAddress::parse("[fd00::2]:1")->overhead(), 48u);
  EXPECT_EQ(SocketAddress::parse("10.0.0.2:1")->overhead(), 28u);
}

TEST(CheckIpPacket, TakesOneWholePacket) {
  EXPECT_EQ(check_ip_packet(ipv4_packet(20, 20)), std::nullopt);
  EXPECT_EQ(check_ip_packet(ipv4_packet(1500, 1500)), std::nullopt);
  EXPECT_EQ(check_ip_packet(ipv4_packet(60, 60, 15)), std::nullopt);
  EXPECT_EQ(check_ip_packet(ipv6_packet(48, 8)), std::nullopt);
}

TEST(CheckIpPacket, RefusesWhatIsNotOneWholePacket) {
  EXPECT_EQ(check_ip_packet({}), TunnelDrop::not_ip);
  auto v5 = ipv4_packet(20, 20);
  v5[0] = 0x55;
  EXPECT_EQ(check_ip_packet(v5), TunnelDrop::not_ip);
  EXPECT_EQ(check_ip_packet(ipv4_packet(19, 19)), TunnelDrop::bad_length);      // shorter than a header
  EXPECT_EQ(check_ip_packet(ipv4_packet(20, 20, 4)), TunnelDrop::bad_length);   // IHL below 5
  EXPECT_EQ(check_ip_packet(ipv4_packet(40, 40, 11)), TunnelDrop::bad_length);  // IHL beyond the datagram
  EXPECT_EQ(check_ip_packet(ipv4_packet(100, 84)), TunnelDrop::bad_length);     // padded
  EXPECT_EQ(check_ip_packet(ipv4_packet(84, 100)), TunnelDrop::bad_length);     // cut
  EXPECT_EQ(check_ip_packet(ipv6_packet(39, 0)), TunnelDrop::bad_length);
  EXPECT_EQ(check_ip_packet(ipv6_packet(40, 0)), TunnelDrop::bad_length);  // a jumbogram's 0
  EXPECT_EQ(check_ip_packet(ipv6_packet(48, 9)), TunnelDrop::bad_length);
  EXPECT_EQ(check_ip_packet(ipv6_packet(48, 7)), TunnelDrop::bad_length);
}

// An IPv4 UDP datagram from 10.0.0.1:4789 to `to`, with `ihl` words of header.
std::vector<std::uint8_t> udp4(std::array<std::uint8_t, 4> to, std::uint16_t port, std::uint8_t ihl = 5) {
  auto p = ipv4_packet(ihl * 4u + 8u, static_cast<std::uint16_t>(ihl * 4u + 8u), ihl);
  p[9] = 17;
  std::copy(to.begin(), to.end(), p.begin() + 16);
  p[ihl * 4u + 2] = static_cast<std::uint8_t>(port >> 8);
  p[ihl * 4u + 3] = static_cast<std::uint8_t>(port);
  return p;
}

TEST(IsDatagramTo, FindsTheTunnelsOwnDatagramsToThePeer) {
  const SocketAddress peer = *SocketAddress::parse("10.0.0.2:4789");
  EXPECT_TRUE(is_datagram_to(udp4({10, 0, 0, 2}, 4789), peer));
  EXPECT_TRUE(is_datagram_to(udp4({10, 0, 0, 2}, 4789, 6), peer));  // past an option word
  EXPECT_FALSE(is_datagram_to(udp4({10, 0, 0, 2}, 4790), peer));
  EXPECT_FALSE(is_datagram_to(udp4({10, 0, 0, 3}, 4789), peer));
  auto tcp = udp4({10, 0, 0, 2}, 4789);
  tcp[9] = 6;
  EXPECT_FALSE(is_datagram_to(tcp, peer));
  // Cut before the port, or before the header ends: never read past the packet.
  const auto whole = udp4({10, 0, 0, 2}, 4789);
  for (std::size_t size = 0; size < whole.size(); ++size) {
    EXPECT_FALSE(is_datagram_to(Bytes{whole}.first(size), peer)) << size;
  }
  auto v6 = ipv6_packet(48, 8);
  v6[6] = 17;
  const SocketAddress peer6 = *SocketAddress::parse("[fd00::2]:4789");
  v6[24] = 0xfd;
  v6[39] = 2;
  v6[42] = 0x12;
  v6[43] = 0xb5;  // 4789
  EXPECT_TRUE(is_datagram_to(v6, peer6));
  EXPECT_FALSE(is_datagram_to(v6, peer));  // an IPv4 peer is never an IPv6 packet's destination
  for (std::size_t size = 0; size < v6.size(); ++size) EXPECT_FALSE(is_datagram_to(Bytes{v6}.first(size), peer6));
}

// A plain socket on loopback, to play a third party.
class RawSender {
 public:
  explicit RawSender(const SocketAddress& bind_to) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    SocketAddress local = bind_to;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&local.storage), local.length), 0);
  }
  ~RawSender() { ::close(fd_); }
  void send(const std::vector<std::uint8_t>& bytes, const SocketAddress& to) const {
    ASSERT_EQ(::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to.storage), to.length),
              static_cast<ssize_t>(bytes.size()));
  }

 private:
  int fd_;
};

// The next datagram, waiting up to a second for it.
Datagram next(UdpEndpoint& endpoint, std::vector<std::uint8_t>& buffer) {
  endpoint.wait(1000ms);
  return endpoint.receive(buffer);
}

TEST(UdpEndpoint, LearnsItsPeerFromTheFirstPacketAndRefusesEveryoneElse) {
  UdpEndpoint listener(loopback_any_port(), std::nullopt);
  UdpEndpoint sender(loopback_any_port(), listener.local());
  RawSender stranger(loopback_any_port());
  std::vector<std::uint8_t> buffer(65535);

  // Before any peer is known the listener has nowhere to send.
  EXPECT_EQ(listener.send(ipv4_packet(20, 20)), TunnelDrop::no_peer);
  // Not IP: no peer is learnt from it.
  stranger.send({1, 2, 3}, listener.local());
  EXPECT_EQ(next(listener, buffer).drop, TunnelDrop::not_ip);
  EXPECT_FALSE(listener.peer());

  EXPECT_EQ(sender.send(ipv4_packet(84, 84)), std::nullopt);
  const Datagram first = next(listener, buffer);
  EXPECT_EQ(first.status, Datagram::Status::packet);
  EXPECT_TRUE(first.new_peer);
  EXPECT_EQ(first.length, 84u);
  ASSERT_TRUE(listener.peer());
  EXPECT_EQ(*listener.peer(), sender.local());

  // A valid packet from anyone else is now refused.
  stranger.send(ipv4_packet(20, 20), listener.local());
  EXPECT_EQ(next(listener, buffer).drop, TunnelDrop::unknown_source);
  // The peer's malformed datagrams are refused too, and its next good one still taken.
  EXPECT_EQ(sender.send(ipv4_packet(30, 20)), std::nullopt);
  EXPECT_EQ(next(listener, buffer).drop, TunnelDrop::bad_length);
  EXPECT_EQ(sender.send(ipv6_packet(48, 8)), std::nullopt);
  const Datagram second = next(listener, buffer);
  EXPECT_EQ(second.status, Datagram::Status::packet);
  EXPECT_FALSE(second.new_peer);

  // Replies go to the peer learnt.
  EXPECT_EQ(listener.send(ipv4_packet(28, 28)), std::nullopt);
  const Datagram reply = next(sender, buffer);
  EXPECT_EQ(reply.status, Datagram::Status::packet);
  EXPECT_EQ(reply.length, 28u);

  const TunnelCounters& c = listener.counters();
  EXPECT_EQ(c.in_packets, 2u);
  EXPECT_EQ(c.in_octets, 84u + 48u);
  EXPECT_EQ(c.out_packets, 1u);
  EXPECT_EQ(c.out_octets, 28u);
  EXPECT_EQ(c.get(TunnelDrop::no_peer), 1u);
  EXPECT_EQ(c.get(TunnelDrop::not_ip), 1u);
  EXPECT_EQ(c.get(TunnelDrop::unknown_source), 1u);
  EXPECT_EQ(c.get(TunnelDrop::bad_length), 1u);
  EXPECT_EQ(c.total_drops(), 4u);
  // Nothing else was waiting.
  EXPECT_EQ(listener.receive(buffer).status, Datagram::Status::none);
}

TEST(UdpEndpoint, AGivenPeerIsTheOnlySourceTaken) {
  UdpEndpoint a(loopback_any_port(), std::nullopt);
  RawSender stranger(loopback_any_port());
  UdpEndpoint b(loopback_any_port(), a.local());
  std::vector<std::uint8_t> buffer(65535);
  // b was told its peer: even the first packet from another source is refused.
  stranger.send(ipv4_packet(20, 20), b.local());
  EXPECT_EQ(next(b, buffer).drop, TunnelDrop::unknown_source);
  EXPECT_EQ(*b.peer(), a.local());
}

// The kernel drops what a full receive buffer cannot hold; the endpoint learns how many from SO_RXQ_OVFL, so a peer
// faster than the reader costs packets, counted, and never memory in the process.
TEST(UdpEndpoint, CountsWhatTheKernelDroppedForAFullReceiveBuffer) {
  UdpEndpoint slow(loopback_any_port(), std::nullopt);
  UdpEndpoint fast(loopback_any_port(), slow.local());
  const auto packet = ipv4_packet(1400, 1400);
  constexpr int kSent = 20000;  // 28 MB: far beyond the 4 MiB the endpoint asks for, and any rmem_max
  int refused = 0;
  for (int i = 0; i < kSent; ++i) refused += fast.send(packet) ? 1 : 0;
  std::vector<std::uint8_t> buffer(65535);
  std::uint64_t received = 0;
  while (slow.receive(buffer).status == Datagram::Status::packet) ++received;
  // The kernel stamps its running count on each datagram it queues: the drops show with the next one to arrive.
  EXPECT_EQ(fast.send(packet), std::nullopt);
  EXPECT_EQ(next(slow, buffer).status, Datagram::Status::packet);
  ++received;
  const std::uint64_t overflow = slow.counters().get(TunnelDrop::receive_overflow);
  EXPECT_GT(overflow, 0u);
  EXPECT_LT(received, static_cast<std::uint64_t>(kSent));
  // Every datagram sent is either received or counted as dropped by the kernel.
  EXPECT_EQ(received + overflow + static_cast<std::uint64_t>(refused), static_cast<std::uint64_t>(kSent) + 1);
}

TEST(UdpEndpoint, SaysWhyItCannotListen) {
  UdpEndpoint first(loopback_any_port(), std::nullopt);
  try {
    UdpEndpoint second(first.local(), std::nullopt);
    FAIL() << "bound twice";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
  try {
    UdpEndpoint mismatched(loopback_any_port(), *SocketAddress::parse("[::1]:4789"));
    FAIL() << "IPv4 socket with an IPv6 peer";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("different IP versions"), std::string::npos) << e.what();
  }
}

TEST(UdpDevice, IsARawIpLinkWhoseFramesAreTheDatagrams) {
  UdpDevice device(loopback_any_port(), std::nullopt);
  EXPECT_EQ(device.link(), LinkLayer::ip);
  EXPECT_EQ(device.capture_link_type(), kDltRaw);
  EXPECT_EQ(device.mtu(), 1500u - 28u);  // no peer: 1500 less the outer headers
  EXPECT_EQ(UdpDevice(loopback_any_port(), std::nullopt, 9000).mtu(), 9000u);
  std::vector<std::uint8_t> buffer(device.receive_buffer_size());
  EXPECT_EQ(device.receive(buffer, 0ms).status, Received::Status::timeout);

  UdpEndpoint peer(loopback_any_port(), device.endpoint().local());
  std::vector<Datagram> told;
  device.set_observer([&](const Datagram& d) { told.push_back(d); });
  peer.send(std::vector<std::uint8_t>{0x45});  // not a whole packet: dropped before the stack, and told
  const auto packet = ipv4_packet(84, 84);
  peer.send(packet);
  const Received in = device.receive(buffer, 1000ms);
  ASSERT_EQ(in.status, Received::Status::frame);
  EXPECT_EQ(in.length, 84u);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[0].drop, TunnelDrop::bad_length);
  EXPECT_TRUE(told[1].new_peer);

  device.transmit(ipv4_packet(20, 20));
  std::vector<std::uint8_t> reply(65535);
  EXPECT_EQ(next(peer, reply).length, 20u);
  EXPECT_EQ(device.counters().out_packets, 1u);
  EXPECT_EQ(device.io_stats().write, 1u);
}

}  // namespace
