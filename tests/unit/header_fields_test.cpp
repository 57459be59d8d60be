// The field tables that `explain --html` draws from (stack/wire/fields): each covers its header without gaps, names
// the views' accessors, and reads the values the views read; the dissector cuts frames as the stack parses them and
// never reaches past a frame's end.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "packets.hpp"
#include "packets6.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/fields/dissect.hpp"
#include "stack/wire/fields/header_fields.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"

namespace ministack::fields {
namespace {

using packets::Frame;

// The value of the bits of every field that reads through `accessor`, concatenated in header order (TCP's control
// bits are eight one-bit fields that flags() reads as one byte). Fails the test when no field names it.
std::uint64_t raw(const HeaderTable& table, std::string_view accessor, Bytes header) {
  std::uint64_t value = 0;
  bool found = false;
  for (const Field& field : table.fields) {
    if (field.accessor != accessor) continue;
    const auto bits = read_bits(header, field.bit_offset, field.bit_width);
    EXPECT_TRUE(bits) << table.name << " " << field.name;
    value = (value << field.bit_width) | bits.value_or(0);
    found = true;
  }
  EXPECT_TRUE(found) << table.name << " has no field read by " << accessor << "()";
  return value;
}

// Every accessor a table names is one the test compared with its view: no table field claims a view member that
// is not there.
void expect_accessors_covered(const HeaderTable& table, const std::vector<std::string_view>& compared) {
  for (const Field& field : table.fields) {
    if (field.accessor.empty()) continue;
    EXPECT_NE(std::find(compared.begin(), compared.end(), field.accessor), compared.end())
        << table.name << " " << field.name << " names " << field.accessor << "(), which the test did not compare";
  }
}

TEST(HeaderFields, TablesCoverTheirHeadersWithoutGapsOrOverlaps) {
  const std::vector<std::pair<const HeaderTable*, unsigned>> tables = {
      {&ethernet_table(), 112},     {&arp_table(), 224},           {&ipv4_table(), 160},
      {&ipv6_table(), 320},         {&ipv6_extension_table(), 16}, {&ipv6_fragment_table(), 64},
      {&icmp_table(), 64},          {&icmpv6_table(), 64},         {&udp_table(), 64},
      {&tcp_table(), 160},          {&icmp_error_table(), 64},     {&icmpv6_error_table(1), 64},
      {&icmpv6_error_table(2), 64}, {&icmpv6_error_table(4), 64},  {&icmpv6_ns_table(), 192},
      {&icmpv6_na_table(), 192}};
  for (const auto& [table, bits] : tables) {
    EXPECT_EQ(table->bits, bits) << table->name;
    unsigned next = 0;
    for (const Field& field : table->fields) {
      EXPECT_EQ(field.bit_offset, next) << table->name << " " << field.name;
      EXPECT_GT(field.bit_width, 0u) << table->name << " " << field.name;
      next = field.bit_offset + field.bit_width;
    }
    EXPECT_EQ(next, bits) << table->name << ": widths sum to the header length";
  }
}

TEST(HeaderFields, Ipv4TableReadsWhatTheViewReads) {
  const Frame packet =
      packets::ipv4({.tos = 0x28, .identification = 0xbeef, .flags_fragment = 0x2005, .ttl = 33}, packets::pattern(40));
  const auto view = Ipv4View::parse(packet);
  ASSERT_TRUE(view);
  const HeaderTable& t = ipv4_table();
  EXPECT_EQ(raw(t, "header_length", packet) * 4, view->header_length());
  EXPECT_EQ(raw(t, "tos", packet), view->tos());
  EXPECT_EQ(raw(t, "total_length", packet), view->total_length());
  EXPECT_EQ(raw(t, "identification", packet), view->identification());
  EXPECT_EQ(raw(t, "flags_fragment_offset", packet), view->flags_fragment_offset() >> 13u);
  EXPECT_EQ(raw(t, "fragment_offset", packet) * 8, view->fragment_offset());
  EXPECT_EQ(raw(t, "ttl", packet), view->ttl());
  EXPECT_EQ(raw(t, "protocol", packet), view->protocol());
  EXPECT_EQ(raw(t, "header_checksum", packet), view->header_checksum());
  EXPECT_EQ(raw(t, "source", packet), view->source().value);
  EXPECT_EQ(raw(t, "destination", packet), view->destination().value);
  expect_accessors_covered(t, {"header_length", "tos", "total_length", "identification", "flags_fragment_offset",
                               "fragment_offset", "ttl", "protocol", "header_checksum", "source", "destination"});
  EXPECT_EQ(show_value(*find_field(t, "Flags"), packet), "001 (MF)");
  EXPECT_EQ(show_value(*find_field(t, "Source Address"), packet), view->source().to_string());
  EXPECT_EQ(show_value(*find_field(t, "Protocol"), packet), "1 (ICMP)");
}

TEST(HeaderFields, EthernetAndArpTablesReadWhatTheViewsRead) {
  const Frame frame = packets::arp_frame({.operation = 2, .target_mac = packets::kOurMac});
  const auto ethernet = EthernetView::parse(frame);
  ASSERT_TRUE(ethernet);
  EXPECT_EQ(show_value(*find_field(ethernet_table(), "Destination Address"), frame),
            ethernet->destination().to_string());
  EXPECT_EQ(show_value(*find_field(ethernet_table(), "Source Address"), frame), ethernet->source().to_string());
  EXPECT_EQ(raw(ethernet_table(), "ethertype", frame), ethernet->ethertype());
  EXPECT_EQ(show_value(*find_field(ethernet_table(), "EtherType"), frame), "0x0806 (ARP)");
  expect_accessors_covered(ethernet_table(), {"destination", "source", "ethertype"});

  const Bytes packet = ethernet->payload();
  const auto arp = ArpView::parse(packet);
  ASSERT_TRUE(arp);
  EXPECT_EQ(raw(arp_table(), "operation", packet), arp->operation());
  EXPECT_EQ(show_value(*find_field(arp_table(), "Sender Hardware Address"), packet), arp->sender_mac().to_string());
  EXPECT_EQ(raw(arp_table(), "sender_ip", packet), arp->sender_ip().value);
  EXPECT_EQ(show_value(*find_field(arp_table(), "Target Hardware Address"), packet), arp->target_mac().to_string());
  EXPECT_EQ(raw(arp_table(), "target_ip", packet), arp->target_ip().value);
  expect_accessors_covered(arp_table(), {"operation", "sender_mac", "sender_ip", "target_mac", "target_ip"});
}

TEST(HeaderFields, IcmpUdpAndTcpTablesReadWhatTheViewsRead) {
  const Frame message = packets::icmp({.identifier = 0x1c2d, .sequence = 7});
  const auto icmp = IcmpView::parse(message);
  ASSERT_TRUE(icmp);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string_view, std::uint64_t>>{{"type", icmp->type()},
                                                               {"code", icmp->code()},
                                                               {"checksum", icmp->checksum()},
                                                               {"identifier", icmp->identifier()},
                                                               {"sequence", icmp->sequence()}}) {
    EXPECT_EQ(raw(icmp_table(), name, message), value) << name;
  }
  expect_accessors_covered(icmp_table(), {"type", "code", "checksum", "identifier", "sequence"});

  const Frame datagram = packets::udp({.source_port = 5353, .destination_port = 7});
  const IpAddress peer{packets::kPeerIp}, us{packets::kOurIp};
  const auto udp = UdpView::parse(datagram, peer, us);
  ASSERT_TRUE(udp);
  EXPECT_EQ(raw(udp_table(), "source_port", datagram), udp->source_port());
  EXPECT_EQ(raw(udp_table(), "destination_port", datagram), udp->destination_port());
  EXPECT_EQ(raw(udp_table(), "length", datagram), udp->length());
  EXPECT_EQ(raw(udp_table(), "checksum", datagram), udp->checksum());
  expect_accessors_covered(udp_table(), {"source_port", "destination_port", "length", "checksum"});

  const Frame segment = packets::tcp({.sequence = 0xdeadbeef,
                                      .acknowledgment = 0x01020304,
                                      .flags = packets::tcp_flags::syn | packets::tcp_flags::ack,
                                      .options = {2, 4, 0x05, 0xb4}});
  const auto tcp = TcpView::parse(segment, peer, us);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(raw(tcp_table(), "source_port", segment), tcp->source_port());
  EXPECT_EQ(raw(tcp_table(), "destination_port", segment), tcp->destination_port());
  EXPECT_EQ(raw(tcp_table(), "sequence_number", segment), tcp->sequence_number());
  EXPECT_EQ(raw(tcp_table(), "acknowledgment_number", segment), tcp->acknowledgment_number());
  EXPECT_EQ(raw(tcp_table(), "header_length", segment) * 4, tcp->header_length());
  EXPECT_EQ(raw(tcp_table(), "flags", segment), tcp->flags());
  EXPECT_EQ(raw(tcp_table(), "window", segment), tcp->window());
  EXPECT_EQ(raw(tcp_table(), "checksum", segment), tcp->checksum());
  EXPECT_EQ(raw(tcp_table(), "urgent_pointer", segment), tcp->urgent_pointer());
  expect_accessors_covered(tcp_table(), {"source_port", "destination_port", "sequence_number", "acknowledgment_number",
                                         "header_length", "flags", "window", "checksum", "urgent_pointer"});
  EXPECT_EQ(show_value(*find_field(tcp_table(), "SYN"), segment), "1");
  EXPECT_EQ(show_value(*find_field(tcp_table(), "FIN"), segment), "0");
}

TEST(HeaderFields, Ipv6AndIcmpv6TablesReadWhatTheViewsRead) {
  const packets6::Ipv6 h{.hop_limit = 255, .traffic_class = 0xb8};
  const Frame packet = packets6::echo_request6(h, 8, 0x4242, 9);
  const auto view = Ipv6View::parse(packet);
  ASSERT_TRUE(view);
  const HeaderTable& t = ipv6_table();
  EXPECT_EQ(raw(t, "traffic_class", packet), view->traffic_class());
  EXPECT_EQ(raw(t, "flow_label", packet), view->flow_label());
  EXPECT_EQ(raw(t, "payload_length", packet), view->payload_length());
  EXPECT_EQ(raw(t, "next_header", packet), view->next_header());
  EXPECT_EQ(raw(t, "hop_limit", packet), view->hop_limit());
  EXPECT_EQ(show_value(*find_field(t, "Source Address"), packet), view->source().to_string());
  EXPECT_EQ(show_value(*find_field(t, "Destination Address"), packet), view->destination().to_string());
  expect_accessors_covered(t, {"traffic_class", "flow_label", "payload_length", "next_header", "hop_limit", "source",
                               "destination"});

  const Bytes message = Bytes{packet}.subspan(40);
  const auto icmp = Icmpv6View::parse(message, view->source(), view->destination());
  ASSERT_TRUE(icmp);
  EXPECT_EQ(raw(icmpv6_table(), "type", message), icmp->type());
  EXPECT_EQ(raw(icmpv6_table(), "code", message), icmp->code());
  EXPECT_EQ(raw(icmpv6_table(), "checksum", message), icmp->checksum());
  EXPECT_EQ(raw(icmpv6_table(), "identifier", message), icmp->identifier());
  EXPECT_EQ(raw(icmpv6_table(), "sequence", message), icmp->sequence());
  expect_accessors_covered(icmpv6_table(), {"type", "code", "checksum", "identifier", "sequence"});
  EXPECT_EQ(show_value(*find_field(icmpv6_table(), "Type"), message), "128 (echo request)");

  const std::uint8_t fragment[8] = {58, 0, 0x05, 0xa9, 0x12, 0x34, 0x56, 0x78};
  const Ipv6FragmentHeader read = Ipv6FragmentHeader::read(fragment);
  EXPECT_EQ(raw(ipv6_fragment_table(), "next_header", fragment), read.next_header);
  EXPECT_EQ(raw(ipv6_fragment_table(), "offset", fragment) * 8, read.offset);
  EXPECT_EQ(raw(ipv6_fragment_table(), "more_fragments", fragment), read.more_fragments ? 1u : 0u);
  EXPECT_EQ(raw(ipv6_fragment_table(), "identification", fragment), read.identification);
  expect_accessors_covered(ipv6_fragment_table(), {"next_header", "offset", "more_fragments", "identification"});
}

TEST(HeaderFields, ReadBitsRefusesBitsPastTheEnd) {
  const std::uint8_t two[2] = {0xa5, 0x0f};
  EXPECT_EQ(read_bits(two, 0, 4), 0xau);
  EXPECT_EQ(read_bits(two, 4, 8), 0x50u);
  EXPECT_EQ(read_bits(two, 15, 1), 1u);
  EXPECT_FALSE(read_bits(two, 9, 8));
  EXPECT_FALSE(read_bits(two, 0, 65));
  EXPECT_EQ(show_value(*find_field(ipv4_table(), "Total Length"), two), "(missing)");
}

std::vector<std::string> labels(const std::vector<Piece>& pieces) {
  std::vector<std::string> out;
  for (const Piece& piece : pieces) out.push_back(piece.label);
  return out;
}

TEST(Dissect, CutsFramesAsTheStackParsesThem) {
  using V = std::vector<std::string>;
  EXPECT_EQ(labels(dissect(LinkLayer::ethernet, packets::echo_request_frame())),
            (V{"Ethernet II", "IPv4", "ICMP", "data"}));
  EXPECT_EQ(labels(dissect(LinkLayer::ethernet, packets::pad_to(packets::arp_frame(), 60))),
            (V{"Ethernet II", "ARP", "Ethernet padding"}));
  EXPECT_EQ(labels(dissect(LinkLayer::ip, packets::ipv4({.protocol = 6, .options = {1, 1, 1, 0}},
                                                        packets::tcp({.options = {2, 4, 5, 0xb4}})))),
            (V{"IPv4", "IPv4 options", "TCP", "TCP options"}));
  EXPECT_EQ(labels(dissect(LinkLayer::ip, packets6::echo_request6())), (V{"IPv6", "ICMPv6", "data"}));
  // An ICMP error quotes the packet that caused it, drawn with the same tables.
  const Frame quoted = packets::ipv4({.protocol = 17}, packets::udp({}));
  EXPECT_EQ(labels(dissect(LinkLayer::ip,
                           packets::ipv4({},
                                         packets::icmp(
                                             {.type = 3, .code = 3, .identifier = 0, .sequence = 0, .data = quoted})))),
            (V{"IPv4", "ICMP", "IPv4 inside the error", "UDP inside the error", "data inside the error"}));
  // A later fragment carries no upper header.
  EXPECT_EQ(labels(dissect(LinkLayer::ip, packets::ipv4({.flags_fragment = 0x0010}, packets::pattern(16)))),
            (V{"IPv4", "fragment data"}));
}

TEST(Dissect, NeverReachesPastTheFrameWhereverItIsCut) {
  const std::vector<std::pair<LinkLayer, Frame>> frames = {
      {LinkLayer::ethernet, packets::echo_request_frame()},
      {LinkLayer::ethernet, packets::arp_frame()},
      {LinkLayer::ip, packets::ipv4({.protocol = 6, .options = {1, 1, 1, 0}}, packets::tcp({.options = {1, 1, 1, 0}}))},
      {LinkLayer::ip, packets::ipv4({.protocol = 17}, packets::udp({}))},
      {LinkLayer::ip, packets6::echo_request6()}};
  for (const auto& [link, frame] : frames) {
    for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
      const Bytes prefix = Bytes{frame}.first(cut);
      for (const Piece& piece : dissect(link, prefix)) {
        EXPECT_LE(piece.offset + piece.length, cut) << piece.label << " of a frame cut at " << cut;
        if (piece.table) {
          EXPECT_LE(piece.length, piece.table->bits / 8) << piece.label;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ministack::fields
