// UDP in the pipeline (RFC 768), over IPv4 and IPv6: the echo service on port 7 (RFC 862), port unreachable for
// every other port, and the datagrams the stack originates.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/layer.hpp"
#include "stack/network.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

class Udp final : public TransportInput {
 public:
  static constexpr std::uint16_t kEchoPort = 7;  // RFC 862

  Udp(StackContext& context, Network& network);

  Verdict receive(PacketBuffer& datagram, const IpContext& ip, FrameContext& frame) override;
  // Sends a datagram we originate to an on-link `destination` (ministack has no routes, so no gateway). False if it
  // was refused (off-link, a martian or broadcast destination, longer than an IP datagram can be) or could not even
  // be queued while ARP resolves its next hop.
  bool send(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port, Bytes payload,
            FrameContext& frame);

 private:
  StackContext& context_;
  Network& network_;
  std::vector<std::uint8_t> originate_;  // datagrams we originate, allocated on first use
};

}  // namespace ministack
