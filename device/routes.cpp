#include "routes.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include <fmt/format.h>

namespace ministack {

namespace {

// A prefix as bytes in network order: either family, compared bit by bit.
struct Prefix {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;  // 4 or 16
  unsigned length = 0;
};

bool overlap(const Prefix& a, const Prefix& b) {
  if (a.size != b.size) return false;
  const unsigned common = std::min(a.length, b.length);
  for (unsigned bit = 0; bit < common; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
    if ((a.bytes[bit / 8] & mask) != (b.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::string to_text(const Prefix& p) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(p.size == 4 ? AF_INET : AF_INET6, p.bytes.data(), text, sizeof text);
  return fmt::format("{}/{}", text, p.length);
}

// One route message as read from the dump.
struct Route {
  Prefix destination;
  std::uint32_t oif = 0;
  std::uint32_t table = 0;
};

int on_attribute(const nlattr* attr, void* data) {
  auto* route = static_cast<Route*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type == RTA_DST && mnl_attr_get_payload_len(attr) == route->destination.size) {
    std::memcpy(route->destination.bytes.data(), mnl_attr_get_payload(attr), route->destination.size);
  } else if (type == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
    route->oif = mnl_attr_get_u32(attr);
  } else if (type == RTA_TABLE && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
    route->table = mnl_attr_get_u32(attr);
  }
  return MNL_CB_OK;
}

struct Search {
  std::vector<Prefix> ours;
  std::uint32_t our_index = 0;
  std::vector<RouteClash> found;
};

int on_route(const nlmsghdr* nlh, void* data) {
  auto* search = static_cast<Search*>(data);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len == 0) return MNL_CB_OK;
  Route route;
  route.destination.size = rtm->rtm_family == AF_INET ? 4 : 16;
  route.destination.length = rtm->rtm_dst_len;
  route.table = rtm->rtm_table;
  mnl_attr_parse(nlh, sizeof(*rtm), on_attribute, &route);
  if (route.table != RT_TABLE_MAIN || route.oif == 0 || route.oif == search->our_index) return MNL_CB_OK;
  for (const Prefix& ours : search->ours) {
    if (!overlap(ours, route.destination)) continue;
    char name[IF_NAMESIZE] = {};
    const char* device = ::if_indextoname(route.oif, name);
    search->found.push_back(
        {to_text(ours), to_text(route.destination), device ? device : fmt::format("interface {}", route.oif)});
  }
  return MNL_CB_OK;
}

// Dumps one family's routes into `search`; false when the kernel cannot be asked.
bool dump(mnl_socket* sock, std::uint8_t family, Search& search) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const auto seq = static_cast<unsigned>(std::time(nullptr)) + family;
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family;
  if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) return false;
  const unsigned portid = mnl_socket_get_portid(sock);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
    if (n <= 0) return false;
    const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, on_route, &search);
    if (rc == MNL_CB_STOP) return true;
    if (rc < 0) return false;
  }
}

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

}  // namespace

std::vector<RouteClash> routes_elsewhere(const std::string& ifname, const Ipv4Interface& v4,
                                         const std::vector<Ipv6Interface>& v6) {
  std::unique_ptr<mnl_socket, SocketCloser> sock(mnl_socket_open(NETLINK_ROUTE));
  if (!sock || mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) return {};
  Search v4_search;
  v4_search.our_index = ::if_nametoindex(ifname.c_str());
  Prefix p4{{}, 4, v4.prefix_length};
  const std::uint32_t network = htonl(v4.address.value & v4.netmask());
  std::memcpy(p4.bytes.data(), &network, 4);
  v4_search.ours.push_back(p4);
  if (!dump(sock.get(), AF_INET, v4_search)) return {};
  Search v6_search;
  v6_search.our_index = v4_search.our_index;
  for (const Ipv6Interface& prefix : v6) {
    Prefix p6{prefix.address.bytes, 16, prefix.prefix_length};
    for (unsigned bit = prefix.prefix_length; bit < 128; ++bit) {
      p6.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
    }
    v6_search.ours.push_back(p6);
  }
  if (!v6_search.ours.empty()) dump(sock.get(), AF_INET6, v6_search);
  std::vector<RouteClash> found = std::move(v4_search.found);
  found.insert(found.end(), v6_search.found.begin(), v6_search.found.end());
  return found;
}

}  // namespace ministack
