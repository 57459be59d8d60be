// Follows one network interface through rtnetlink (RTNLGRP_LINK, RFC 3549): its MTU and name as the host changes
// them (`ip link set DEV mtu N`), and its removal (`ip link del DEV`). The socket is opened and subscribed at start,
// while ministack may still open sockets; afterwards it is only read (recvfrom), and written (sendto) to ask for the
// link's state again if the kernel dropped events (ENOBUFS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;

namespace ministack {

class LinkMonitor {
 public:
  // What the kernel last said about the link.
  struct State {
    std::size_t mtu = 0;   // bytes
    std::string name;      // the interface's name now
    bool removed = false;  // the link is gone (RTM_DELLINK, or ENODEV when asked)
  };

  // Subscribes to link events, then asks for the state of the interface named `name` and waits for the answer, so no
  // change made after this returns is missed; from then on it follows the interface by its index, whatever its name.
  // Throws DeviceError if netlink cannot be opened or answers with an error other than "no such device" (which
  // leaves state().removed set).
  explicit LinkMonitor(const std::string& name);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  // The descriptor to poll for POLLIN.
  int fd() const;
  // Reads every message waiting, without blocking, and applies those about our interface to state(). Throws
  // DeviceError if the socket fails.
  void update();
  const State& state() const { return state_; }
  // The recvfrom and sendto calls update() has made, for the count of system calls per reply.
  std::uint64_t system_calls() const { return system_calls_; }

 private:
  struct Closer {
    void operator()(mnl_socket* s) const;
  };
  void request_state();
  // Applies the messages in buffer_[0, length) about our interface to state_.
  void apply(std::size_t length);

  unsigned ifindex_;
  State state_;
  std::unique_ptr<mnl_socket, Closer> socket_;
  std::vector<char> buffer_;
  unsigned seq_ = 0;
  std::uint64_t system_calls_ = 0;
  bool resync_ = false;  // events were lost: ask for the link's state once the queue is drained
};

}  // namespace ministack
