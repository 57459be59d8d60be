// The system calls ministack may make once it is set up: a seccomp allowlist (libseccomp), so that whatever a
// hostile frame might make the process do, it cannot open a socket, run a program or change the network.
#pragma once

#include <string>

#include <span>
#include <stdexcept>

namespace ministack {

// One allowed system call and why the loop needs it (the note on issue 9 and the README list them).
struct AllowedSyscall {
  const char* name;  // as libseccomp and strace name it, e.g. "read"
  const char* why;
};

// The allowlist. mmap and mprotect are allowed only without PROT_EXEC, ioctl only as TCGETS (isatty).
std::span<const AllowedSyscall> syscall_allowlist();

class SyscallFilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The calls that starting the worker threads of --queues N needs beyond the allowlist: allowed by the filter until
// lock_thread_start() forbids them again, before the first frame.
std::span<const AllowedSyscall> thread_start_calls();

// Installs the filter for this process, for good (seccomp(2) filters cannot be removed). Any other call raises
// SIGSYS, whose handler prints "ministack: ... system call NAME (NUMBER) ..." on stderr and lets SIGSYS kill the
// process. With `threads`, thread_start_calls() are allowed too, until lock_thread_start(). Needs no_new_privs or
// CAP_SYS_ADMIN (drop_privileges sets the former). Throws SyscallFilterError.
void install_syscall_filter(bool threads = false);

// Once the worker threads run: a second filter, on every thread (SECCOMP_FILTER_FLAG_TSYNC), that traps
// thread_start_calls() again. Throws SyscallFilterError.
void lock_thread_start();

// The version of the libseccomp ministack runs with ("2.5.4").
std::string seccomp_library_version();

}  // namespace ministack
