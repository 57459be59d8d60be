#include "confine.hpp"

#include <fmt/format.h>

#include "syscall_filter.hpp"

namespace ministack {

PrivilegeState confine(const PrivilegeRequest& request, Logger& log, LogLevel level, bool threads) {
  const PrivilegeState state = drop_privileges(request);
  install_syscall_filter(threads);
  log.log(level,
          "confined: running as {} (uid {}, gid {}) with no capabilities, no_new_privs, and a seccomp filter "
          "allowing {} system calls{}{}",
          state.user, state.uid, state.gid, syscall_allowlist().size(),
          threads ? fmt::format(" ({} more to start the worker threads, forbidden again once they run)",
                                thread_start_calls().size())
                  : "",
          state.note.empty() ? "" : fmt::format(" ({})", state.note));
  return state;
}

}  // namespace ministack
