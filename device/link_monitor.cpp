#include "link_monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "device.hpp"

namespace ministack {

namespace {

// Large enough for any RTM_NEWLINK (its statistics and nested attributes run to a few KiB); a larger message is
// cut (MSG_TRUNC) and the state asked for again.
constexpr std::size_t kBufferSize = 32 * 1024;

struct Attributes {
  const nlattr* mtu = nullptr;
  const nlattr* name = nullptr;
};

// Keeps IFLA_MTU and IFLA_IFNAME, each only if its length suits its type (mnl_attr_validate).
int keep_attribute(const nlattr* attr, void* data) {
  auto* out = static_cast<Attributes*>(data);
  switch (mnl_attr_get_type(attr)) {
    case IFLA_MTU:
      if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) out->mtu = attr;
      break;
    case IFLA_IFNAME:
      if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) out->name = attr;
      break;
    default: break;
  }
  return MNL_CB_OK;
}

struct Context {
  unsigned ifindex;
  LinkMonitor::State* state;
};

int on_message(const nlmsghdr* nlh, void* data) {
  const auto* context = static_cast<const Context*>(data);
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return MNL_CB_OK;  // not a whole link message
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifm->ifi_index < 0 || static_cast<unsigned>(ifm->ifi_index) != context->ifindex) return MNL_CB_OK;
  if (nlh->nlmsg_type == RTM_DELLINK) {
    context->state->removed = true;
    return MNL_CB_OK;
  }
  Attributes attributes;
  if (mnl_attr_parse(nlh, sizeof(ifinfomsg), keep_attribute, &attributes) != MNL_CB_OK) return MNL_CB_OK;
  if (attributes.mtu && mnl_attr_get_u32(attributes.mtu) > 0) context->state->mtu = mnl_attr_get_u32(attributes.mtu);
  if (attributes.name) context->state->name = mnl_attr_get_str(attributes.name);
  return MNL_CB_OK;
}

}  // namespace

void LinkMonitor::Closer::operator()(mnl_socket* s) const { mnl_socket_close(s); }

LinkMonitor::LinkMonitor(const std::string& name)
    : ifindex_(if_nametoindex(name.c_str())), state_{0, name, false}, buffer_(kBufferSize) {
  if (ifindex_ == 0) throw DeviceError(fmt::format("{} was removed", name));
  socket_.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!socket_)
    throw DeviceError(fmt::format("cannot open a netlink socket to follow {}: {}", name, std::strerror(errno)));
  if (mnl_socket_bind(socket_.get(), RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
    throw DeviceError(fmt::format("cannot subscribe to link events for {}: {}", name, std::strerror(errno)));
  }
  // Subscribed first, then asked: a change between the two is seen either in the answer or as an event.
  request_state();
  while (state_.mtu == 0 && !state_.removed) {
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), buffer_.data(), buffer_.size());
    if (n < 0) throw DeviceError(fmt::format("reading {}'s state from netlink: {}", name, std::strerror(errno)));
    apply(static_cast<std::size_t>(n));
  }
}

LinkMonitor::~LinkMonitor() = default;

int LinkMonitor::fd() const { return mnl_socket_get_fd(socket_.get()); }

void LinkMonitor::request_state() {
  alignas(nlmsghdr) std::array<char, 256> request{};  // a header and an ifinfomsg
  nlmsghdr* nlh = mnl_nlmsg_put_header(request.data());
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = ++seq_;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = static_cast<int>(ifindex_);
  ++system_calls_;
  if (mnl_socket_sendto(socket_.get(), nlh, nlh->nlmsg_len) < 0) {
    throw DeviceError(fmt::format("asking netlink for {}'s state: {}", state_.name, std::strerror(errno)));
  }
}

void LinkMonitor::apply(std::size_t length) {
  Context context{ifindex_, &state_};
  // Sequence and port 0: every message is taken, the answer to our request and the group's events alike.
  if (mnl_cb_run(buffer_.data(), length, 0, 0, on_message, &context) < 0) {
    // An error answer to our request: no such device means it is gone.
    if (errno == ENODEV) {
      state_.removed = true;
      return;
    }
    throw DeviceError(fmt::format("netlink about {}: {}", state_.name, std::strerror(errno)));
  }
}

void LinkMonitor::update() {
  for (;;) {
    // recvfrom with MSG_DONTWAIT: the socket stays blocking for the wait at start, the loop never blocks on it.
    ++system_calls_;
    const ssize_t n = ::recvfrom(fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC, nullptr, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        // Ask only once the queue is drained: asked while it is still full, the answer would be dropped too.
        if (resync_) {
          resync_ = false;
          request_state();
        }
        return;
      }
      // The kernel dropped events for us (our buffer overflowed): ask again for the state they would have told.
      if (errno == ENOBUFS) {
        resync_ = true;
        continue;
      }
      throw DeviceError(fmt::format("reading link events for {}: {}", state_.name, std::strerror(errno)));
    }
    if (static_cast<std::size_t>(n) > buffer_.size()) {  // cut: do not parse half a message, ask again
      resync_ = true;
      continue;
    }
    apply(static_cast<std::size_t>(n));
  }
}

}  // namespace ministack
