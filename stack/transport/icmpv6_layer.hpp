// ICMPv6 in the pipeline (RFC 4443) with neighbor discovery (RFC 4861) and duplicate address detection (RFC 4862
// §5.4): echo requests answered, neighbor solicitations for our addresses answered with an advertisement (TAP),
// advertisements merged into the neighbor cache, the errors IPv6, UDP and the stack call for, rate-limited; router
// and MLD messages counted and ignored.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/ipv6/ipv6_layer.hpp"
#include "stack/layer.hpp"
#include "stack/link/link.hpp"
#include "stack/network.hpp"
#include "stack/transport/rate_limiter.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ip.hpp"
#include "stack/wire/packet_buffer.hpp"

namespace ministack {

class Icmpv6 final : public TransportInput, public ErrorReporter, public Ipv6ErrorReporter, public NeighborSolicitor {
 public:
  Icmpv6(StackContext& context, Ipv6& ip, Link& link);

  Verdict receive(PacketBuffer& message, const IpContext& ip, FrameContext& frame) override;
  // Destination unreachable, code 4 (RFC 4443 §3.1).
  void port_unreachable(const IpContext& offending, FrameContext& frame) override;
  void parameter_problem(const IpContext& offending, std::uint8_t code, std::uint32_t pointer, bool even_to_multicast,
                         FrameContext& frame) override;
  // A multicast solicitation for `target`, from our address of its scope, to its solicited-node group, with our
  // link-layer address (RFC 4861 §7.2.2).
  void solicit(const Ipv6Address& target, FrameSink& sink) override;
  // Duplicate address detection for each of our addresses (RFC 4862 §5.4.2): a solicitation from :: for it. The
  // addresses are used at once, as RFC 4429's optimistic addresses are; a conflict is reported when an
  // advertisement or another node's probe for one arrives (nd_duplicate_address).
  void announce(FrameSink& sink);

 private:
  Verdict echo(PacketBuffer& message, const Icmpv6View& request, const IpContext& ip, FrameContext& frame);
  Verdict neighbor_solicitation(PacketBuffer& message, const Icmpv6View& ns, const IpContext& ip, FrameContext& frame);
  Verdict neighbor_advertisement(const Icmpv6View& na, const IpContext& ip, FrameContext& frame);
  // Sends error (type, code, parameter) about `offending` if RFC 4443 §2.4 (e) and the rate limit allow.
  void send_error(std::uint8_t type, std::uint8_t code, std::uint32_t parameter, const IpContext& offending,
                  bool even_to_multicast, FrameContext& frame);
  // Sends an NS or NA built in `out` from `source` to `destination` with hop limit 255.
  void send_nd(PacketBuffer& message, const Ipv6Address& source, const Ipv6Address& destination,
               const NextHop& next_hop, FrameContext& frame);

  StackContext& context_;
  Ipv6& ip_;
  Link& link_;
  IcmpRateLimiter limiter_;
  std::vector<std::uint8_t> tx_;  // errors and solicitations are built here, apart from what they quote
};

// RFC 4443 §2.4 (e): may an ICMPv6 error be sent about `offending`? Never about an ICMPv6 error or a redirect, a
// packet whose source does not name one node (::, multicast), or, unless `even_to_multicast` (a Packet Too Big, or
// a parameter problem about an option of type 10xxxxxx), a packet sent to a multicast address or as a link-layer
// multicast or broadcast. The upper-layer type is found past any extension headers.
bool may_send_icmpv6_error(const IpContext& offending, bool even_to_multicast);

// Writes into `out` the ICMPv6 error (type, code, 32-bit parameter) about `offending`, quoting as much of it as
// keeps the error packet within 1280 bytes (RFC 4443 §2.4 (c)), checksummed for `source` -> offending's source;
// returns its length in bytes.
std::size_t write_icmpv6_error(MutableBytes out, std::uint8_t type, std::uint8_t code, std::uint32_t parameter,
                               const IpContext& offending, const Ipv6Address& source);

}  // namespace ministack
