// IPv4 output: the header of every datagram the stack sends, and fragmentation to the MTU (RFC 791 §3.2).
#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

#include "stack/ipv4/ipv4_header.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv4/ipv4_options.hpp"

namespace ministack {

bool Ipv4::send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame) {
  const std::size_t header_length = kIpv4MinHeaderLength + request.options.size();
  const std::size_t total = header_length + payload.size();
  assert(total <= FragmentStore::kMaxDatagramLength);
  write_ipv4_header(payload.push(header_length),
                    {.tos = request.tos,
                     .total_length = static_cast<std::uint16_t>(total),
                     .identification = next_identification_++,
                     .dont_fragment = request.dont_fragment_if_fits && total <= context_.config.mtu,
                     .ttl = kDefaultTtl,
                     .protocol = request.protocol,
                     .source = context_.config.interface.address,
                     .destination = request.destination.v4()},
                    request.options);
  return output(payload, next_hop, frame);  // now the whole datagram
}

bool Ipv4::output(PacketBuffer& datagram, const NextHop& next_hop, FrameContext& frame) {
  context_.counters.count(Counter::ipOutRequests);
  const std::uint8_t* header = datagram.data();
  context_.trace(Layer::out, "IPv4 {} > {}, {} bytes, header checksum 0x{:04x}",
                 Ipv4Address{load_be32(header + ipv4_field::source)},
                 Ipv4Address{load_be32(header + ipv4_field::destination)}, datagram.size(),
                 load_be16(header + ipv4_field::header_checksum));
  if (datagram.size() <= context_.config.mtu) return link_.send_ip(datagram, next_hop, frame);
  return fragment(datagram, next_hop, frame);
}

bool Ipv4::fragment(const PacketBuffer& datagram, const NextHop& next_hop, FrameContext& frame) {
  // RFC 791 §3.2: every fragment carries the header; its data is a multiple of 8 bytes except in the last one.
  // Options without the copied bit become NOPs after the first fragment, so every fragment has the same header
  // length. Fragments are built in fragment_tx_, which holds nothing else.
  std::uint8_t* const original = datagram.data();
  const std::size_t header_length = Ipv4Header{original}.header_length();
  std::array<std::uint8_t, kIpv4MaxHeaderLength> later_header;
  std::memcpy(later_header.data(), original, header_length);
  options_for_later_fragments(
      MutableBytes{later_header}.subspan(kIpv4MinHeaderLength, header_length - kIpv4MinHeaderLength));

  const std::size_t data_length = datagram.size() - header_length;
  const std::size_t mtu = context_.config.mtu;
  const std::size_t chunk_max = (mtu - header_length) & ~std::size_t{7};
  context_.trace(Layer::out, "longer than the MTU ({}): fragments of up to {} data bytes (RFC 791 §3.2)", mtu,
                 chunk_max);
  const std::size_t room = link_.header_length();
  bool all_sent = true;
  std::size_t fragments = 0;
  for (std::size_t offset = 0; offset < data_length; offset += chunk_max) {
    const std::size_t chunk = std::min(chunk_max, data_length - offset);
    const bool last = offset + chunk == data_length;
    PacketBuffer piece(fragment_tx_, room, header_length + chunk);
    std::uint8_t* f = piece.data();
    std::memcpy(f, offset == 0 ? original : later_header.data(), header_length);
    std::memcpy(f + header_length, original + header_length + offset, chunk);
    Ipv4Header header{f};
    header.set_total_length(static_cast<std::uint16_t>(header_length + chunk));
    // Our datagrams have no flags of their own to keep; DF cannot stay set on what is fragmented.
    header.set_flags_fragment_offset(last ? 0 : ipv4_flags::more_fragments, offset);
    header.update_checksum();
    all_sent = link_.send_ip(piece, next_hop, frame) && all_sent;
    ++fragments;
  }
  context_.counters.count(Counter::ipFragOKs);
  for (std::size_t i = 0; i < fragments; ++i) context_.counters.count(Counter::ipFragCreates);
  return all_sent;
}

}  // namespace ministack
