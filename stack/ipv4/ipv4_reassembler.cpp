#include "stack/ipv4/ipv4_reassembler.hpp"

#include "stack/ipv4/ipv4_header.hpp"

namespace ministack {

namespace {

// RFC 791 §3.2: the identification, with the source, destination and protocol, tells one datagram's fragments from
// another's.
FragmentKey key_of(const Ipv4View& fragment) {
  FragmentKey key;
  std::uint8_t* p = key.bytes.data();
  store_be32(p, fragment.source().value);
  store_be32(p + 4, fragment.destination().value);
  p[8] = fragment.protocol();
  store_be16(p + 9, fragment.identification());
  return key;
}

}  // namespace

Ipv4Reassembler::Result Ipv4Reassembler::add(const Ipv4View& fragment, Instant now) {
  Result result = store_.add(Fragment{.key = key_of(fragment),
                                      .offset = fragment.fragment_offset(),
                                      .data = fragment.payload(),
                                      .last = !fragment.more_fragments(),
                                      .header = fragment.bytes().first(fragment.header_length())},
                             now);
  if (result.datagram) {
    // RFC 791 §3.2: the header is the first fragment's, with the total length of the whole datagram, MF and the
    // offset cleared (the reserved bit and DF kept), and so a new checksum.
    Ipv4Header header{result.datagram->data()};
    header.set_total_length(static_cast<std::uint16_t>(result.datagram->size()));
    header.set_flags_fragment_offset(header.flags_fragment_offset() &
                                         (ipv4_flags::reserved | ipv4_flags::dont_fragment),
                                     0);
    header.update_checksum();
  }
  return result;
}

}  // namespace ministack
