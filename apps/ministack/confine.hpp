// The last step of setup, shared by the stack and the tunnel: become the unprivileged user, drop every capability,
// and forbid all but the loop's system calls (privileges.hpp, syscall_filter.hpp), with one line for the log.
#pragma once

#include "log.hpp"
#include "privileges.hpp"

namespace ministack {

// Drops privileges as `request` says and installs the system call filter (with `threads`, allowing worker threads to
// start until lock_thread_start()). Logs what it did at `level`. Throws PrivilegeError or std::runtime_error.
PrivilegeState confine(const PrivilegeRequest& request, Logger& log, LogLevel level, bool threads = false);

}  // namespace ministack
