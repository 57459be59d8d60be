// Frames derived in memory from real ones, and the stack they run through (derived_frames.hpp).
#include "derived_frames.hpp"

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <utility>

#include "frame_feeder.hpp"
#include "packets.hpp"

namespace ministack::realworld {

std::vector<OptionVariant> option_variants(std::uint32_t requester, std::uint32_t stamp) {
  const auto addr = [](std::uint32_t a) { return packets::be32(a); };
  const auto cat = [](std::initializer_list<Bytes> parts) { return packets::concat(parts); };
  const Bytes zero4(4, 0), us = addr(kOurIp), them = addr(requester), other = addr(0xc0a8030b), t = addr(stamp);
  return {
      {"Record Route, empty", cat({{7, 39, 4}, Bytes(36, 0), {0}}), Want::answer},
      {"ping -R", cat({{1, 7, 39, 8}, them, Bytes(32, 0)}), Want::answer},
      {"Record Route, room for one", cat({{7, 11, 8}, them, zero4, {0}}), Want::answer},
      {"Record Route, full", cat({{7, 7, 8}, them, {0}}), Want::answer},
      {"Timestamp, only", cat({{68, 40, 9, 0x00}, t, Bytes(32, 0)}), Want::answer},
      {"Timestamp, and address", cat({{68, 36, 13, 0x01}, them, t, Bytes(24, 0)}), Want::answer},
      {"Timestamp, prespecified us twice", cat({{68, 20, 5, 0x03}, us, zero4, us, zero4}), Want::answer},
      {"Timestamp, prespecified us, another, us", cat({{68, 28, 5, 0x03}, us, zero4, other, zero4, us, zero4}),
       Want::answer},
      {"Timestamp, prespecified another first", cat({{68, 20, 5, 0x03}, other, zero4, us, zero4}), Want::answer},
      {"Timestamp, full, overflow 2", cat({{68, 8, 9, 0x20}, t}), Want::answer},
      {"Record Route and Timestamp", cat({{7, 11, 4}, Bytes(8, 0), {68, 12, 5, 0x00}, Bytes(8, 0), {0}}), Want::answer},
      {"NOPs only", {1, 1, 1, 1}, Want::answer},
      {"Record Route, pointer 3", cat({{7, 7, 3}, zero4, {0}}), Want::drop},
      {"Record Route, length past the area", cat({{7, 12, 4}, zero4, {0}}), Want::drop},
      {"Timestamp, full, overflow 15", cat({{68, 8, 9, 0xf0}, t}), Want::drop},
      {"two Record Routes", cat({{7, 7, 4}, zero4, {7, 7, 4}, zero4, {0, 0}}), Want::drop},
      {"Record Route, length 10", cat({{7, 10, 4}, Bytes(7, 0), {0, 0}}), Want::either},
  };
}

Bytes with_options(const Bytes& request, const Bytes& options) {
  const std::size_t total = get16(request, kEth + 2);
  Bytes out = slice(request, 0, kEth + 20);
  out.reserve(kEth + total + options.size());  // (up front: GCC 12 warns falsely of the inserts, -Warray-bounds)
  out.insert(out.end(), options.begin(), options.end());
  out.insert(out.end(), request.begin() + static_cast<std::ptrdiff_t>(kEth + 20),
             request.begin() + static_cast<std::ptrdiff_t>(kEth + total));
  const std::size_t ihl = 20 + options.size();
  out[kEth] = static_cast<std::uint8_t>(0x40 | (ihl / 4));
  put16(out, kEth + 2, static_cast<std::uint16_t>(total + options.size()));
  set_ip_checksum(out, kEth, ihl);
  return out;
}

Replay run_stack(LinkLayer link, const std::vector<Bytes>& frames, const std::vector<std::int64_t>& times_us,
                 std::size_t mtu) {
  ministack::StackConfig config;
  config.link = link;
  config.mtu = mtu;
  std::vector<Instant> instants;
  for (const std::int64_t t : times_us) {
    instants.push_back(ministack::testing::instant_of(std::chrono::microseconds{t}));
  }
  return ministack::testing::feed_frames(config, frames, instants, kEth + kMaxDatagram + 64);
}

void set_transport_checksum(Bytes& frame, std::size_t l3) {
  const std::size_t ihl = ihl_at(frame, l3), length = get16(frame, l3 + 2) - ihl, at = l3 + ihl;
  const std::uint8_t protocol = frame[l3 + 9];
  const std::size_t field = protocol == 6 ? 16 : 6;
  if ((protocol != 6 && protocol != 17) || length < field + 2 || (protocol == 17 && get16(frame, at + 6) == 0)) {
    return;
  }
  put16(frame, at + field, 0);
  const std::uint16_t checksum = packets::reference_checksum(
      packets::with_pseudo_header(packets::ByteView{frame}.subspan(at, length), Ipv4Address{get32(frame, l3 + 12)},
                                  Ipv4Address{get32(frame, l3 + 16)}, static_cast<std::uint16_t>(length), protocol));
  put16(frame, at + field, protocol == 17 && checksum == 0 ? 0xffff : checksum);
}

Bytes readdressed(const Bytes& frame, std::uint32_t destination, bool link_broadcast) {
  Bytes out = frame;
  const std::size_t ihl = ihl_at(out, kEth);
  put16(out, kEth + 16, static_cast<std::uint16_t>(destination >> 16));
  put16(out, kEth + 18, static_cast<std::uint16_t>(destination & 0xffff));
  set_ip_checksum(out, kEth, ihl);
  if (!is_fragment_at(out, kEth)) set_transport_checksum(out, kEth);
  if (link_broadcast) std::fill(out.begin(), out.begin() + 6, std::uint8_t{0xff});
  return out;
}

Bytes to_udp_port(const Bytes& frame, std::uint16_t port, std::size_t data_length) {
  const std::size_t ihl = ihl_at(frame, kEth), udp = kEth + ihl;
  const std::size_t old_length = get16(frame, udp + 4);
  Bytes data = slice(frame, udp + 8, old_length - 8);
  if (data_length != 0) {
    Bytes grown;
    while (grown.size() < data_length) grown.insert(grown.end(), data.begin(), data.end());
    grown.resize(data_length);
    data = grown;
  }
  Bytes out = slice(frame, 0, udp + 8);
  out.insert(out.end(), data.begin(), data.end());
  const std::size_t length = 8 + data.size();
  put16(out, udp + 2, port);
  put16(out, udp + 4, static_cast<std::uint16_t>(length));
  put16(out, udp + 6, 0);
  const std::uint16_t checksum = packets::reference_checksum(
      packets::with_pseudo_header(packets::ByteView{out}.subspan(udp, length), Ipv4Address{get32(out, kEth + 12)},
                                  Ipv4Address{get32(out, kEth + 16)}, static_cast<std::uint16_t>(length)));
  put16(out, udp + 6, checksum == 0 ? 0xffff : checksum);
  put16(out, kEth + 2, static_cast<std::uint16_t>(ihl + length));
  set_ip_checksum(out, kEth, ihl);
  return out;
}

Bytes edited_tcp(const Bytes& frame, const std::function<void(Bytes&, std::size_t)>& edit) {
  Bytes out = frame;
  const std::size_t ihl = ihl_at(out, kEth);
  edit(out, kEth + ihl);
  put16(out, kEth + 2, static_cast<std::uint16_t>(out.size() - kEth));
  set_ip_checksum(out, kEth, ihl);
  set_transport_checksum(out, kEth);
  return out;
}

std::vector<Bytes> fragments_of(const Bytes& frame, std::size_t chunk) {
  std::vector<Bytes> out;
  for (const Bytes& piece : packets::fragments(packets::ByteView{frame}.subspan(kEth), chunk)) {
    out.push_back(packets::concat(packets::ByteView{frame}.first(kEth), piece));
  }
  return out;
}

}  // namespace ministack::realworld
