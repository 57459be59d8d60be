#include "privileges.hpp"

#include <cap-ng.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace ministack {

namespace {

struct Target {
  uid_t uid;
  gid_t gid;
  std::string name;
};

// A user name from the password database, or a bare number (a user namespace may map ids with no name).
Target look_up(const std::string& user) {
  if (const passwd* pw = ::getpwnam(user.c_str())) return {pw->pw_uid, pw->pw_gid, pw->pw_name};
  unsigned id = 0;
  const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), id);
  // (uid_t)-1 means "leave unchanged" to setresuid(2): not a user to become.
  if (ec == std::errc{} && end == user.data() + user.size() && id != static_cast<unsigned>(-1)) {
    const passwd* pw = ::getpwuid(id);
    return {id, pw ? pw->pw_gid : id, pw ? pw->pw_name : user};
  }
  throw PrivilegeError(fmt::format(
      "--user {}: there is no such user: name an unprivileged user who exists (the default is nobody), or a number",
      user));
}

std::string name_of(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

bool has_effective(unsigned capability) { return capng_have_capability(CAPNG_EFFECTIVE, capability) != 0; }

// capng_change_id's failure codes (capng_change_id(3)), for the message.
std::string change_id_step(int rc) {
  switch (rc) {
    case -4: return "changing the group id";
    case -5: return "dropping the supplementary groups";
    case -6: return "changing the user id";
    case -8: return "clearing the bounding set";
    default: return fmt::format("libcap-ng step {}", rc);
  }
}

}  // namespace

PrivilegeState drop_privileges(const PrivilegeRequest& request) {
  capng_get_caps_process();
  std::string note;
  if (request.change_user) {
    const Target target = look_up(request.user);
    const bool same = target.uid == ::geteuid() && target.gid == ::getegid() && target.uid == ::getuid();
    const bool can_change = has_effective(CAP_SETUID) && has_effective(CAP_SETGID);
    if (same) {
      // Nothing to change.
    } else if (!can_change) {
      if (request.user_given) {
        throw PrivilegeError(fmt::format("--user {}: ministack runs as {} without CAP_SETUID, so it cannot become "
                                         "another user: start it as root, or leave out --user",
                                         request.user, name_of(::geteuid())));
      }
      note = fmt::format("the user stays: without CAP_SETUID it may not become {}", request.user);
    } else {
      capng_clear(CAPNG_SELECT_ALL);
      const int rc =
          capng_change_id(static_cast<int>(target.uid), static_cast<int>(target.gid),
                          static_cast<capng_flags_t>(CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT));
      const int err = errno;
      // EINVAL from setresgid: the id is not mapped in this user namespace (unshare -r maps only the caller).
      // Nothing has changed yet, and dropping every capability below still leaves the process without privilege.
      if (rc == -4 && err == EINVAL && !request.user_given) {
        note = fmt::format("the user stays: {} is not mapped in this user namespace", request.user);
      } else if (rc != 0) {
        throw PrivilegeError(fmt::format("cannot become user {} (uid {}, gid {}): {} failed: {}", target.name,
                                         target.uid, target.gid, change_id_step(rc), std::strerror(err)));
      }
    }
  }

  // Whatever happened above, end with every set empty. The bounding set needs CAP_SETPCAP to change; without it
  // no_new_privs below keeps it from ever mattering.
  capng_get_caps_process();
  const bool can_bound = has_effective(CAP_SETPCAP);
  capng_clear(CAPNG_SELECT_ALL);
  if (capng_apply(can_bound ? CAPNG_SELECT_ALL
                            : static_cast<capng_select_t>(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT)) != 0) {
    throw PrivilegeError(fmt::format("cannot drop capabilities: {}", std::strerror(errno)));
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    throw PrivilegeError(fmt::format("cannot set no_new_privs: {}", std::strerror(errno)));
  }

  // Trust, but verify: read the sets back from the kernel.
  capng_get_caps_process();
  if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
      (can_bound && capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)) {
    throw PrivilegeError("capabilities remain after dropping them all: refusing to go on");
  }
  return {::geteuid(), ::getegid(), name_of(::geteuid()), note};
}

}  // namespace ministack
