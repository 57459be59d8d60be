// Least privilege after setup: once the device is open, the host side configured and the output files open,
// ministack needs no privilege at all. It changes to an unprivileged user, drops every capability and forbids
// gaining any back (no_new_privs), as tcpdump and passt do.
#pragma once

#include <stdexcept>
#include <string>

namespace ministack {

// Whom to become. `user` is a name from the password database (getpwnam); `user_given` says it came from --user,
// so failing to become it is an error rather than something to explain and go on from.
struct PrivilegeRequest {
  std::string user = "nobody";
  bool user_given = false;
  // False in a replay unless --user was given: a replay opens no device and writes files where the caller may,
  // so it keeps its user; it still loses every capability.
  bool change_user = true;
};

// What the process runs as afterwards, for the log.
struct PrivilegeState {
  unsigned uid = 0;
  unsigned gid = 0;
  std::string user;  // the name of `uid`, or its number
  std::string note;  // why the user was not changed, when it was not; empty otherwise
};

// Thrown when the request cannot be carried out; the message says what to do. The caller must exit: the process
// may be half-way (libcap-ng's advice for capng_change_id failures).
class PrivilegeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Looks up the user (before any system call filter, since NSS opens files), switches uid and gid to it with the
// supplementary groups dropped (when the request asks for a change and the process may make it), clears every
// capability set (effective, permitted, inheritable, ambient, and the bounding set where CAP_SETPCAP allows), and
// sets no_new_privs. Checks the result by reading the sets back. Throws PrivilegeError.
PrivilegeState drop_privileges(const PrivilegeRequest& request);

}  // namespace ministack
