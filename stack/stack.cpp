#include "stack/stack.hpp"

#include <algorithm>
#include <cassert>

namespace ministack {

namespace {
// RFC 791 §3.1: every host must be able to send and receive 576-byte datagrams; an ICMP error is at most that.
constexpr std::size_t kMinMtu = 576;

StackConfig checked(StackConfig config) {
  config.mtu = std::clamp(config.mtu, kMinMtu, FragmentStore::kMaxDatagramLength);
  return config;
}
}  // namespace

Stack::Stack(const StackConfig& config)
    : config_(checked(config)),
      context_(config_, counters_),
      link_(context_, config_.neighbors),
      ipv4_(context_, link_),
      ipv6_(context_, link_),
      network_(ipv4_, ipv6_),
      icmp_(context_, ipv4_),
      icmp6_(context_, ipv6_, link_),
      udp_(context_, network_),
      tcp_(context_, network_) {
  link_.set_network(&ipv4_, config_.ipv6 ? &ipv6_ : nullptr, &icmp6_);
  network_.set_error_reporters(&icmp_, &icmp6_);
  ipv4_.register_protocol(ip_protocol::icmp, &icmp_);
  ipv4_.register_protocol(ip_protocol::udp, &udp_);
  ipv4_.register_protocol(ip_protocol::tcp, &tcp_);
  ipv4_.set_error_reporter(&icmp_);
  ipv6_.register_protocol(ip_protocol::icmpv6, &icmp6_);
  ipv6_.register_protocol(ip_protocol::udp, &udp_);
  ipv6_.register_protocol(ip_protocol::tcp, &tcp_);
  ipv6_.set_error_reporter(&icmp6_);
  if (config_.ipv6) {
    for (const Ipv6Address& group : ipv6_.groups()) link_.join(group.multicast_mac());
  }
}

void Stack::announce(FrameSink& out) {
  link_.announce(out);
  if (config_.ipv6) icmp6_.announce(out);
}

Verdict Stack::receive(MutableBytes buffer, std::size_t length, Instant now, FrameSink& out) {
  assert(length <= buffer.size() && buffer.size() >= kMinBufferSize);
  FrameContext frame{now, out, {}, 0};
  PacketBuffer packet(buffer, 0, length);
  return link_.receive(packet, frame);
}

Verdict Stack::receive_too_long(std::size_t wire_length, Instant now, FrameSink& out) {
  FrameContext frame{now, out, {}, 0};
  context_.trace(
      Layer::link,
      "a frame of {} bytes, longer than any IP packet (65535 bytes) plus link header: only its first bytes were read",
      wire_length);
  return context_.drop(DropReason::frame_too_long, frame);
}

std::size_t Stack::set_mtu(std::size_t mtu) {
  config_.mtu = std::clamp(mtu, kMinMtu, FragmentStore::kMaxDatagramLength);
  return config_.mtu;
}

void Stack::poll(Instant now, FrameSink& out) {
  ipv4_.poll(now);
  ipv6_.poll(now);
  link_.poll(now, out);
  FrameContext frame{now, out, {}, 0};
  tcp_.poll(frame);
}

StackUsage Stack::usage() const {
  const Ipv4Reassembler& reassembly = reassembler();
  const NeighborCache& cache = neighbors();
  const NeighborLimits& neighbor_limits = cache.limits();
  const tcp::Config& tcp = context_.config.tcp;
  return StackUsage{
      .reassembly_bytes = {reassembly.bytes_reserved(), reassembly.limits().max_bytes},
      .reassembly_datagrams = {reassembly.datagrams_in_progress(), reassembly.limits().max_datagrams},
      .reassembly6_bytes = {reassembler6().bytes_reserved(), reassembler6().limits().max_bytes},
      .reassembly6_datagrams = {reassembler6().datagrams_in_progress(), reassembler6().limits().max_datagrams},
      .neighbors = {cache.size(), neighbor_limits.capacity},
      .pending_packets = {cache.pending_packets(), neighbor_limits.queue_packets},
      .pending_bytes = {cache.pending_bytes(), neighbor_limits.queue_bytes},
      .tcp_connections = {tcp_.connections(), tcp.max_connections},
      .tcp_half_open = {tcp_.half_open(), tcp.max_half_open},
      // make_room() keeps the buffers within total_buffer_bytes; each queue has its slack besides.
      .tcp_queue_bytes = {tcp_.queued_capacity(),
                          tcp.total_buffer_bytes / tcp.connection.buffer_bytes *
                              tcp::queue_capacity(tcp.connection.buffer_bytes,
                                                  tcp::window_shift_for(tcp.connection.buffer_bytes))},
  };
}

bool Stack::send_udp(Ipv4Address destination, std::uint16_t source_port, std::uint16_t destination_port, Bytes payload,
                     Instant now, FrameSink& out) {
  FrameContext frame{now, out, {}, 0};
  return udp_.send(destination, source_port, destination_port, payload, frame);
}

}  // namespace ministack
