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
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>
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

// Sends one request and waits for the kernel's acknowledgement (NLM_F_ACK). Returns 0, or the errno of the failure
// (the kernel's error reply, or the socket's).
int request_acked(mnl_socket* sock, nlmsghdr* request) {
  if (mnl_socket_sendto(sock, request, request->nlmsg_len) < 0) return errno;
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  const ssize_t n = mnl_socket_recvfrom(sock, reply.data(), reply.size());
  if (n < 0) return errno;
  // mnl_cb_run turns an NLMSG_ERROR with a non-zero code into -1 with errno set.
  if (mnl_cb_run(reply.data(), static_cast<std::size_t>(n), request->nlmsg_seq, mnl_socket_get_portid(sock), nullptr,
                 nullptr) < 0) {
    return errno;
  }
  return 0;
}

// request_acked(), throwing HostConfigError with what to do on failure.
void transact(mnl_socket* sock, nlmsghdr* request, const std::string& what, const std::string& setup_once) {
  if (const int err = request_acked(sock, request)) throw HostConfigError(describe_errno(err, what, setup_once));
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
  const Ipv6Interface* host6 = nullptr;  // nullptr: not looked for
  bool up = false;
  bool has_address = false;
  bool has_address6 = false;
};

int on_link(const nlmsghdr* nlh, void* data) {
  auto* query = static_cast<Query*>(data);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifm->ifi_index == query->index) query->up = (ifm->ifi_flags & IFF_UP) != 0;
  return MNL_CB_OK;
}

int on_address4_attribute(const nlattr* attr, void* data) {
  auto* query = static_cast<Query*>(data);
  if (mnl_attr_get_type(attr) == IFA_LOCAL && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0 &&
      ntohl(mnl_attr_get_u32(attr)) == query->host->address.value) {
    query->has_address = true;
  }
  return MNL_CB_OK;
}

// IPv6 addresses come as IFA_ADDRESS (IFA_LOCAL only beside a peer's address), 16 bytes in network order.
int on_address6_attribute(const nlattr* attr, void* data) {
  auto* query = static_cast<Query*>(data);
  const auto& want = query->host6->address.bytes;
  if (mnl_attr_get_type(attr) == IFA_ADDRESS && mnl_attr_get_payload_len(attr) == want.size() &&
      std::memcmp(mnl_attr_get_payload(attr), want.data(), want.size()) == 0) {
    query->has_address6 = true;
  }
  return MNL_CB_OK;
}

int on_address(const nlmsghdr* nlh, void* data) {
  auto* query = static_cast<Query*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != query->index) return MNL_CB_OK;
  if (ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == query->host->prefix_length) {
    return mnl_attr_parse(nlh, sizeof(*ifa), on_address4_attribute, query);
  }
  // An address whose DAD failed is there but unusable (RFC 4862 §5.4.5): not what was asked for.
  if (ifa->ifa_family == AF_INET6 && query->host6 != nullptr && ifa->ifa_prefixlen == query->host6->prefix_length &&
      (ifa->ifa_flags & IFA_F_DADFAILED) == 0) {
    return mnl_attr_parse(nlh, sizeof(*ifa), on_address6_attribute, query);
  }
  return MNL_CB_OK;
}

// A GET request for `query.index`'s link (RTM_GETLINK) or a dump of every address of every family (RTM_GETADDR), in
// `buf`.
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
    ifa->ifa_family = AF_UNSPEC;  // IPv4 and IPv6 in one dump; a kernel without IPv6 sends IPv4's alone
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

// What the kernel says of `ifname` (index `index`): up or not, and whether it has `host` and `host6`.
Query inspect(const std::string& ifname, int index, const Ipv4Interface& host,
              const std::optional<Ipv6Interface>& host6) {
  Query query;
  query.index = index;
  query.host = &host;
  query.host6 = host6 ? &*host6 : nullptr;
  Socket sock = open_bound_socket();
  const unsigned seq = static_cast<unsigned>(::getpid());
  // RTM_GETLINK for one index answers with the link message and no NLMSG_DONE: mnl_cb_run stops at the ACK.
  ask(sock.get(), RTM_GETLINK, seq, on_link, query, fmt::format("asking the kernel about {}", ifname));
  ask(sock.get(), RTM_GETADDR, seq + 1, on_address, query, fmt::format("asking the kernel for {}'s addresses", ifname));
  return query;
}

// The first line of `path`, or nullopt if it cannot be read.
std::optional<std::string> read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// ip -6 addr replace HOST6/PREFIX dev IFNAME nodad. Returns 0 or the errno of the kernel's refusal.
int add_address6(mnl_socket* sock, unsigned index, const Ipv6Interface& host6, unsigned seq) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  nlh->nlmsg_seq = seq;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = host6.prefix_length;
  ifa->ifa_flags = IFA_F_NODAD;  // usable at once, not tentative (RFC 4862 §5.4)
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  const auto& address = host6.address.bytes;
  mnl_attr_put(nlh, IFA_LOCAL, address.size(), address.data());
  mnl_attr_put(nlh, IFA_ADDRESS, address.size(), address.data());
  mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);  // the 32-bit flags, which the kernel prefers to ifa_flags
  return request_acked(sock, nlh);
}

// Gives `ifname` (index `index`) `host6` without DAD. Returns "" when it has it, else why it has not and what to do
// (IPv6 off, or no privilege); throws HostConfigError, with `setup_once` as advice, on any other failure.
std::string add_host_address6(mnl_socket* sock, unsigned index, const std::string& ifname, const Ipv6Interface& host6,
                              unsigned seq, const std::string& setup_once) {
  const std::string without = fmt::format("the host side of {} gets no {}, and ministack is reachable over IPv4 only",
                                          ifname, host6.to_string());
  if (const std::string why = ipv6_unavailable(ifname); !why.empty()) {
    return fmt::format("{}: {}; or pass --no-ipv6 to run IPv4 only without this warning", without, why);
  }
  const int err = add_address6(sock, index, host6, seq);
  if (err == 0) return "";
  if (err == EACCES || err == EAFNOSUPPORT || err == EOPNOTSUPP) {
    // EACCES: disable_ipv6 for the device (what a /proc without it could not tell); EAFNOSUPPORT: no IPv6 at all.
    return fmt::format(
        "{}: the kernel refused the address ({}), so IPv6 is off for the device or for all (see sysctl "
        "net.ipv6.conf.{}.disable_ipv6 and net.ipv6.conf.all.disable_ipv6; set them to 0 to turn it on); or pass "
        "--no-ipv6 to run IPv4 only without this warning",
        without, std::strerror(err), ifname);
  }
  if (err == EPERM) {
    // Only when the rest was there already: we had nothing else to change, so no privilege was needed until now.
    return fmt::format(
        "{}: adding it needs CAP_NET_ADMIN; have root add it once ('ip -6 addr add {} dev {} nodad'), after which "
        "ministack finds it done, or pass --no-ipv6 to run IPv4 only without this warning",
        without, host6.to_string(), ifname);
  }
  throw HostConfigError(describe_errno(err, fmt::format("adding {} to {}", host6.to_string(), ifname), setup_once));
}

}  // namespace

std::string ipv6_unavailable(const std::string& ifname) {
  std::error_code ignored;
  if (!std::filesystem::exists("/proc/sys/net", ignored)) return "";  // no /proc to ask: rtnetlink will tell
  if (!std::filesystem::exists("/proc/sys/net/ipv6", ignored)) {
    return "the kernel has no IPv6 (no /proc/sys/net/ipv6: it was booted with ipv6.disable=1, or built without "
           "IPv6); boot it without ipv6.disable=1 to have IPv6";
  }
  const std::string conf = "/proc/sys/net/ipv6/conf/" + ifname;
  if (!std::filesystem::exists(conf, ignored)) {
    return fmt::format("the kernel has no IPv6 on {0} (no {1}: its MTU may be below IPv6's minimum of 1280, RFC 8200 "
                       "§5); raise it with 'ip link set dev {0} mtu 1280'",
                       ifname, conf);
  }
  if (read_line(conf + "/disable_ipv6") == "1") {
    return fmt::format("IPv6 is off for {0} (net.ipv6.conf.{0}.disable_ipv6 = 1); turn it on with 'sysctl -w "
                       "net.ipv6.conf.{0}.disable_ipv6=0', and for devices made later with 'sysctl -w "
                       "net.ipv6.conf.default.disable_ipv6=0' (or net.ipv6.conf.all.disable_ipv6=0 for every one)",
                       ifname);
  }
  return "";
}

bool host_side_configured(const std::string& ifname, const Ipv4Interface& host,
                          const std::optional<Ipv6Interface>& host6) {
  const int index = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (index == 0) return false;
  const Query query = inspect(ifname, index, host, host6);
  return query.up && query.has_address && (!host6 || query.has_address6);
}

HostSideReport configure_host_side(const std::string& ifname, const Ipv4Interface& host,
                                   const std::optional<Ipv6Interface>& host6) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) throw HostConfigError(fmt::format("no interface named '{}' to configure", ifname));
  const Query found = inspect(ifname, static_cast<int>(index), host, host6);

  Socket sock = open_bound_socket();
  const std::string setup6 = host6 ? fmt::format("; ip -6 addr add {} dev {} nodad", host6->to_string(), ifname)
                                   : std::string{};
  const std::string setup_once =
      fmt::format("ip addr add {1} dev {0}; ip link set dev {0} up{2}", ifname, host.to_string(), setup6);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  unsigned seq = static_cast<unsigned>(::getpid());
  HostSideReport report;

  // ip link set dev IFNAME up
  if (!found.up) {
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
    report.changed = true;
  }
  // ip addr replace HOST/PREFIX dev IFNAME
  if (!found.has_address) {
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
    report.changed = true;
  }
  if (!host6) return report;
  if (found.has_address6) {
    report.has_ipv6 = true;
    return report;
  }
  // IPv6 is optional: whatever keeps its address off the host side is told, and IPv4 goes on.
  report.ipv6_warning = add_host_address6(sock.get(), index, ifname, *host6, ++seq, setup_once);
  report.has_ipv6 = report.ipv6_warning.empty();
  report.changed = report.changed || report.has_ipv6;
  return report;
}

void set_link_mtu(const std::string& ifname, std::size_t mtu) {
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) throw HostConfigError(fmt::format("no interface named '{}' to configure", ifname));
  Socket sock = open_bound_socket();
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = static_cast<unsigned>(::getpid());
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = static_cast<int>(index);
  mnl_attr_put_u32(nlh, IFLA_MTU, static_cast<std::uint32_t>(mtu));
  transact(sock.get(), nlh, fmt::format("setting {}'s MTU to {}", ifname, mtu),
           fmt::format("ip link set dev {} mtu {}", ifname, mtu));
}

}  // namespace ministack
