#include "host_config.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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

// `setup_once` is the iproute2 commands that would do the job, for the advice when permission is denied.
std::string describe_errno(int err, const std::string& what, const std::string& setup_once = "") {
  if (err == EPERM || err == EACCES) {
    return fmt::format("{}: permission denied (changing a link needs CAP_NET_ADMIN): run as root, or pass "
                       "--no-host-config and configure the host side yourself{}",
                       what,
                       setup_once.empty() ? ""
                                          : fmt::format(", or have root do it once ({}); ministack then finds it "
                                                        "done and changes nothing",
                                                        setup_once));
  }
  return fmt::format("{}: {}", what, std::strerror(err));
}

// Sends one request and waits for the kernel's acknowledgement (NLM_F_ACK); throws on an error reply.
void transact(mnl_socket* sock, nlmsghdr* request, const std::string& what, const std::string& setup_once) {
  if (mnl_socket_sendto(sock, request, request->nlmsg_len) < 0) {
    throw HostConfigError(describe_errno(errno, what, setup_once));
  }
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  const ssize_t n = mnl_socket_recvfrom(sock, reply.data(), reply.size());
  if (n < 0) throw HostConfigError(describe_errno(errno, what, setup_once));
  // mnl_cb_run turns an NLMSG_ERROR with a non-zero code into -1 with errno set.
  if (mnl_cb_run(reply.data(), static_cast<std::size_t>(n), request->nlmsg_seq, mnl_socket_get_portid(sock), nullptr,
                 nullptr) < 0) {
    throw HostConfigError(describe_errno(errno, what, setup_once));
  }
}

Socket open_bound_socket() {
  Socket sock(mnl_socket_open(NETLINK_ROUTE));
  if (!sock) throw HostConfigError(describe_errno(errno, "opening a netlink socket"));
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    throw HostConfigError(describe_errno(errno, "binding the netlink socket"));
  }
  return sock;
}

// What a query looks for, filled in by the callbacks below.
struct Query {
  int index = 0;
  const Ipv4Interface* host = nullptr;
  bool up = false;
  bool has_address = false;
};

int on_link(const nlmsghdr* nlh, void* data) {
  auto* query = static_cast<Query*>(data);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifm->ifi_index == query->index) query->up = (ifm->ifi_flags & IFF_UP) != 0;
  return MNL_CB_OK;
}

int on_address_attribute(const nlattr* attr, void* data) {
  auto* query = static_cast<Query*>(data);
  if (mnl_attr_get_type(attr) == IFA_LOCAL && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0 &&
      ntohl(mnl_attr_get_u32(attr)) == query->host->address.value) {
    query->has_address = true;
  }
  return MNL_CB_OK;
}

int on_address(const nlmsghdr* nlh, void* data) {
  auto* query = static_cast<Query*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != query->index || ifa->ifa_family != AF_INET ||
      ifa->ifa_prefixlen != query->host->prefix_length) {
    return MNL_CB_OK;
  }
  return mnl_attr_parse(nlh, sizeof(*ifa), on_address_attribute, query);
}

// A GET request for `query.index`'s link (RTM_GETLINK) or a dump of every IPv4 address (RTM_GETADDR), in `buf`.
nlmsghdr* put_request(std::vector<char>& buf, std::uint16_t type, unsigned seq, const Query& query) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_seq = seq;
  if (type == RTM_GETLINK) {
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = query.index;
  } else {
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_INET;
  }
  return nlh;
}

// Sends the request and runs `callback` on every reply until the kernel says it is done (NLMSG_DONE or the ACK).
void ask(mnl_socket* sock, std::uint16_t type, unsigned seq, mnl_cb_t callback, Query& query, const std::string& what) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  const nlmsghdr* nlh = put_request(buf, type, seq, query);
  if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) throw HostConfigError(describe_errno(errno, what));
  const unsigned portid = mnl_socket_get_portid(sock);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
    if (n < 0) throw HostConfigError(describe_errno(errno, what));
    const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, callback, &query);
    if (rc < 0) throw HostConfigError(describe_errno(errno, what));
    if (rc == MNL_CB_STOP) return;
  }
}

}  // namespace

bool host_side_configured(const std::string& ifname, const Ipv4Interface& host) {
  Query query;
  query.index = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (query.index == 0) return false;
  query.host = &host;
  Socket sock = open_bound_socket();
  const unsigned seq = static_cast<unsigned>(::getpid());
  // RTM_GETLINK for one index answers with the link message and no NLMSG_DONE: mnl_cb_run stops at the ACK.
  ask(sock.get(), RTM_GETLINK, seq, on_link, query, fmt::format("asking the kernel about {}", ifname));
  if (!query.up) return false;
  ask(sock.get(), RTM_GETADDR, seq + 1, on_address, query, fmt::format("asking the kernel for {}'s addresses", ifname));
  return query.has_address;
}

void configure_host_side(const std::string& ifname, const Ipv4Interface& host) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) throw HostConfigError(fmt::format("no interface named '{}' to configure", ifname));

  Socket sock = open_bound_socket();
  const std::string setup_once =
      fmt::format("ip addr add {1} dev {0}; ip link set dev {0} up", ifname, host.to_string());
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
    transact(sock.get(), nlh, fmt::format("bringing {} up", ifname), setup_once);
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
    transact(sock.get(), nlh, fmt::format("adding {} to {}", host.to_string(), ifname), setup_once);
  }
}

}  // namespace ministack
