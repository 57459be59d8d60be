#include "stack/transport/icmp_error.hpp"

#include <algorithm>
#include <cassert>
#include <functional>

#include "stack/wire/checksum.hpp"
#include "stack/wire/icmp.hpp"

namespace ministack {

namespace {

constexpr Ipv4Address kLimitedBroadcast{0xffffffff};

bool is_multicast(Ipv4Address a) { return (a.value & 0xf0000000u) == 0xe0000000u; }         // 224/4 (RFC 1112 §4)
bool is_reserved_class_e(Ipv4Address a) { return (a.value & 0xf0000000u) == 0xf0000000u; }  // 240/4

// Our subnet's directed broadcast (RFC 919, RFC 922). A /31 has none (RFC 3021 §2.1), and on a /32 the "broadcast"
// would be our own address: counting it would refuse every error.
bool is_subnet_broadcast(Ipv4Address a, const Ipv4Interface& us) {
  return us.prefix_length <= 30 && a == us.subnet_broadcast();
}

// The quote fills what is left of 576 bytes after the error's IP header (20 bytes, no options) and ICMP header.
constexpr std::size_t kMaxQuote = kIcmpErrorMaxLength - kIpv4MinHeaderLength - kIcmpHeaderLength;
// RFC 792's minimum quote, the longest IP header (60 bytes) + 64 bits of data, always fits.
static_assert(kMaxQuote >= 60 + 8);

}  // namespace

bool is_icmp_error_type(std::uint8_t type) {
  switch (type) {
    case 0:   // echo reply
    case 8:   // echo request
    case 13:  // timestamp
    case 14:  // timestamp reply
    case 15:  // information request
    case 16:  // information reply
    case 17:  // address mask request (RFC 950)
    case 18:  // address mask reply
      return false;
    default: return true;
  }
}

bool may_send_icmp_error(const IpContext& offending, const Ipv4Interface& us) {
  // RFC 1122 §3.2.2: "a datagram sent as a link-layer broadcast".
  if (offending.link_broadcast) return false;

  // RFC 1122 §3.2.2: "a datagram destined to an IP broadcast or IP multicast address".
  const Ipv4Address destination = offending.destination.v4();
  if (destination == kLimitedBroadcast || is_subnet_broadcast(destination, us) || is_multicast(destination)) {
    return false;
  }

  // RFC 1122 §3.2.2: "a non-initial fragment". (The first fragment, offset 0, may be answered.) Checked before the
  // ICMP type below: only offset 0 starts with the ICMP header.
  if (offending.fragment_offset != 0) return false;

  // RFC 1122 §3.2.2: "a datagram whose source address does not define a single host -- e.g., a zero address, a
  // loopback address, a broadcast address, a multicast address, or a Class E address". A network address (host part
  // 0) is left allowed: it names a host on a subnet other than ours, and is not ours to judge.
  const Ipv4Address source = offending.source.v4();
  if (is_martian_source(source) || is_reserved_class_e(source) || is_subnet_broadcast(source, us)) return false;

  // RFC 1122 §3.2.2: "an ICMP error message" (RFC 792: "To avoid the infinite regress of messages about messages
  // etc."). Queries such as an echo request may be answered with an error. An ICMP datagram too short to hold a type
  // byte cannot be told apart, so, like Linux (__icmp_send), we stay silent.
  if (offending.protocol == ip_protocol::icmp) {
    const Bytes icmp = offending.payload();
    if (icmp.empty() || is_icmp_error_type(icmp[0])) return false;
  }
  return true;
}

std::size_t write_icmp_error(MutableBytes out, std::uint8_t type, std::uint8_t code, const IpContext& offending) {
  const Bytes quote = offending.datagram.first(std::min(offending.datagram.size(), kMaxQuote));
  const std::size_t length = kIcmpHeaderLength + quote.size();
  assert(out.size() >= length);
  // Writing over the offending bytes while quoting them would garble the quote.
  assert(std::greater_equal<>{}(quote.data(), out.data() + out.size()) ||
         std::less_equal<>{}(quote.data() + quote.size(), out.data()));

  std::uint8_t* p = out.data();
  p[0] = type;
  p[1] = code;
  store_be16(p + 2, 0);
  store_be32(p + 4, 0);  // unused (RFC 792); the pointer, gateway or MTU for other error types
  std::copy(quote.begin(), quote.end(), p + kIcmpHeaderLength);
  store_be16(p + 2, internet_checksum(out.first(length)));
  return length;
}

}  // namespace ministack
