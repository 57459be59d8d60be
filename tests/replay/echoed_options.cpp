// Record Route and Timestamp in an echo reply, checked against the request's (reply_checks.hpp): read with
// ip_options.hpp, each slot the reply filled checked, everything else as it was.
#include "reply_checks.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "ip_options.hpp"

namespace ministack::realworld {
namespace {

// A timestamp as RFC 791 §3.1 has it: milliseconds since midnight UT, or any value with the high bit set.
bool valid_timestamp(std::uint32_t t) { return t < kMsPerDay || (t & 0x80000000u) != 0; }

// Record Route in an echo reply (RFC 1122 §3.2.2.6: updated with this host, without truncation): the request's
// option, same length, what was recorded before kept, one or two slots (receipt and reply: Linux, and ministack,
// fill both) recorded as 192.168.3.12 where there was room, the rest as it was.
void compare_record_route(const Bytes& q, const IpOption& qo, const Bytes& a, const IpOption& ao, Problems& p) {
  const Expect expect = expector(p);
  const std::size_t length = qo.length;
  if (ao.length != length) {
    p.push_back("Record Route of length " + std::to_string(length) + " came back with length " +
                std::to_string(ao.length));
    return;
  }
  const std::size_t q_pointer = q[qo.at + 2], a_pointer = a[ao.at + 2];
  if (length < 3 || q_pointer < 4) {
    p.push_back("reply to a request whose Record Route is malformed");
    return;
  }
  const std::size_t kept = std::min(q_pointer - 1, length);  // bytes [3, kept) were recorded before us
  expect(same(a, ao.at + 3, q, qo.at + 3, kept - 3), "Record Route: the addresses recorded before us changed");
  if (q_pointer > length) {
    expect(a_pointer == q_pointer, "Record Route was full, yet its pointer moved from " + std::to_string(q_pointer) +
                                       " to " + std::to_string(a_pointer));
    return;
  }
  const std::size_t advance = a_pointer >= q_pointer ? a_pointer - q_pointer : 0;
  if ((advance != 4 && advance != 8) || a_pointer - 1 > length) {
    p.push_back("Record Route pointer went from " + std::to_string(q_pointer) + " to " + std::to_string(a_pointer) +
                " (length " + std::to_string(length) + "): one or two whole slots should be filled");
    return;
  }
  for (std::size_t k = q_pointer - 1; k < a_pointer - 1; k += 4) {
    expect(get32(a, ao.at + k) == kOurIp,
           "Record Route slot at " + std::to_string(k) + " holds " + ip_text(get32(a, ao.at + k)) + ", not us");
  }
  expect(same(a, ao.at + a_pointer - 1, q, qo.at + a_pointer - 1, length - (a_pointer - 1)),
         "Record Route: the slots past the pointer changed");
}

// Timestamp in an echo reply (RFC 791 §3.1, RFC 1122 §3.2.2.6): same length and flags, what was there kept, one or
// two new entries by the flags (0: a timestamp; 1: our address and a timestamp; 3: a timestamp beside a
// prespecified address that is ours), or, if it was full, the overflow count incremented (or not).
void compare_timestamp(const Bytes& q, const IpOption& qo, const Bytes& a, const IpOption& ao, Problems& p) {
  const Expect expect = expector(p);
  const std::size_t length = qo.length;
  if (ao.length != length) {
    p.push_back("Timestamp of length " + std::to_string(length) + " came back with length " +
                std::to_string(ao.length));
    return;
  }
  if (length < 4 || q[qo.at + 2] < 5) {
    p.push_back("reply to a request whose Timestamp is malformed");
    return;
  }
  const unsigned q_flags = q[qo.at + 3] & 0x0fu, a_flags = a[ao.at + 3] & 0x0fu;
  const unsigned q_overflow = unsigned{q[qo.at + 3]} >> 4, a_overflow = unsigned{a[ao.at + 3]} >> 4;
  expect(a_flags == q_flags,
         "Timestamp flags changed from " + std::to_string(q_flags) + " to " + std::to_string(a_flags));
  const std::size_t q_pointer = q[qo.at + 2], a_pointer = a[ao.at + 2];
  const std::size_t kept = std::min(q_pointer - 1, length);
  expect(same(a, ao.at + 4, q, qo.at + 4, kept - 4), "Timestamp: the entries made before us changed");
  if (q_pointer > length) {
    expect(a_pointer == q_pointer, "Timestamp was full, yet its pointer moved");
    const bool counted = q_flags != 3 && a_overflow == q_overflow + 1;
    expect(a_overflow == q_overflow || counted,
           "Timestamp overflow count went from " + std::to_string(q_overflow) + " to " + std::to_string(a_overflow));
    return;
  }
  expect(a_overflow == q_overflow, "Timestamp overflow count changed although there was room");
  const std::size_t slot = q_flags == 1 || q_flags == 3 ? 8 : 4;
  const std::size_t advance = a_pointer >= q_pointer ? a_pointer - q_pointer : 0;
  const bool defined = q_flags == 0 || q_flags == 1 || q_flags == 3;
  const std::size_t least = q_flags == 3 || !defined ? 0 : slot, most = defined ? 2 * slot : 0;
  if (a_pointer < q_pointer || advance % slot != 0 || advance < least || advance > most || a_pointer - 1 > length) {
    p.push_back("Timestamp (flags " + std::to_string(q_flags) + ") pointer went from " + std::to_string(q_pointer) +
                " to " + std::to_string(a_pointer) + " (length " + std::to_string(length) + ")");
    return;
  }
  for (std::size_t k = q_pointer - 1; k < a_pointer - 1; k += slot) {
    const std::size_t stamp = slot == 8 ? k + 4 : k;
    if (slot == 8) {
      expect(get32(a, ao.at + k) == kOurIp,
             "Timestamp entry at " + std::to_string(k) + " names " + ip_text(get32(a, ao.at + k)) + ", not us");
      if (q_flags == 3) expect(get32(q, qo.at + k) == kOurIp, "Timestamp: stamped where another host was prespecified");
    }
    expect(valid_timestamp(get32(a, ao.at + stamp)),
           "Timestamp value " + std::to_string(get32(a, ao.at + stamp)) + " is not ms since midnight UT");
  }
  if (q_flags == 3 && advance == 0 && q_pointer + 7 <= length) {
    expect(get32(q, qo.at + q_pointer - 1) != kOurIp, "Timestamp: our prespecified entry was left unstamped");
  }
  expect(same(a, ao.at + a_pointer - 1, q, qo.at + a_pointer - 1, length - (a_pointer - 1)),
         "Timestamp: the entries past the pointer changed");
}

}  // namespace

void check_echoed_options(const Bytes& request, const Bytes& reply, Problems& p) {
  const std::size_t q_ihl = ihl_at(request, 0), a_ihl = ihl_at(reply, 0);
  const OptionsReading q = read_options(request, 20, q_ihl), a = read_options(reply, 20, a_ihl);
  if (a.state == OptionsState::malformed) p.push_back("reply options are malformed: " + a.why);
  for (const IpOption& o : a.options) {
    if (o.type != kOptRecordRoute && o.type != kOptTimestamp) {
      p.push_back("reply carries option " + std::to_string(o.type) + " (only Record Route and Timestamp are echoed)");
    }
  }
  for (std::size_t i = a.end; i < a_ihl; ++i) {
    if (reply[i] != 0) {
      p.push_back("reply options are not padded with End of Option List");
      break;
    }
  }
  if (a_ihl > 20 && a.options.empty()) p.push_back("reply header has an options area but no option in it");
  for (const std::uint8_t type : {kOptRecordRoute, kOptTimestamp}) {
    const std::string name = type == kOptRecordRoute ? "Record Route" : "Timestamp";
    const std::optional<IpOption> qo = q.find(type), ao = a.find(type);
    if (qo && !ao) p.push_back("the request's " + name + " option is not in the reply");
    if (!qo && ao) p.push_back("reply carries a " + name + " option the request did not");
    if (!qo || !ao) continue;
    if (type == kOptRecordRoute) compare_record_route(request, *qo, reply, *ao, p);
    if (type == kOptTimestamp) compare_timestamp(request, *qo, reply, *ao, p);
  }
}

}  // namespace ministack::realworld
