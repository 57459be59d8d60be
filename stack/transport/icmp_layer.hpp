// ICMP for IPv4 in the pipeline (RFC 792, RFC 1122 §3.2.2): echo requests answered in place, and the destination
// unreachable errors the stack sends about datagrams it cannot deliver, rate-limited as Linux does.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/layer.hpp"
#include "stack/transport/rate_limiter.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

class Icmp final : public TransportInput, public ErrorReporter, public Ipv4ErrorReporter {
 public:
  Icmp(StackContext& context, Ipv4& ip);

  Verdict receive(PacketBuffer& message, const IpContext& ip, FrameContext& frame) override;
  void protocol_unreachable(const IpContext& offending, FrameContext& frame) override;
  void port_unreachable(const IpContext& offending, FrameContext& frame) override;

 private:
  // Sends destination unreachable `code` about `offending` if RFC 1122 §3.2.2 and the rate limit allow.
  void send_unreachable(std::uint8_t code, const IpContext& offending, FrameContext& frame);

  StackContext& context_;
  Ipv4& ip_;
  IcmpRateLimiter limiter_;
  std::vector<std::uint8_t> error_tx_;  // errors are built here, apart from the datagram they quote
};

}  // namespace ministack
