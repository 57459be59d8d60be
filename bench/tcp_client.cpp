// The TCP echo benchmark's client (bench/tcp_echo.sh): two measurements against an echo service (RFC 862).
//   tcp_client bulk HOST PORT BYTES [--timeout SECONDS]
//     One connection: BYTES of random data sent while the echo is read back, concurrently (one thread, non-blocking,
//     poll). Time from the first byte written to the last byte read back; then our FIN, and the peer's FIN must
//     follow with nothing more. Every byte read is compared with the byte sent at that offset.
//     Prints "bulk bytes N seconds S MB/s X" (MB = 10^6 bytes of echo read back).
//   tcp_client rate HOST PORT COUNT [--bytes B] [--timeout SECONDS]
//     COUNT connections, one after another: connect, write B bytes (default 16), read them back and compare, our
//     FIN, the peer's FIN (read returns 0), close. The time of all of them.
//     Prints "rate connections N seconds S per_second X".
// Exit 0 when everything came back byte-exact, 1 otherwise (with what went wrong on stderr), 2 on bad arguments.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "tcp_client: %s\n", what.c_str());
  std::exit(1);
}
[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int connect_to(const sockaddr_in& to, int timeout_s) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_errno("socket");
  const timeval tv{timeout_s, 0};  // bounds a blocking connect, read and write
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) fail_errno("connect");
  return fd;
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  std::mt19937_64 random(0x6d696e69737461ULL);
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t r = random();
    std::memcpy(bytes.data() + i, &r, std::min<std::size_t>(8, n - i));
  }
  return bytes;
}

// One non-blocking read of the echo, compared with what was sent at that offset; returns the bytes read (0: none
// yet).
std::size_t read_echo(int fd, std::vector<std::uint8_t>& buffer, const std::vector<std::uint8_t>& sent,
                      std::size_t received, std::size_t written) {
  const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
  if (n == 0) fail("bulk: the peer closed after " + std::to_string(received) + " of " + std::to_string(sent.size()));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return 0;
    fail_errno("recv after " + std::to_string(received) + " bytes");
  }
  const auto got = static_cast<std::size_t>(n);
  if (received + got > written) fail("bulk: more bytes echoed than sent");
  if (std::memcmp(buffer.data(), sent.data() + received, got) != 0) {
    std::size_t at = 0;
    while (buffer[at] == sent[received + at]) ++at;
    fail("bulk: byte " + std::to_string(received + at) + " came back different");
  }
  return got;
}

// After our FIN: the echo's FIN must follow, with no byte before it.
void expect_fin(int fd, std::vector<std::uint8_t>& buffer, Clock::time_point deadline) {
  for (;;) {
    if (Clock::now() > deadline) fail("no FIN from the peer after ours");
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) < 0 && errno != EINTR) fail_errno("poll");
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n == 0) return;
    if (n > 0) fail("bytes after the echo");
    if (errno != EAGAIN && errno != EINTR) fail_errno("recv of the FIN");
  }
}

// Bulk: write and read at once (one thread, poll), so the echo never waits for us to read.
void bulk(const sockaddr_in& to, std::size_t bytes, int timeout_s) {
  const std::vector<std::uint8_t> sent = random_bytes(bytes);
  std::vector<std::uint8_t> buffer(256 * 1024);
  const int fd = connect_to(to, timeout_s);
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) fail_errno("fcntl");
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(timeout_s);
  std::size_t written = 0, received = 0;
  while (received < bytes) {
    if (Clock::now() > deadline) {
      fail("bulk: timed out after " + std::to_string(timeout_s) + " s: " + std::to_string(written) + " bytes sent, " +
           std::to_string(received) + " read back");
    }
    pollfd p{fd, static_cast<short>(POLLIN | (written < bytes ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 1000) < 0) {
      if (errno == EINTR) continue;
      fail_errno("poll");
    }
    if ((p.revents & POLLOUT) != 0 && written < bytes) {
      const ssize_t n = send(fd, sent.data() + written, bytes - written, MSG_NOSIGNAL);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        fail_errno("send after " + std::to_string(written) + " bytes");
      }
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) received += read_echo(fd, buffer, sent, received, written);
  }
  const double elapsed = seconds_since(start);
  if (shutdown(fd, SHUT_WR) != 0) fail_errno("shutdown");
  expect_fin(fd, buffer, Clock::now() + std::chrono::seconds(10));
  close(fd);
  std::printf("bulk bytes %zu seconds %.6f MB/s %.2f\n", bytes, elapsed, static_cast<double>(bytes) / elapsed / 1e6);
}

// Reads exactly `length` bytes (blocking, bounded by SO_RCVTIMEO).
void read_exactly(int fd, std::uint8_t* to, std::size_t length, std::size_t connection) {
  std::size_t got = 0;
  while (got < length) {
    const ssize_t n = recv(fd, to + got, length - got, 0);
    if (n == 0) fail("rate: connection " + std::to_string(connection) + ": closed before its echo came back");
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("rate: connection " + std::to_string(connection) + ": recv");
    }
    got += static_cast<std::size_t>(n);
  }
}

void rate(const sockaddr_in& to, std::size_t count, std::size_t bytes, int timeout_s) {
  std::vector<std::uint8_t> message(bytes), echo(bytes + 1);
  for (std::size_t i = 0; i < bytes; ++i) message[i] = static_cast<std::uint8_t>('a' + i % 26);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = connect_to(to, timeout_s);
    if (send(fd, message.data(), bytes, MSG_NOSIGNAL) != static_cast<ssize_t>(bytes)) fail_errno("rate: send");
    read_exactly(fd, echo.data(), bytes, i);
    if (std::memcmp(echo.data(), message.data(), bytes) != 0) {
      fail("rate: connection " + std::to_string(i) + ": the echo differs");
    }
    if (shutdown(fd, SHUT_WR) != 0) fail_errno("rate: shutdown");
    expect_fin(fd, echo, Clock::now() + std::chrono::seconds(timeout_s));
    close(fd);
  }
  const double elapsed = seconds_since(start);
  std::printf("rate connections %zu seconds %.6f per_second %.1f\n", count, elapsed,
              static_cast<double>(count) / elapsed);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: tcp_client bulk HOST PORT BYTES [--timeout SECONDS]\n"
                       "       tcp_client rate HOST PORT COUNT [--bytes B] [--timeout SECONDS]\n");
  std::exit(2);
}

std::size_t number(const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') usage();
  return static_cast<std::size_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) usage();
  const std::string_view mode = argv[1];
  sockaddr_in to{};
  to.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) usage();
  const std::size_t port = number(argv[3]);
  if (port == 0 || port > 65535) usage();
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  const std::size_t amount = number(argv[4]);
  std::size_t bytes = 16;
  int timeout_s = 60;
  for (int i = 5; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) usage();
    if (option == "--bytes") {
      bytes = number(argv[++i]);
    } else if (option == "--timeout") {
      timeout_s = static_cast<int>(number(argv[++i]));
    } else {
      usage();
    }
  }
  if (amount == 0 || bytes == 0 || timeout_s <= 0) usage();
  if (mode == "bulk") {
    bulk(to, amount, timeout_s);
  } else if (mode == "rate") {
    rate(to, amount, bytes, timeout_s);
  } else {
    usage();
  }
  return 0;
}
