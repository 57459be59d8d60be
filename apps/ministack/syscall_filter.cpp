#include "syscall_filter.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace ministack {

namespace {

constexpr AllowedSyscall kAllowed[] = {
    {"read", "frames from the device; the capture, in a replay"},
    {"write", "frames to the device; the pcap, the JSON counters, the log"},
    {"poll", "waiting for a frame when a read found none, at most 200 ms at a time"},
    {"ppoll", "the same, where glibc implements poll() with it"},
    {"io_uring_enter",
     "--io uring: submit replies and wait for frames on the ring set up before (it may only read and write the device "
     "and poll the netlink socket: IORING_REGISTER_RESTRICTIONS)"},
    {"recvfrom", "rtnetlink messages: the device's MTU changing, the device removed (device/link_monitor.cpp)"},
    {"sendto",
     "asking rtnetlink about the device again after missed events (a query: unprivileged, it may change nothing); "
     "datagrams to the peer (ministack tunnel, --udp-listen)"},
    {"recvmsg",
     "datagrams from the peer, with the kernel's count of those it dropped (ministack tunnel, --udp-listen)"},
    {"getrusage", "busy-polling: whether the scheduler preempted the spin (RUSAGE_THREAD), then it stops spinning"},
    {"restart_syscall", "the kernel resumes an interrupted poll() with it (after SIGSTOP and SIGCONT)"},
    {"openat", "the JSON counters: a temporary file beside the target, then rename"},
    {"fsync", "the JSON counters: on disk before they replace the old file"},
    {"rename", "the JSON counters: replace the old file whole, so a reader never sees half of one"},
    {"renameat", "the same, where glibc implements rename() with it"},
    {"renameat2", "the same, where glibc implements rename() with it"},
    {"unlink", "the JSON counters: remove the temporary file when a write fails"},
    {"close", "the JSON temporary file; the device and files at exit"},
    {"fstat", "stdio, the first time it writes to stdout or a file"},
    {"newfstatat", "the same, where glibc implements fstat() with it"},
    {"ioctl", "TCGETS only: glibc asks whether stdout is a terminal (isatty) the first time it writes to a character "
              "device such as /dev/null"},
    {"lseek", "stdio and libpcap, finding their place in a file"},
    {"getpid", "the JSON temporary file's name; raise() when the filter trips"},
    {"gettid", "raise() when the filter trips"},
    {"tgkill", "raise() when the filter trips, so that SIGSYS ends the process"},
    {"rt_sigprocmask", "raise() blocks signals around tgkill"},
    {"rt_sigreturn", "returning from the SIGINT, SIGTERM, SIGHUP and SIGUSR1 handlers"},
    {"clock_gettime", "the stack's clock (the vDSO answers it without a system call where it can)"},
    {"gettimeofday", "the same, for the wall-clock time of captured frames"},
    {"brk", "memory allocation (malloc)"},
    {"mmap", "memory allocation (malloc); never with PROT_EXEC"},
    {"munmap", "memory allocation (free)"},
    {"mremap", "memory allocation (realloc)"},
    {"madvise", "memory allocation (free returning pages)"},
    {"mprotect", "memory allocation; never with PROT_EXEC"},
    {"futex", "the locks of stdio and malloc"},
    {"exit", "ending a thread"},
    {"exit_group", "ending the process"},
};

// pthread_create() and a new thread's start in glibc 2.36; clone only for threads (CLONE_THREAD), clone3's flags are
// in memory, out of a filter's reach: which is why all of them are forbidden again before the first frame.
constexpr AllowedSyscall kThreadStart[] = {
    {"clone3", "--queues N: starting a worker thread"},
    {"clone", "the same, where clone3 is missing; only with CLONE_THREAD"},
    {"set_robust_list", "a new thread registers its robust futex list"},
    {"rseq", "a new thread registers its restartable sequences area"},
    {"sched_yield", "waiting for the workers to start (std::latch yields before it sleeps)"},
    {"rt_sigaction", "glibc sets its thread-cancellation signal's handler at the first pthread_create"},
    {"seccomp", "loading the second filter, which forbids these calls again once the workers run"},
};

// The sanitizer builds, which the test suite also runs, need a little more.
#if defined(__SANITIZE_ADDRESS__)
#define MINISTACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MINISTACK_ASAN 1
#endif
#endif
#ifdef MINISTACK_ASAN
// UndefinedBehaviorSanitizer's vptr check tests whether memory is readable by writing it into a pipe;
// AddressSanitizer asks for the alternate signal stack when an exception is thrown (__asan_handle_no_return).
constexpr const char* kSanitizerExtras[] = {"pipe2", "sigaltstack"};
// And AddressSanitizer's thread start reads the CPU set (until lock_thread_start, like the other thread calls).
constexpr const char* kSanitizerThreadExtras[] = {"sched_getaffinity"};
#endif

#ifdef MINISTACK_ASAN
// LeakSanitizer's exit check stops the world with a ptrace()ing thread, which a process that changed user and
// dropped its capabilities may not do: it would wait forever. So a filtered process skips it (the unit and replay
// tests, which run unconfined, still check for leaks); AddressSanitizer's other checks stay on.
bool g_filtered = false;
extern "C" int __lsan_is_turned_off() { return g_filtered ? 1 : 0; }
#endif

// Names of system calls by number, filled in before the filter is loaded: the SIGSYS handler may not allocate.
constexpr int kNamedCalls = 512;
std::array<std::array<char, 32>, kNamedCalls> g_names{};

void append(char* line, std::size_t& used, std::size_t size, const char* text) {
  while (*text && used + 1 < size) line[used++] = *text++;
}

void on_forbidden_call(int, siginfo_t* info, void*) {
  const int number = info->si_syscall;
  char digits[12] = {};
  int n = number < 0 ? 0 : number, i = 10;
  do digits[i--] = static_cast<char>('0' + n % 10), n /= 10;
  while (n && i >= 0);
  char line[512];
  std::size_t used = 0;
  append(line, used, sizeof line, "ministack: the seccomp filter stopped system call ");
  append(line, used, sizeof line,
         number >= 0 && number < kNamedCalls && g_names[static_cast<std::size_t>(number)][0]
             ? g_names[static_cast<std::size_t>(number)].data()
             : "?");
  append(line, used, sizeof line, " (");
  append(line, used, sizeof line, digits + i + 1);
  append(line, used, sizeof line,
         "), which ministack should not make after setup: this is a bug, please report it. Exiting.\n");
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line, used);
  // SA_RESETHAND has made SIGSYS's action the default again: raising it ends the process, as SIGSYS should.
  std::raise(SIGSYS);
}

void name_calls() {
  for (int number = 0; number < kNamedCalls; ++number) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number);
    if (!name) continue;
    std::strncpy(g_names[static_cast<std::size_t>(number)].data(), name, g_names[0].size() - 1);
    std::free(name);
  }
}

struct ContextReleaser {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

void allow(scmp_filter_ctx ctx, const char* name) {
  const int number = seccomp_syscall_resolve_name(name);
  if (number == __NR_SCMP_ERROR) return;  // not a call on this architecture (poll on arm64, for one)
  int rc = 0;
  if (std::strcmp(name, "ioctl") == 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, number, 1, SCMP_A1(SCMP_CMP_EQ, TCGETS));
  } else if (std::strcmp(name, "clone") == 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, number, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  } else if (std::strcmp(name, "mmap") == 0 || std::strcmp(name, "mprotect") == 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, number, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  } else {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, number, 0);
  }
  if (rc < 0) throw SyscallFilterError(fmt::format("seccomp: cannot allow {}: {}", name, std::strerror(-rc)));
}

}  // namespace

std::span<const AllowedSyscall> syscall_allowlist() { return kAllowed; }

std::string seccomp_library_version() {
  const scmp_version* v = seccomp_version();
  return v ? fmt::format("{}.{}.{}", v->major, v->minor, v->micro) : "unknown";
}
std::span<const AllowedSyscall> thread_start_calls() { return kThreadStart; }

void install_syscall_filter(bool threads) {
  name_calls();
  struct sigaction sa {};
  sa.sa_sigaction = on_forbidden_call;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  if (::sigaction(SIGSYS, &sa, nullptr) != 0) {
    throw SyscallFilterError(fmt::format("seccomp: cannot handle SIGSYS: {}", std::strerror(errno)));
  }

  std::unique_ptr<void, ContextReleaser> ctx(seccomp_init(SCMP_ACT_TRAP));
  if (!ctx) throw SyscallFilterError("seccomp: cannot create a filter (is libseccomp working?)");
  for (const AllowedSyscall& call : kAllowed) allow(ctx.get(), call.name);
  if (threads) {
    for (const AllowedSyscall& call : kThreadStart) allow(ctx.get(), call.name);
  }
#ifdef MINISTACK_ASAN
  for (const char* name : kSanitizerExtras) allow(ctx.get(), name);
  if (threads) {
    for (const char* name : kSanitizerThreadExtras) allow(ctx.get(), name);
  }
#endif
#ifdef MINISTACK_ASAN
  g_filtered = true;
#endif
  if (const int rc = seccomp_load(ctx.get()); rc < 0) {
    throw SyscallFilterError(fmt::format("seccomp: cannot load the filter: {}{}", std::strerror(-rc),
                                         rc == -EINVAL ? " (is the kernel built with CONFIG_SECCOMP_FILTER?)" : ""));
  }
}

void lock_thread_start() {
  std::unique_ptr<void, ContextReleaser> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw SyscallFilterError("seccomp: cannot create a filter (is libseccomp working?)");
  // no_new_privs is set already (drop_privileges): libseccomp need not set it again with prctl, which is forbidden.
  // Every thread gets the filter, not only the caller (filters are per thread, inherited at clone).
  if (const int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0) {
    throw SyscallFilterError(fmt::format("seccomp: cannot leave no_new_privs as it is: {}", std::strerror(-rc)));
  }
  if (const int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc < 0) {
    throw SyscallFilterError(fmt::format("seccomp: cannot ask for thread synchronisation: {}", std::strerror(-rc)));
  }
  for (const AllowedSyscall& call : kThreadStart) {
    const int number = seccomp_syscall_resolve_name(call.name);
    if (number == __NR_SCMP_ERROR) continue;
    if (const int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRAP, number, 0); rc < 0) {
      throw SyscallFilterError(fmt::format("seccomp: cannot forbid {}: {}", call.name, std::strerror(-rc)));
    }
  }
  if (const int rc = seccomp_load(ctx.get()); rc < 0) {
    throw SyscallFilterError(fmt::format("seccomp: cannot load the second filter: {}", std::strerror(-rc)));
  }
}

}  // namespace ministack
