// Feeds N copies of one ICMP echo request (DATA bytes of data, 56 by default; over IPv6, an ICMPv6 one, with a third
// argument 6) through Stack::receive, for counting instructions: time on a shared 2-core VM drifts by 30 %,
// instruction counts do not. Usage:
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null echo_instructions N [DATA [6]]
// run with N = 0 and N = 20000; (difference) / 20000 is the instructions per echo. It uses only Stack, StackConfig,
// FrameSink and Instant, so the same file builds against an older checkout for a before/after comparison.
// Exits 1 if not every request was answered.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stack/stack.hpp"

using namespace ministack;

namespace {

// RFC 1071, written out here so that the file needs nothing but Stack from the project.
std::uint16_t sum16(const std::uint8_t* p, std::size_t n) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) s += (p[i] << 8) | p[i + 1];
  if (n & 1) s += p[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s);
}
struct Null final : FrameSink {
  std::uint64_t n = 0;
  void send(Bytes f) override { n += f.size(); }
};
}
// An ICMPv6 echo request (RFC 4443 §4.1) from fd00:3::11 to fd00:3::12 in an Ethernet frame; the checksum covers the
// pseudo-header (RFC 8200 §8.1).
std::vector<std::uint8_t> echo6(std::size_t data) {
  std::vector<std::uint8_t> f(14 + 40 + 8 + data, 0);
  const std::uint8_t dst[6] = {2, 0, 0, 0, 0, 1}, src[6] = {2, 0, 0, 0, 0, 2};
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], src, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  std::uint8_t* ip = &f[14];
  ip[0] = 0x60;
  ip[4] = static_cast<std::uint8_t>((8 + data) >> 8);
  ip[5] = static_cast<std::uint8_t>((8 + data) & 0xff);
  ip[6] = 58;
  ip[7] = 64;
  const std::uint8_t s[16] = {0xfd, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11};
  const std::uint8_t d[16] = {0xfd, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
  std::memcpy(ip + 8, s, 16);
  std::memcpy(ip + 24, d, 16);
  std::uint8_t* icmp = ip + 40;
  icmp[0] = 128;
  icmp[4] = 0x12;
  icmp[5] = 0x34;
  icmp[7] = 1;
  for (std::size_t i = 0; i < data; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  std::vector<std::uint8_t> sum(ip + 8, ip + 40);  // the pseudo-header: addresses, length, next header
  const std::size_t length = 8 + data;
  sum.insert(sum.end(), {0, 0, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), 0, 0, 0, 58});
  sum.insert(sum.end(), icmp, icmp + length);
  const std::uint16_t cc = sum16(sum.data(), sum.size());
  icmp[2] = static_cast<std::uint8_t>(cc >> 8);
  icmp[3] = static_cast<std::uint8_t>(cc & 0xff);
  return f;
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 0;
  const std::size_t data = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 56;
  const bool v6 = argc > 3 && std::atoi(argv[3]) == 6;
  std::vector<std::uint8_t> f(14 + 20 + 8 + data, 0);
  const std::uint8_t dst[6] = {2, 0, 0, 0, 0, 1}, src[6] = {2, 0, 0, 0, 0, 2};
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], src, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  std::uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[2] = static_cast<std::uint8_t>((28 + data) >> 8);
  ip[3] = static_cast<std::uint8_t>((28 + data) & 0xff);
  ip[5] = 1;
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 1;
  const std::uint8_t s[4] = {192, 168, 3, 11}, d[4] = {192, 168, 3, 12};
  std::memcpy(ip + 12, s, 4);
  std::memcpy(ip + 16, d, 4);
  const std::uint16_t hc = sum16(ip, 20);
  ip[10] = static_cast<std::uint8_t>(hc >> 8);
  ip[11] = static_cast<std::uint8_t>(hc & 0xff);
  std::uint8_t* icmp = ip + 20;
  icmp[0] = 8;
  icmp[4] = 0x12;
  icmp[5] = 0x34;
  icmp[7] = 1;
  for (std::size_t i = 0; i < data; ++i) icmp[8 + i] = static_cast<std::uint8_t>(i);
  const std::uint16_t cc = sum16(icmp, 8 + data);
  icmp[2] = static_cast<std::uint8_t>(cc >> 8);
  icmp[3] = static_cast<std::uint8_t>(cc & 0xff);
  if (v6) f = echo6(data);
  std::vector<std::uint8_t> buffer(1514);
  Stack stack(StackConfig{});
  Null sink;
  for (long i = 0; i < n; ++i) {
    std::memcpy(buffer.data(), f.data(), f.size());
    stack.receive(buffer, f.size(), Instant{}, sink);
  }
  return sink.n == static_cast<std::uint64_t>(n) * std::max<std::size_t>(f.size(), 60) ? 0 : 1;
}
