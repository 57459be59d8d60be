// The network layer as the protocols above it see it, whatever the IP version: where a delivered datagram goes
// (TransportInput), what a protocol asks for when it sends (IpSend), and Network, which hands each datagram to
// IPv4 or IPv6 by its destination and each error about a datagram to ICMP or ICMPv6 by its version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/layer.hpp"
#include "stack/link/link.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

// A protocol above IP, as IP sees it: where a delivered datagram's payload goes.
class TransportInput {
 public:
  virtual ~TransportInput() = default;
  // `message` is the datagram's payload, with the IP and link headers' bytes as headroom; `ip` describes the
  // datagram. Answers may be built in place over both.
  virtual Verdict receive(PacketBuffer& message, const IpContext& ip, FrameContext& frame) = 0;
};

// Who reports, with an ICMP or ICMPv6 error, a datagram a protocol above IP could not deliver (RFC 1122 §3.2.2.1,
// RFC 4443 §3.1). It sends only if its rules and rate limits allow. The errors an IP layer itself calls for have
// interfaces of their own (Ipv4ErrorReporter, Ipv6ErrorReporter): their shapes differ by version.
class ErrorReporter {
 public:
  virtual ~ErrorReporter() = default;
  // Nothing listens on the UDP port: destination unreachable, port (ICMP code 3, ICMPv6 code 4).
  virtual void port_unreachable(const IpContext& offending, FrameContext& frame) = 0;
};

// What a protocol above IP asks for when it sends: the IP header is written by the IP layer alone.
struct IpSend {
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::uint8_t tos = 0;  // IPv4 TOS, IPv6 Traffic Class
  // Linux sets DF on what a socket sends that fits the MTU (IP_PMTUDISC_WANT); replies from the kernel itself
  // (echo replies, ICMP errors) go without it. IPv4 only: IPv6 routers never fragment.
  bool dont_fragment_if_fits = false;
  Bytes options;  // IPv4 options, already laid out: a multiple of 4 bytes, at most 40 (RFC 791 §3.1)
  // IPv6: the source, when it must be a given one of our addresses (the one a request was sent to, or :: for
  // duplicate address detection); else the IPv6 layer picks ours of the destination's scope (RFC 6724 §5 rule 2).
  std::optional<Ipv6Address> source6;
  std::uint8_t hop_limit = 0;  // IPv6: 0 is the default (64); neighbor discovery sends 255 (RFC 4861 §7.1)

  // What the stack sends as the kernel itself does (echo replies, ICMP errors, neighbor discovery): never DF.
  static IpSend control(const IpAddress& destination, std::uint8_t protocol, std::uint8_t tos = 0,
                        std::optional<Ipv6Address> source6 = std::nullopt) {
    return {.destination = destination,
            .protocol = protocol,
            .tos = tos,
            .dont_fragment_if_fits = false,
            .options = {},
            .source6 = source6,
            .hop_limit = 0};
  }
  // What a socket sends (UDP, TCP): DF on what fits the MTU.
  static IpSend socket(const IpAddress& destination, std::uint8_t protocol, std::uint8_t tos = 0,
                       std::optional<Ipv6Address> source6 = std::nullopt) {
    IpSend send = control(destination, protocol, tos, source6);
    send.dont_fragment_if_fits = true;
    return send;
  }
};

class Ipv4;
class Ipv6;

class Network {
 public:
  // Bytes of headroom a protocol leaves in front of what it sends: the longest IP header (IPv4 with 60 bytes; IPv6
  // needs 40 and a fragment header of 8) and a link header.
  static constexpr std::size_t kHeadroom = 60 + 14;

  Network(Ipv4& ipv4, Ipv6& ipv6) : ipv4_(ipv4), ipv6_(ipv6) {}
  void set_error_reporters(ErrorReporter* icmp, ErrorReporter* icmpv6) {
    icmp_ = icmp;
    icmpv6_ = icmpv6;
  }

  // Sends `payload` (with kHeadroom bytes free in front of it) as one datagram to request.destination, by IPv4 or
  // IPv6 as that address is, fragmented to the MTU if need be. False if the link could neither send nor queue it.
  bool send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame);
  // Our IPv6 address that answers `ip` (an IPv6 datagram): the one it was sent to, or for a group ours of the
  // sender's scope (Ipv6::reply_source).
  Ipv6Address reply_source6(const IpContext& ip) const;
  // The ICMP or ICMPv6 error reporter for datagrams of `offending`'s version.
  ErrorReporter& errors(const IpContext& offending) const { return offending.source.is_v6() ? *icmpv6_ : *icmp_; }
  // The largest transport segment that fits the MTU unfragmented toward `peer`: the MTU less the IP header (bytes).
  std::size_t payload_mtu(const IpAddress& peer, std::size_t mtu) const { return mtu - (peer.is_v6() ? 40 : 20); }

 private:
  Ipv4& ipv4_;
  Ipv6& ipv6_;
  ErrorReporter* icmp_ = nullptr;
  ErrorReporter* icmpv6_ = nullptr;
};

}  // namespace ministack
