// IPv4 options (RFC 791 §3.1, RFC 1122 §3.2.1.8): checking a received header's options, and building the options
// an echo reply carries (RFC 1122 §3.2.2.6). Pure functions over byte spans, like the views.
//
// The options area is the header past its first 20 bytes (IHL * 4 - 20 bytes, at most 40). An option is either
// one byte (End of Option List, No Operation) or a type byte, a length byte that counts the whole option, and data:
//
//   Record Route (type 7), and the source routes LSRR (131) and SSRR (137):
//    +--------+--------+--------+---------//--------+
//    |  type  | length | pointer|  route data: 4-byte addresses (slots)
//    +--------+--------+--------+---------//--------+
//   pointer: 1-based offset, within the option, of the next free slot; the smallest legal value is 4. The option is
//   full once the pointer exceeds the length.
//
//   Timestamp (type 68):
//    +--------+--------+--------+--------+
//    |01000100| length | pointer|oflw|flg|
//    +--------+--------+--------+--------+
//    |  internet address (flags 1 and 3)  |
//    +--------+--------+--------+--------+
//    |             timestamp             |
//    +--------+--------+--------+--------+
//    |                 .                 |
//   pointer: the same, smallest legal value 5. flags: 0 timestamps only, 1 address and timestamp pairs, 3 pairs
//   whose addresses were prespecified by the sender (a host stamps only its own). oflw: how many modules found no
//   room. A timestamp is milliseconds since midnight UT, in network byte order.
//
// What Linux does with them, byte by byte, is in docs/linux-parity.md, checked against the recordings
// pcaps/{tap,tun}_ping_{rr,ts,tsaddr,tsprespec,tsprespec_other}.pcap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/wire/address.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/drop_reason.hpp"

namespace ministack {

inline constexpr std::size_t kIpv4MaxOptionsLength = 40;  // IHL 15: a 60-byte header

namespace ipv4_option {
inline constexpr std::uint8_t end_of_list = 0;
inline constexpr std::uint8_t no_operation = 1;
inline constexpr std::uint8_t record_route = 7;
inline constexpr std::uint8_t timestamp = 68;
inline constexpr std::uint8_t loose_source_route = 131;
inline constexpr std::uint8_t strict_source_route = 137;
inline constexpr std::uint8_t router_alert = 148;  // RFC 2113
}  // namespace ipv4_option

// The option type's top bit: copy the option into every fragment (RFC 791 §3.1).
inline constexpr std::uint8_t kOptionCopied = 0x80;

namespace timestamp_flags {
inline constexpr std::uint8_t timestamps_only = 0;
inline constexpr std::uint8_t with_addresses = 1;
inline constexpr std::uint8_t prespecified = 3;
}  // namespace timestamp_flags

// Checks a received header's options (the bytes past the first 20), as Linux's ip_options_compile() does on
// receipt: every option but EOL and NOP has its length byte, a length >= 2 that stays within the area; Record
// Route, LSRR and SSRR have length >= 3 and pointer >= 4, Timestamp length >= 4 and pointer >= 5; a pointer that is
// within the option names a whole slot (RFC 791: "some room but not enough room ... is considered to be in error"),
// for Timestamp flags 1 and 3 a whole address and timestamp pair; a full Timestamp (flags other than 3) whose
// overflow count is already 15 is an error (RFC 791: "the overflow count itself overflows"); Record Route,
// Timestamp and a source route (LSRR or SSRR, either) appear at most once; Router Alert has length >= 4. EOL ends
// the list: what follows it is not looked at. A pointer past the length means "full", which is legal, however far
// past. nullopt if fine, DropReason::ip_bad_options if not (Linux answers those with an ICMP parameter problem).
std::optional<DropReason> check_options(Bytes options);

// The options an echo reply carries (RFC 1122 §3.2.2.6: Record Route and Timestamp "SHOULD be updated to include
// the current host and included in the IP header of the Echo Reply message, without truncation"), byte for byte
// what Linux sends (ip_options_compile() on receipt, then ip_options_echo() and ip_options_build() for the reply):
// Record Route, then Timestamp, copied from the request and updated with `our_address` and `ms_since_midnight_ut`
// where there is room, padded with EOL to a multiple of 4; no other option (NOP, source routes, unknown ones).
// Returns the number of bytes written to `out` (0 if there are none); `out` holds at least 40 bytes. Options that
// check_options() rejects give 0. For the one case where Linux sends no reply at all, see echo_reply_refused().
std::size_t echo_reply_options(Bytes request_options, Ipv4Address our_address, std::uint32_t ms_since_midnight_ut,
                               MutableBytes out);

// True where Linux answers an echo request carrying these (valid) options with nothing at all: the Record Route or
// Timestamp slot the reply itself would fill is cut short by the end of the option (ip_options_echo() returns
// -EINVAL and icmp_reply() gives up). That needs an option length or pointer that is not a whole number of slots
// from the start, e.g. Record Route of length 10 with pointer 4, which no sender that follows RFC 791 produces;
// echo_reply_options() then leaves that slot, and the pointer, as the receipt of the request left them (step 1 in
// ipv4_options.cpp). The address matters: a prespecified Timestamp is stamped only at our own address.
bool echo_reply_refused(Bytes request_options, Ipv4Address our_address);

// Rewrites a well-formed options area (one that check_options() accepts, or that we built) for the fragments after
// the first: options without the copied bit become NOPs (RFC 791 §3.2 copies only those with it; Linux's
// ip_options_fragment() turns the rest into NOPs so that every fragment's header has the same length).
void options_for_later_fragments(MutableBytes options);

}  // namespace ministack
