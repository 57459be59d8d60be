// TCP in the pipeline (RFC 9293): segments checked and counted (RFC 4022), and refused with a RST when no
// connection or listener takes them (§3.10.7.1). Connections and the echo and discard services build on this.
#pragma once

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/layer.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"
#include "stack/wire/tcp.hpp"

namespace ministack {

class Tcp final : public TransportInput {
 public:
  Tcp(StackContext& context, Ipv4& ip);

  // Takes one segment (`segment`: the IP payload, with headroom for the headers of an answer built in place).
  // A segment that fails TcpView::parse is dropped with its reason and gets nothing (no RST, no ICMP error).
  Verdict receive(PacketBuffer& segment, const IpContext& ip, FrameContext& frame) override;

 private:
  // RFC 9293 §3.10.7.1 (the CLOSED state): a RST that makes the sender give up, unless the segment is itself a RST
  // or was sent to a broadcast or multicast address. Built in place over `segment`.
  Verdict refuse(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, FrameContext& frame);

  StackContext& context_;
  Ipv4& ip_;
};

}  // namespace ministack
