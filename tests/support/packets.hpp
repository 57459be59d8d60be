// Test frames and byte reads for all of ministack's tests, built byte by byte: the one set of builders (unit,
// replay, trace and device tests alike).
//
// Nothing here calls the code under test: the builders write every field with their own big-endian helpers, and
// reference_checksum() is a separate, plain RFC 1071 loop. A test's expected bytes therefore never come from the
// functions it is testing. Every builder takes a small struct whose defaults describe a well-formed packet from
// kPeer to us, so a test states only the field it breaks:
//
//   echo_request_frame({.data = pattern(1)}, {.ihl = 4})   // Ethernet + IPv4 (IHL 4) + ICMP echo, 1 data byte
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stack/wire/address.hpp"

namespace packets {

using Frame = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using ministack::Ipv4Address;
using ministack::MacAddress;

// The default StackConfig (192.168.3.12/24, 02:00:00:00:00:01) and a peer on the same link.
inline constexpr MacAddress kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline constexpr Ipv4Address kOurIp{0xc0a8030c};  // 192.168.3.12
inline constexpr MacAddress kPeerMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
inline constexpr Ipv4Address kPeerIp{0xc0a80301};  // 192.168.3.1

// Realistic receive buffers: MTU 1500 plus the 14-byte Ethernet header on TAP, the bare MTU on TUN.
inline constexpr std::size_t kTapBufferSize = 1514;
inline constexpr std::size_t kTunBufferSize = 1500;

constexpr Ipv4Address ipv4_address(unsigned a, unsigned b, unsigned c, unsigned d) {
  return Ipv4Address{(a << 24) | (b << 16) | (c << 8) | d};
}

// ---- byte helpers -----------------------------------------------------------------------------------------------

inline void put16(Frame& f, std::size_t offset, std::uint16_t v) {
  f.at(offset) = static_cast<std::uint8_t>(v >> 8);
  f.at(offset + 1) = static_cast<std::uint8_t>(v);
}

inline void put32(Frame& f, std::size_t offset, std::uint32_t v) {
  put16(f, offset, static_cast<std::uint16_t>(v >> 16));
  put16(f, offset + 2, static_cast<std::uint16_t>(v));
}

inline void put_mac(Frame& f, std::size_t offset, const MacAddress& mac) {
  std::copy(mac.bytes.begin(), mac.bytes.end(), f.begin() + static_cast<std::ptrdiff_t>(offset));
}

inline std::uint16_t get16(ByteView b, std::size_t offset) {
  return static_cast<std::uint16_t>((b[offset] << 8) | b[offset + 1]);
}

inline std::uint32_t get32(ByteView b, std::size_t offset) {
  return (std::uint32_t{get16(b, offset)} << 16) | get16(b, offset + 2);
}

inline MacAddress get_mac(ByteView b, std::size_t offset) {
  MacAddress mac;
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(offset), 6, mac.bytes.begin());
  return mac;
}

// (Frames are sized first and then filled: GCC 12 reports a false -Warray-bounds on vector::insert at -O2.)
inline void put_bytes(Frame& f, std::size_t offset, ByteView bytes) {
  std::copy(bytes.begin(), bytes.end(), f.begin() + static_cast<std::ptrdiff_t>(offset));
}

inline Frame concat(ByteView a, ByteView b) {
  Frame f(a.size() + b.size());
  put_bytes(f, 0, a);
  put_bytes(f, a.size(), b);
  return f;
}

// The parts one after the other: concat({{7, 39, 4}, be32(address), Frame(36, 0)}).
inline Frame concat(std::initializer_list<Frame> parts) {
  std::size_t size = 0;
  for (const Frame& part : parts) size += part.size();
  Frame f(size);
  std::size_t at = 0;
  for (const Frame& part : parts) {
    put_bytes(f, at, part);
    at += part.size();
  }
  return f;
}

// b[from, from + n) as a frame of its own.
inline Frame slice(ByteView b, std::size_t from, std::size_t n) {
  const ByteView part = b.subspan(from, n);
  return Frame(part.begin(), part.end());
}

// A 32-bit value as its four big-endian bytes (an address or a timestamp inside an option).
inline Frame be32(std::uint32_t v) {
  Frame f(4);
  put32(f, 0, v);
  return f;
}

inline Frame bytes_of(std::string_view text) { return Frame(text.begin(), text.end()); }

// n bytes counting up from `start`, like ping's default payload.
inline Frame pattern(std::size_t n, std::uint8_t start = 0x10) {
  Frame f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(start + i);
  return f;
}

// Bytes that differ from frame to frame (by `seed`) and from position to position, without pattern()'s period of
// 256, so that a mix-up of frames or an offset anywhere in a long one shows.
inline Frame distinct_bytes(std::size_t n, std::uint8_t seed) {
  Frame f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
  return f;
}

// Appends `fill` bytes up to `length`, as a NIC pads a short frame (IEEE 802.3 §4.2.3.3) or a driver leaves a
// trailer behind the datagram.
inline Frame pad_to(Frame f, std::size_t length, std::uint8_t fill = 0) {
  if (f.size() < length) f.resize(length, fill);
  return f;
}

// ---- reference checksum -----------------------------------------------------------------------------------------

// RFC 1071 §4.1 written as plainly as possible: 16-bit big-endian words, an odd last byte as the high half of a
// word, a wide accumulator, carries folded back at the end. Returns the value to store in a checksum field, or 0
// when `data` already includes a correct checksum.
inline std::uint16_t reference_checksum(ByteView data) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const std::uint64_t high = data[i];
    const std::uint64_t low = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (high << 8) | low;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// The checksum a field at `offset` should hold: the data summed with that field taken as zero.
inline std::uint16_t expected_checksum(ByteView data, std::size_t offset) {
  Frame copy(data.begin(), data.end());
  put16(copy, offset, 0);
  return reference_checksum(copy);
}

// Writes the checksum field at `checksum_offset` for the bytes f[from, from + length) it covers (the field taken as
// zero while summing).
inline void set_checksum(Frame& f, std::size_t checksum_offset, std::size_t from, std::size_t length) {
  put16(f, checksum_offset, 0);
  put16(f, checksum_offset, reference_checksum(ByteView{f}.subspan(from, length)));
}

// ---- ICMP (RFC 792) ---------------------------------------------------------------------------------------------

struct Icmp {
  std::uint8_t type = 8;  // echo request
  std::uint8_t code = 0;
  std::uint16_t identifier = 0x1c2d;
  std::uint16_t sequence = 1;
  Frame data = pattern(56);  // ping's default size
  bool bad_checksum = false;
};

inline Frame icmp(const Icmp& m) {
  Frame f(8 + m.data.size());
  f[0] = m.type;
  f[1] = m.code;
  put16(f, 4, m.identifier);
  put16(f, 6, m.sequence);
  put_bytes(f, 8, m.data);
  const std::uint16_t checksum = reference_checksum(f);
  put16(f, 2, m.bad_checksum ? static_cast<std::uint16_t>(checksum ^ 0x0100) : checksum);
  return f;
}

// ---- IPv4 (RFC 791 §3.1) ----------------------------------------------------------------------------------------

struct Ipv4 {
  std::uint8_t version = 4;
  std::optional<std::uint8_t> ihl{};  // default: 5 + options.size() / 4
  std::uint8_t tos = 0;
  std::optional<std::uint16_t> total_length{};  // default: header + payload (trailer excluded)
  std::uint16_t identification = 0x3b7a;
  std::uint16_t flags_fragment = 0x4000;  // DF, offset 0: what Linux ping sends
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 1;  // ICMP
  Ipv4Address source = kPeerIp;
  Ipv4Address destination = kOurIp;
  Frame options{};  // a multiple of 4 bytes
  bool bad_checksum = false;
  Frame trailer{};  // bytes after the datagram, not counted in the total length
};

inline Frame ipv4(const Ipv4& h, ByteView payload) {
  const std::size_t header_length = 20 + h.options.size();
  const std::size_t datagram_length = header_length + payload.size();
  Frame f(datagram_length + h.trailer.size());
  put_bytes(f, 20, h.options);
  put_bytes(f, header_length, payload);
  put_bytes(f, datagram_length, h.trailer);
  const std::uint8_t ihl = h.ihl.value_or(static_cast<std::uint8_t>(header_length / 4));
  f[0] = static_cast<std::uint8_t>((h.version << 4) | (ihl & 0x0f));
  f[1] = h.tos;
  put16(f, 2, h.total_length.value_or(static_cast<std::uint16_t>(datagram_length)));
  put16(f, 4, h.identification);
  put16(f, 6, h.flags_fragment);
  f[8] = h.ttl;
  f[9] = h.protocol;
  put32(f, 12, h.source.value);
  put32(f, 16, h.destination.value);
  // The checksum covers the header as the IHL describes it (at least 20 bytes, at most what there is).
  const std::size_t covered = std::clamp<std::size_t>(std::size_t{ihl & 0x0fu} * 4, 20, datagram_length);
  const std::uint16_t checksum = reference_checksum(ByteView{f}.first(covered));
  put16(f, 10, h.bad_checksum ? static_cast<std::uint16_t>(checksum ^ 0x0001) : checksum);
  return f;
}

// An IPv4 packet holding an ICMP message: what a TUN device delivers.
inline Frame echo_request(const Icmp& m = {}, const Ipv4& h = {}) { return ipv4(h, icmp(m)); }

inline std::size_t header_length_of(ByteView datagram) { return std::size_t{datagram[0] & 0x0fu} * 4; }

// A fragment of `datagram` (an IPv4 packet) carrying its payload bytes [offset, offset + length), MF as given
// (RFC 791 §3.2). The first fragment gets the datagram's whole header, options included; the others its first 20
// bytes (IHL 5), as Linux does with options not marked "copied" (RFC 791 §3.1). Bytes past the datagram's payload
// (forged fragments) are 0xee. Total length, flags and offset (DF cleared) and the header checksum are written.
inline Frame fragment(ByteView datagram, std::size_t offset, std::size_t length, bool more,
                      std::optional<std::uint8_t> ttl = std::nullopt) {
  const std::size_t datagram_header = header_length_of(datagram);
  const std::size_t header = offset == 0 ? datagram_header : 20;
  Frame f(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(header));
  f.resize(header + length, 0xee);
  if (offset != 0) f[0] = 0x45;
  for (std::size_t i = 0; i < length; ++i) {
    if (datagram_header + offset + i < datagram.size()) f[header + i] = datagram[datagram_header + offset + i];
  }
  put16(f, 2, static_cast<std::uint16_t>(header + length));
  put16(f, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  if (ttl) f[8] = *ttl;
  set_checksum(f, 10, 0, header);
  return f;
}

// `datagram` cut into fragments of `chunk` payload bytes each (a multiple of 8), the last one shorter: as a sender
// cuts it for an MTU of chunk + 20 (Linux: 1480 for 1500). The datagram's total length, not its size, says where
// its payload ends.
inline std::vector<Frame> fragments(ByteView datagram, std::size_t chunk) {
  const std::size_t total = std::size_t{get16(datagram, 2)};
  const std::size_t payload = total - header_length_of(datagram);
  std::vector<Frame> out;
  for (std::size_t offset = 0; offset < payload; offset += chunk) {
    const std::size_t length = std::min(chunk, payload - offset);
    out.push_back(fragment(datagram.first(total), offset, length, offset + length < payload));
  }
  return out;
}

// ---- UDP (RFC 768) ----------------------------------------------------------------------------------------------

// The pseudo-header a UDP or TCP checksum covers (RFC 768, RFC 9293 §3.1), followed by `datagram`.
inline Frame with_pseudo_header(ByteView datagram, Ipv4Address source, Ipv4Address destination,
                                std::uint16_t transport_length, std::uint8_t protocol = 17) {
  Frame f(12);
  put32(f, 0, source.value);
  put32(f, 4, destination.value);
  f[9] = protocol;
  put16(f, 10, transport_length);
  return concat(f, datagram);
}

struct Udp {
  std::uint16_t source_port = 40000;
  std::uint16_t destination_port = 9;
  Frame payload = bytes_of("hello\n");
  std::optional<std::uint16_t> length{};    // default: 8 + payload
  std::optional<std::uint16_t> checksum{};  // default: the correct one (0 means "none", RFC 768)
  Ipv4Address source = kPeerIp;             // for the checksum's pseudo-header
  Ipv4Address destination = kOurIp;
  Frame slack{};  // bytes after the datagram, inside the IP payload
};

// A UDP datagram; its checksum covers the pseudo-header and the bytes the length field covers, and a computed 0 is
// sent as 0xffff (RFC 768).
inline Frame udp(const Udp& u) {
  const std::size_t size = 8 + u.payload.size();
  Frame f(size + u.slack.size());
  put16(f, 0, u.source_port);
  put16(f, 2, u.destination_port);
  const std::uint16_t length = u.length.value_or(static_cast<std::uint16_t>(size));
  put16(f, 4, length);
  put_bytes(f, 8, u.payload);
  put_bytes(f, size, u.slack);
  const std::size_t covered = std::min<std::size_t>(length, f.size());
  std::uint16_t checksum =
      reference_checksum(with_pseudo_header(ByteView{f}.first(covered), u.source, u.destination, length));
  if (checksum == 0) checksum = 0xffff;
  put16(f, 6, u.checksum.value_or(checksum));
  return f;
}

// ---- TCP (RFC 9293) ----------------------------------------------------------------------------------------------

namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}  // namespace tcp_flags

struct Tcp {
  std::uint16_t source_port = 40000;
  std::uint16_t destination_port = 80;
  std::uint32_t sequence = 1000;
  std::uint32_t acknowledgment = 0;
  std::uint8_t flags = tcp_flags::syn;
  std::uint16_t window = 64240;
  Frame options{};  // already padded to a multiple of 4 bytes, unless a test wants otherwise
  Frame payload{};
  std::optional<std::uint8_t> data_offset{};  // words; default: 5 + options / 4
  std::optional<std::uint16_t> checksum{};    // default: the correct one
  Ipv4Address source = kPeerIp;               // for the checksum's pseudo-header
  Ipv4Address destination = kOurIp;
};

// A TCP segment; its checksum covers the pseudo-header (protocol 6), the header and the data.
inline Frame tcp(const Tcp& t) {
  Frame f(20 + t.options.size() + t.payload.size());
  put16(f, 0, t.source_port);
  put16(f, 2, t.destination_port);
  put32(f, 4, t.sequence);
  put32(f, 8, t.acknowledgment);
  f[12] = static_cast<std::uint8_t>(t.data_offset.value_or(static_cast<std::uint8_t>(5 + t.options.size() / 4)) << 4);
  f[13] = t.flags;
  put16(f, 14, t.window);
  put_bytes(f, 20, t.options);
  put_bytes(f, 20 + t.options.size(), t.payload);
  const auto length = static_cast<std::uint16_t>(f.size());
  put16(f, 16, t.checksum.value_or(reference_checksum(with_pseudo_header(f, t.source, t.destination, length, 6))));
  return f;
}

// ---- Ethernet II (RFC 894) --------------------------------------------------------------------------------------

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

struct Ethernet {
  MacAddress destination = kOurMac;
  MacAddress source = kPeerMac;
  std::uint16_t type = ethertype::ipv4;
};

inline Frame ethernet(const Ethernet& e, ByteView payload) {
  Frame f(14 + payload.size());
  put_mac(f, 0, e.destination);
  put_mac(f, 6, e.source);
  put16(f, 12, e.type);
  put_bytes(f, 14, payload);
  return f;
}

// An Ethernet frame holding an IPv4 echo request: what a TAP device delivers. Ipv4::trailer becomes the frame's
// padding after the datagram.
inline Frame echo_request_frame(const Icmp& m = {}, const Ipv4& h = {}, const Ethernet& e = {}) {
  return ethernet(e, echo_request(m, h));
}

// ---- ARP (RFC 826) ----------------------------------------------------------------------------------------------

struct Arp {
  std::uint16_t htype = 1;  // Ethernet
  std::uint16_t ptype = ethertype::ipv4;
  std::uint8_t hlen = 6;
  std::uint8_t plen = 4;
  std::uint16_t operation = 1;  // request
  MacAddress sender_mac = kPeerMac;
  Ipv4Address sender_ip = kPeerIp;
  MacAddress target_mac{};  // unknown in a request
  Ipv4Address target_ip = kOurIp;
};

// The 28-byte Ethernet/IPv4 layout; hlen and plen are written as given but do not move the fields.
inline Frame arp(const Arp& a) {
  Frame f(28);
  put16(f, 0, a.htype);
  put16(f, 2, a.ptype);
  f[4] = a.hlen;
  f[5] = a.plen;
  put16(f, 6, a.operation);
  put_mac(f, 8, a.sender_mac);
  put32(f, 14, a.sender_ip.value);
  put_mac(f, 18, a.target_mac);
  put32(f, 24, a.target_ip.value);
  return f;
}

// A broadcast who-has, 42 bytes: as the host kernel writes it into a TAP device (unpadded). Use pad_to(f, 60) for
// the padded form a NIC delivers.
inline Frame arp_frame(const Arp& a = {}, const Ethernet& e = {MacAddress::broadcast(), kPeerMac, ethertype::arp}) {
  return ethernet(e, arp(a));
}

}  // namespace packets
