// TCP in the pipeline (RFC 9293): segments checked and counted (RFC 4022), handed to their connection, or to a
// listening service (echo on port 7, discard on port 9: RFC 862, RFC 863) as a new connection, or else refused with
// a RST (§3.10.7.1). The connections' state machine is in stack/tcp/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "stack/ipv4/fragment_store.hpp"
#include "stack/layer.hpp"
#include "stack/network.hpp"
#include "stack/tcp/connection.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"
#include "stack/wire/tcp.hpp"

namespace ministack {

class Tcp final : public TransportInput {
 public:
  Tcp(StackContext& context, Network& network);
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;
  ~Tcp() override;

  // Takes one segment (`segment`: the IP payload, with headroom for the headers of an answer built in place).
  // A segment that fails TcpView::parse is dropped with its reason and gets nothing (no RST, no ICMP error).
  Verdict receive(PacketBuffer& segment, const IpContext& ip, FrameContext& frame) override;
  // Runs every connection's timers due at frame.now, sending what they call for; forgets closed connections.
  void poll(FrameContext& frame);
  // The earliest instant poll() has something to do, if any connection has a timer running.
  std::optional<Instant> next_deadline() const;

  std::size_t half_open() const;
  std::size_t connections() const { return connections_.size(); }  // in any state, TIME-WAIT included
  std::size_t queued_capacity() const;  // bytes: the capacity of every connection's queue, together

 private:
  class SegmentOutput;

  // A segment for a listening port (§3.10.7.2): a SYN opens a connection if the caps allow.
  Verdict listen(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, tcp::Service service,
                 FrameContext& frame);
  // RFC 9293 §3.10.7.1 (the CLOSED state, or an ACK to a listening port): a RST that makes the sender give up,
  // unless the segment is itself a RST. Built in place over `segment`; `reason` is the drop counted.
  Verdict refuse(PacketBuffer& segment, const TcpView& tcp, const IpContext& ip, DropReason reason,
                 FrameContext& frame);
  // The half-open connections are at their cap: answers `syn` with a SYN cookie's SYN,ACK, built in place.
  Verdict send_cookie(PacketBuffer& segment, const TcpView& syn, const IpContext& ip, FrameContext& frame);
  // An ACK to a listening port that brings back a valid SYN cookie makes its connection; nullopt if it does not.
  std::optional<Verdict> accept_cookie(PacketBuffer& segment, const TcpView& ack, const IpContext& ip,
                                       tcp::Service service, FrameContext& frame);
  // Finishes `header` over `segment` (built in place, options already there) and sends it back to ip.source;
  // returns the frame dropped for `drop` if given, else handled.
  Verdict reply_in_place(PacketBuffer& segment, const TcpHeader& header, const IpContext& ip, std::uint8_t tos,
                         std::optional<DropReason> drop, FrameContext& frame);
  std::size_t our_mss(const IpAddress& peer) const;  // the MTU less the IP (of `peer`'s version) and TCP headers
  // Writes and sends one segment of `connection`.
  void send(const tcp::Connection& connection, const tcp::Outgoing& segment, FrameContext& frame);
  void trace_sent(const tcp::Connection& connection, const tcp::Outgoing& segment);
  std::optional<tcp::Service> service_on(std::uint16_t port) const;
  tcp::Connection* find(const tcp::Endpoints& endpoints);
  // Room for one more connection: true if there is, or a TIME-WAIT one was recycled to make it.
  bool make_room();
  bool has_room() const;  // whether make_room() would succeed (counting the TIME-WAIT connection it may evict)
  void forget_closed();

  StackContext& context_;
  Network& network_;
  std::vector<std::unique_ptr<tcp::Connection>> connections_;
  std::vector<std::uint8_t> tx_;        // segments of connections are built here; allocated on first use
  std::optional<Instant> last_cookie_;  // when a SYN cookie was last sent
};

}  // namespace ministack
