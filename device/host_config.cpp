#include "host_config.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace ministack {

namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

std::string describe_errno(int err, const std::string& what) {
  if (err == EPERM || err == EACCES) {
    return fmt::format("{}: permission denied: run as root or with CAP_NET_ADMIN, or pass --no-host-config and "
                       "configure the host side yourself",
                       what);
  }
  return fmt::format("{}: {}", what, std::strerror(err));
}

// Sends one request and waits for the kernel's acknowledgement (NLM_F_ACK); throws on an error reply.
void transact(mnl_socket* sock, nlmsghdr* request, const std::string& what) {
  if (mnl_socket_sendto(sock, request, request->nlmsg_len) < 0) throw HostConfigError(describe_errno(errno, what));
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  const ssize_t n = mnl_socket_recvfrom(sock, reply.data(), reply.size());
  if (n < 0) throw HostConfigError(describe_errno(errno, what));
  // mnl_cb_run turns an NLMSG_ERROR with a non-zero code into -1 with errno set.
  if (mnl_cb_run(reply.data(), static_cast<std::size_t>(n), request->nlmsg_seq, mnl_socket_get_portid(sock), nullptr,
                 nullptr) < 0) {
    throw HostConfigError(describe_errno(errno, what));
  }
}

}  // namespace

void configure_host_side(const std::string& ifname, const Ipv4Interface& host) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) throw HostConfigError(fmt::format("no interface named '{}' to configure", ifname));

  Socket sock(mnl_socket_open(NETLINK_ROUTE));
  if (!sock) throw HostConfigError(describe_errno(errno, "opening a netlink socket"));
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    throw HostConfigError(describe_errno(errno, "binding the netlink socket"));
  }
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  unsigned seq = static_cast<unsigned>(::getpid());

  // ip link set dev IFNAME up
  {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq;
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = static_cast<int>(index);
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    transact(sock.get(), nlh, fmt::format("bringing {} up", ifname));
  }
  // ip addr replace HOST/PREFIX dev IFNAME
  {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    nlh->nlmsg_seq = ++seq;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = host.prefix_length;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = index;
    const std::uint32_t address = htonl(host.address.value);
    mnl_attr_put_u32(nlh, IFA_LOCAL, address);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, address);
    if (host.prefix_length < 31) mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(host.subnet_broadcast().value));
    transact(sock.get(), nlh, fmt::format("adding {} to {}", host.to_string(), ifname));
  }
}

}  // namespace ministack
