// Trips ministack's system call filter on purpose: confines itself exactly as ministack does after setup, then makes
// one call the allowlist leaves out. Run by tests/e2e/seccomp_e2e.sh, which expects death by SIGSYS and a message
// naming the call.
// Usage: seccomp_probe socket|execve|thread|allowed
// (thread: confined as ministack --queues N is, starts a thread, forbids thread starts as ministack does once its
// workers run, then starts another.)
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

#include "apps/ministack/privileges.hpp"
#include "apps/ministack/syscall_filter.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seccomp_probe socket|execve|thread|allowed\n");
    return 2;
  }
  try {
    ministack::PrivilegeRequest request;
    request.change_user = ::geteuid() == 0;
    ministack::drop_privileges(request);
    ministack::install_syscall_filter(std::strcmp(argv[1], "thread") == 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seccomp_probe: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "seccomp_probe: confined, now calling %s\n", argv[1]);
  if (std::strcmp(argv[1], "socket") == 0) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    std::fprintf(stderr, "seccomp_probe: socket() returned %d: the filter let it through\n", fd);
  } else if (std::strcmp(argv[1], "execve") == 0) {
    char* const args[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execv("/bin/true", args);
    std::fprintf(stderr, "seccomp_probe: execve() returned: the filter let it through\n");
  } else if (std::strcmp(argv[1], "thread") == 0) {
    std::thread([] { std::fprintf(stderr, "seccomp_probe: a worker thread started\n"); }).join();
    try {
      ministack::lock_thread_start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "seccomp_probe: %s\n", e.what());
      return 1;
    }
    std::fprintf(stderr, "seccomp_probe: thread starts forbidden, starting another\n");
    std::thread([] {}).join();
    std::fprintf(stderr, "seccomp_probe: a thread started after the lock: the filter let it through\n");
  } else {
    // Only allowed calls: write to stderr and exit normally.
    std::fprintf(stderr, "seccomp_probe: only allowed calls made\n");
    return 0;
  }
  return 3;
}
