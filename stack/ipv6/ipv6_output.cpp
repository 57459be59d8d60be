// IPv6 output: the header of every packet the stack sends, and fragmentation to the MTU (RFC 8200 §4.5), which in
// IPv6 only the source does.
#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <tuple>

#include <sodium.h>

#include "stack/ipv6/ipv6_layer.hpp"

namespace ministack {

bool Ipv6::send(PacketBuffer& payload, const IpSend& request, const NextHop& next_hop, FrameContext& frame) {
  const Ipv6Address destination = request.destination.v6();
  const Ipv6Address source = request.source6 ? *request.source6 : source_for(destination);
  const std::size_t payload_length = payload.size();
  assert(payload_length <= FragmentStore::kMaxDatagramLength - kIpv6HeaderLength);
  write_ipv6_header(payload.push(kIpv6HeaderLength),
                    {.traffic_class = request.tos,
                     .payload_length = static_cast<std::uint16_t>(payload_length),
                     .next_header = request.protocol,
                     .hop_limit = request.hop_limit ? request.hop_limit : kIpv6DefaultHopLimit,
                     .source = source,
                     .destination = destination});
  return output(payload, next_hop, frame);
}

bool Ipv6::output(PacketBuffer& packet, const NextHop& next_hop, FrameContext& frame) {
  context_.counters.count(Counter::Ip6OutRequests);
  const std::uint8_t* header = packet.data();
  context_.trace(Layer::out, "IPv6 {} > {}, {} bytes, next header {}, hop limit {}",
                 load_ipv6(header + ipv6_field::source), load_ipv6(header + ipv6_field::destination), packet.size(),
                 header[ipv6_field::next_header], header[ipv6_field::hop_limit]);
  if (packet.size() <= context_.config.mtu) return link_.send_ip(packet, next_hop, frame);
  return fragment(packet, next_hop, frame);
}

std::uint32_t Ipv6::fragment_identification(const Ipv6Address& destination) {
  // RFC 7739 §5.4: a keyed hash (SipHash, libsodium, with the stack's secret) of the destination and a counter, so
  // that nobody off the path can predict the next one, as Linux's ipv6_select_ident().
  std::array<std::uint8_t, 20> input{};
  std::copy(destination.bytes.begin(), destination.bytes.end(), input.begin());
  store_be32(input.data() + 16, next_identification_++);
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  static_assert(crypto_shorthash_KEYBYTES == std::tuple_size_v<tcp::IsnSecret>);
  crypto_shorthash(hash.data(), input.data(), input.size(), context_.config.tcp.isn_secret.data());
  return load_be32(hash.data());
}

bool Ipv6::fragment(const PacketBuffer& packet, const NextHop& next_hop, FrameContext& frame) {
  // RFC 8200 §4.5: each fragment is the unfragmentable part (our packets have only the IPv6 header), a Fragment
  // header, and a piece of the rest, a multiple of 8 bytes long except in the last.
  const std::uint8_t* const original = packet.data();
  const std::size_t data_length = packet.size() - kIpv6HeaderLength;
  const std::size_t mtu = context_.config.mtu;
  const std::size_t chunk_max = (mtu - kIpv6HeaderLength - kIpv6FragmentHeaderLength) & ~std::size_t{7};
  const std::uint32_t identification = fragment_identification(load_ipv6(original + ipv6_field::destination));
  context_.trace(Layer::out, "longer than the MTU ({}): fragments of up to {} data bytes, id 0x{:08x} (RFC 8200 §4.5)",
                 mtu, chunk_max, identification);
  const std::size_t room = link_.header_length();
  bool all_sent = true;
  std::size_t fragments = 0;
  for (std::size_t offset = 0; offset < data_length; offset += chunk_max) {
    const std::size_t chunk = std::min(chunk_max, data_length - offset);
    PacketBuffer piece(fragment_tx_, room, kIpv6HeaderLength + kIpv6FragmentHeaderLength + chunk);
    std::uint8_t* f = piece.data();
    std::memcpy(f, original, kIpv6HeaderLength);
    store_be16(f + ipv6_field::payload_length, static_cast<std::uint16_t>(kIpv6FragmentHeaderLength + chunk));
    f[ipv6_field::next_header] = ip_protocol::ipv6_fragment;
    Ipv6FragmentHeader{.next_header = original[ipv6_field::next_header],
                       .offset = offset,
                       .more_fragments = offset + chunk < data_length,
                       .identification = identification}
        .write(f + kIpv6HeaderLength);
    std::memcpy(f + kIpv6HeaderLength + kIpv6FragmentHeaderLength, original + kIpv6HeaderLength + offset, chunk);
    all_sent = link_.send_ip(piece, next_hop, frame) && all_sent;
    ++fragments;
  }
  context_.counters.count(Counter::Ip6FragOKs);
  for (std::size_t i = 0; i < fragments; ++i) context_.counters.count(Counter::Ip6FragCreates);
  return all_sent;
}

}  // namespace ministack
