// The flood benchmark's baseline (bench/flood.sh): the least a userspace responder can do per echo. It reads a frame
// from a TUN or TAP device (IFF_NO_PI), swaps the addresses, turns an ICMP echo request into a reply by patching the
// checksum (RFC 1624) and writes it back: no stack, no checks beyond bounds. On TAP it also answers ARP requests for
// 192.168.3.12, so that the host can resolve it. Fragments of an ICMP datagram are echoed one by one (only the first
// carries the ICMP header), so the host reassembles the reply of a `ping -s 65000`.
//   bare_echo (--tun NAME | --tap NAME) [--busy-poll] [--count-file FILE]
// It counts its own system calls (reads, EAGAIN and EINTR included, and writes) and reports them as
// "reads N\nwrites M\n" on SIGUSR1 (and keeps running) and on SIGTERM or SIGINT (and exits 0): to FILE, replaced
// whole, or to stderr. --busy-poll spins on a non-blocking read instead of sleeping in it (burns a core).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

namespace {

constexpr std::array<std::uint8_t, 4> kOurIp = {192, 168, 3, 12};
constexpr std::array<std::uint8_t, 6> kOurMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr std::size_t kEthernet = 14;

// Read by the signal handler: lock-free atomics are async-signal-safe; only main() writes them.
std::atomic<std::uint64_t> g_reads{0};
std::atomic<std::uint64_t> g_writes{0};
const char* g_count_file = nullptr;
std::array<char, 4096> g_temp_file{};  // FILE.tmp, made before any signal can come

void bump(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Async-signal-safe: no stdio, no allocation.
std::size_t append_number(char* out, std::size_t at, std::uint64_t value) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out[at++] = digits[--n];
  return at;
}

void report_counts() {
  char text[96];
  std::size_t n = 0;
  for (char c : std::string_view("reads ")) text[n++] = c;
  n = append_number(text, n, g_reads.load(std::memory_order_relaxed));
  for (char c : std::string_view("\nwrites ")) text[n++] = c;
  n = append_number(text, n, g_writes.load(std::memory_order_relaxed));
  text[n++] = '\n';
  if (g_count_file == nullptr) {
    (void)!write(STDERR_FILENO, text, n);
    return;
  }
  // A temporary file renamed over FILE: a reader sees the old counts or the new, never half.
  const int fd = open(g_temp_file.data(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!write(fd, text, n);
  close(fd);
  rename(g_temp_file.data(), g_count_file);
}

void on_signal(int signal) {
  const int saved = errno;
  report_counts();
  if (signal != SIGUSR1) _exit(0);
  errno = saved;
}

std::uint16_t read16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
void write16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for the 16-bit word holding type and code.
std::uint16_t patch_checksum(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word) {
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~old_word);
  sum += new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

void swap_bytes(std::uint8_t* a, std::uint8_t* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::swap(a[i], b[i]);
}

// An IPv4 packet at p (length bytes): the reply's length, or 0 when it is not ICMP to us.
std::size_t echo_ipv4(std::uint8_t* p, std::size_t length) {
  if (length < 20 || (p[0] >> 4) != 4 || p[9] != 1) return 0;
  const std::size_t header = (p[0] & 0x0fU) * 4U;
  const std::size_t total = read16(p + 2);
  if (header < 20 || total < header || total > length || std::memcmp(p + 16, kOurIp.data(), 4) != 0) return 0;
  if ((read16(p + 6) & 0x1fffU) == 0) {  // the first (or only) fragment carries the ICMP header
    std::uint8_t* icmp = p + header;
    if (total < header + 8 || icmp[0] != 8 || icmp[1] != 0) return 0;
    icmp[0] = 0;
    write16(icmp + 2, patch_checksum(read16(icmp + 2), 0x0800, 0x0000));
  }
  swap_bytes(p + 12, p + 16, 4);  // the IP header checksum does not change when its words trade places
  return total;
}

// An ARP request for our address, turned into the reply in place: its length, or 0.
std::size_t answer_arp(std::uint8_t* frame, std::size_t length) {
  std::uint8_t* arp = frame + kEthernet;
  if (length < kEthernet + 28 || read16(arp) != 1 || read16(arp + 2) != 0x0800 || arp[4] != 6 || arp[5] != 4 ||
      read16(arp + 6) != 1 || std::memcmp(arp + 24, kOurIp.data(), 4) != 0)
    return 0;
  write16(arp + 6, 2);
  std::memcpy(arp + 18, arp + 8, 10);  // target = the requester's MAC and IP
  std::memcpy(arp + 8, kOurMac.data(), 6);
  std::memcpy(arp + 14, kOurIp.data(), 4);
  std::memcpy(frame, arp + 18, 6);
  std::memcpy(frame + 6, kOurMac.data(), 6);
  return kEthernet + 28;
}

std::size_t reply(std::uint8_t* frame, std::size_t length, bool tap) {
  if (!tap) return echo_ipv4(frame, length);
  if (length < kEthernet) return 0;
  const std::uint16_t type = read16(frame + 12);
  if (type == 0x0806) return answer_arp(frame, length);
  if (type != 0x0800) return 0;
  const std::size_t ip = echo_ipv4(frame + kEthernet, length - kEthernet);
  if (ip == 0) return 0;
  swap_bytes(frame, frame + 6, 6);
  return kEthernet + ip;
}

int open_device(const char* name, bool tap) {
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  ifreq request{};
  request.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void install_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int blocked : {SIGUSR1, SIGTERM, SIGINT}) sigaddset(&action.sa_mask, blocked);  // one report at a time
  action.sa_flags = SA_RESTART;  // a SIGUSR1 report does not disturb the loop
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

// The loop: returns only on an error (a signal ends the process in its handler).
int echo_forever(int fd, bool tap) {
  // The largest frame a device delivers: 65535 bytes of IP plus an Ethernet header.
  static std::array<std::uint8_t, 65535 + kEthernet> frame;
  for (;;) {
    bump(g_reads);
    const ssize_t got = read(fd, frame.data(), frame.size());
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      std::fprintf(stderr, "bare_echo: read: %s\n", std::strerror(errno));
      return 1;
    }
    const std::size_t out = reply(frame.data(), static_cast<std::size_t>(got), tap);
    if (out == 0) continue;
    bump(g_writes);
    if (write(fd, frame.data(), out) < 0 && errno != EINTR) {
      std::fprintf(stderr, "bare_echo: write: %s\n", std::strerror(errno));
      return 1;
    }
  }
}

int usage() {
  std::fputs("usage: bare_echo (--tun NAME | --tap NAME) [--busy-poll] [--count-file FILE]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* name = nullptr;
  bool tap = false, busy_poll = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--tun" || arg == "--tap") && i + 1 < argc) {
      tap = arg == "--tap";
      name = argv[++i];
    } else if (arg == "--count-file" && i + 1 < argc) {
      g_count_file = argv[++i];
    } else if (arg == "--busy-poll") {
      busy_poll = true;
    } else {
      return usage();
    }
  }
  if (name == nullptr) return usage();
  const int fd = open_device(name, tap);
  if (fd < 0) {
    std::fprintf(stderr, "bare_echo: cannot open %s: %s\n", name, std::strerror(errno));
    return 1;
  }
  if (busy_poll && fcntl(fd, F_SETFL, O_NONBLOCK) < 0) return 1;
  if (g_count_file != nullptr && std::snprintf(g_temp_file.data(), g_temp_file.size(), "%s.tmp", g_count_file) >=
                                     static_cast<int>(g_temp_file.size()))
    return usage();
  install_handlers();
  std::fprintf(stderr, "bare_echo: echoing on %s (%s%s)\n", name, tap ? "TAP" : "TUN", busy_poll ? ", busy-poll" : "");
  return echo_forever(fd, tap);
}
