// The pipeline's Ethernet and ARP layers, on TAP only (StackTapTest): ARP requests answered, the neighbor cache
// learned as RFC 826 says, and every frame the link layer must drop. The harness and the echo reply check:
// stack_fixture.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>

#include "packets.hpp"
#include "stack_fixture.hpp"

namespace stack_test {
namespace {

using U16s = std::initializer_list<std::uint16_t>;

// ---- Ethernet and ARP (TAP) ------------------------------------------------------------------------------------

class StackTapTest : public ::testing::Test {
 protected:
  // Feeds a frame that must be dropped for `reason`; afterwards a good echo request is still answered.
  void expect_drop(const Frame& frame, DropReason reason) {
    const Counters before = harness_.receive_dropped(frame, reason);
    EXPECT_EQ(harness_.count(Counter::arpOutReplies), before.get(Counter::arpOutReplies));
    const Frame request = packets::echo_request_frame();
    const Verdict after = harness_.receive(request);
    EXPECT_EQ(name(after.drop), name(std::nullopt)) << "the good echo request after it";
    if (after.frames_sent > 0) expect_echo_reply(request, harness_.reply(), true);
  }

  // RFC 826 "Packet Reception": swap the sender and target fields, put ours in the sender fields, set the opcode
  // to reply, and send it to the new target hardware address. A 42-byte reply is padded to 60 with zeros.
  void expect_arp_reply(const Frame& request) {
    const Verdict v = harness_.receive(request);
    ASSERT_EQ(name(v.drop), name(std::nullopt));
    const Frame reply = harness_.reply();
    ASSERT_EQ(reply.size(), 60u);
    const MacAddress requester = get_mac(request, 14 + 8);  // the request's sender hardware address
    EXPECT_EQ(get_mac(reply, 0), requester) << "Ethernet destination";
    EXPECT_EQ(get_mac(reply, 6), kOurMac) << "Ethernet source";
    EXPECT_EQ(get16(reply, 12), kArpType) << "EtherType";
    EXPECT_EQ(get16(reply, 14), 1) << "hardware type";
    EXPECT_EQ(get16(reply, 16), 0x0800) << "protocol type";
    EXPECT_EQ(reply[18], 6) << "hardware length";
    EXPECT_EQ(reply[19], 4) << "protocol length";
    EXPECT_EQ(get16(reply, 20), 2) << "operation: reply";
    EXPECT_EQ(get_mac(reply, 22), kOurMac) << "sender hardware address";
    EXPECT_EQ(get32(reply, 28), kOurIp.value) << "sender protocol address";
    EXPECT_EQ(get_mac(reply, 32), requester) << "target hardware address";
    EXPECT_EQ(get32(reply, 38), get32(request, 14 + 14)) << "target protocol address = the request's sender";
    for (std::size_t i = 42; i < 60; ++i) EXPECT_EQ(reply[i], 0) << "padding byte " << i;
  }

  Harness harness_{LinkLayer::ethernet};
};

TEST_F(StackTapTest, DefaultConfigurationIsWhatTheTestFramesAssume) {
  EXPECT_EQ(harness_.stack().config().mac, kOurMac);
  EXPECT_EQ(harness_.stack().config().interface.address, kOurIp);
  EXPECT_EQ(harness_.stack().config().interface.prefix_length, 24);
  EXPECT_EQ(harness_.stack().config().link, LinkLayer::ethernet);
}

TEST_F(StackTapTest, AnswersArpWhoHasForUs) {
  expect_arp_reply(packets::arp_frame());
  EXPECT_EQ(harness_.count(Counter::arpInRequests), 1u);
  EXPECT_EQ(harness_.count(Counter::arpOutReplies), 1u);
  EXPECT_EQ(harness_.stack().counters().frames_sent(), 1u);
  EXPECT_EQ(harness_.stack().counters().total_drops(), 0u);
}

TEST_F(StackTapTest, AnswersAPaddedArpRequest) {
  expect_arp_reply(packets::pad_to(packets::arp_frame(), 60, 0xab));  // a NIC's 60-byte frame, non-zero padding
}

TEST_F(StackTapTest, AnswersAUnicastArpPoll) {
  // Linux re-validates a neighbor with a unicast request to the MAC it has cached (RFC 1122 §2.3.2.1).
  expect_arp_reply(packets::arp_frame({}, {kOurMac, kPeerMac, kArpType}));
}

TEST_F(StackTapTest, ArpReplyGoesToTheSenderHardwareAddress) {
  // RFC 826 sends the reply to the (new) target hardware address, i.e. the ARP sender, not the frame's source.
  const MacAddress sender{{0x52, 0x54, 0x00, 0x99, 0x88, 0x77}};
  expect_arp_reply(packets::arp_frame({.sender_mac = sender}));
  EXPECT_EQ(get_mac(harness_.reply(), 0), sender);
}

TEST_F(StackTapTest, LearnsTheRequester) {
  EXPECT_FALSE(harness_.stack().neighbors().lookup(kPeerIp));
  harness_.receive(packets::arp_frame());
  EXPECT_EQ(harness_.stack().neighbors().lookup(kPeerIp), kPeerMac);
  EXPECT_EQ(harness_.stack().neighbors().size(), 1u);
  // A later request from a new MAC replaces it (RFC 826 merge).
  const MacAddress moved{{0x52, 0x54, 0x00, 0x00, 0x00, 0x02}};
  harness_.receive(packets::arp_frame({.sender_mac = moved}, {MacAddress::broadcast(), moved, kArpType}));
  EXPECT_EQ(harness_.stack().neighbors().lookup(kPeerIp), moved);
  EXPECT_EQ(harness_.stack().neighbors().size(), 1u);
}

// RFC 5227 §2.1.1: a probe has sender IP 0.0.0.0. It is answered like any request, and 0.0.0.0 is never learned.
TEST_F(StackTapTest, AnswersAnArpProbeWithoutLearningIt) {
  expect_arp_reply(packets::arp_frame({.sender_ip = ipv4_address(0, 0, 0, 0)}));
  EXPECT_EQ(get32(harness_.reply(), 38), 0u) << "target protocol address 0.0.0.0";
  EXPECT_EQ(harness_.stack().neighbors().size(), 0u);
  EXPECT_FALSE(harness_.stack().neighbors().lookup(ipv4_address(0, 0, 0, 0)));
}

TEST_F(StackTapTest, NeverLearnsOurOwnAddress) {
  // A host claiming our address (a conflict, RFC 5227 §2.4) must not redirect our own address in the cache.
  harness_.receive(packets::arp_frame({.sender_ip = kOurIp}));
  EXPECT_FALSE(harness_.stack().neighbors().lookup(kOurIp));
}

TEST_F(StackTapTest, DropsArpForAnotherHost) {
  expect_drop(packets::arp_frame({.target_ip = ipv4_address(192, 168, 3, 13)}), DropReason::arp_not_for_us);
  EXPECT_FALSE(harness_.stack().neighbors().lookup(kPeerIp)) << "only learned when we are the target";
  EXPECT_EQ(harness_.count(Counter::arpInRequests), 0u);
}

// RFC 826: the merge step comes before "Am I the target protocol address?", so a known sender is refreshed even by
// a request for someone else.
TEST_F(StackTapTest, ArpForAnotherHostRefreshesAKnownSender) {
  harness_.receive(packets::arp_frame());
  const MacAddress moved{{0x52, 0x54, 0x00, 0x00, 0x00, 0x03}};
  expect_drop(packets::arp_frame({.sender_mac = moved, .target_ip = ipv4_address(192, 168, 3, 13)}),
              DropReason::arp_not_for_us);
  EXPECT_EQ(harness_.stack().neighbors().lookup(kPeerIp), moved);
}

TEST_F(StackTapTest, ArpReplyIsNotAnsweredButMergedWhenKnown) {
  harness_.receive(packets::arp_frame());  // learn kPeerIp -> kPeerMac
  const MacAddress moved{{0x52, 0x54, 0x00, 0x00, 0x00, 0x04}};
  expect_drop(packets::arp_frame({.operation = 2, .sender_mac = moved, .target_mac = kOurMac},
                                 {kOurMac, moved, kArpType}),
              DropReason::arp_not_request);
  EXPECT_EQ(harness_.stack().neighbors().lookup(kPeerIp), moved);
}

TEST_F(StackTapTest, ArpReplyFromAStrangerForAnotherHostIsNotLearned) {
  const Ipv4Address stranger = ipv4_address(192, 168, 3, 99);
  expect_drop(packets::arp_frame({.operation = 2, .sender_ip = stranger, .target_ip = ipv4_address(192, 168, 3, 13)}),
              DropReason::arp_not_request);
  EXPECT_FALSE(harness_.stack().neighbors().lookup(stranger));
  // Nor is a gratuitous ARP (sender = target) from an unknown host.
  expect_drop(packets::arp_frame({.operation = 1, .sender_ip = stranger, .target_ip = stranger}),
              DropReason::arp_not_for_us);
  EXPECT_FALSE(harness_.stack().neighbors().lookup(stranger));
}

// RFC 826 adds the sender when "I am the target protocol address" before it looks at the opcode: a reply sent to
// us teaches us its sender, though it is never answered.
TEST_F(StackTapTest, ArpReplyForUsFromAStrangerIsLearned) {
  const MacAddress stranger_mac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x05}};
  const Ipv4Address stranger = ipv4_address(192, 168, 3, 98);
  expect_drop(packets::arp_frame({.operation = 2,
                                  .sender_mac = stranger_mac,
                                  .sender_ip = stranger,
                                  .target_mac = kOurMac,
                                  .target_ip = kOurIp},
                                 {kOurMac, stranger_mac, kArpType}),
              DropReason::arp_not_request);
  EXPECT_EQ(harness_.stack().neighbors().lookup(stranger), stranger_mac);
}

TEST_F(StackTapTest, DropsOtherArpOperations) {
  for (std::uint16_t op : U16s{0, 2, 3, 4, 8, 0x0100}) {  // 3/4: RARP; 8: InARP; 0x0100: request byte-swapped
    SCOPED_TRACE("operation " + std::to_string(op));
    expect_drop(packets::arp_frame({.operation = op}), DropReason::arp_not_request);
  }
}

// RFC 1122 §2.3.2.1 / IEEE 802: a group address can be nobody's hardware address.
TEST_F(StackTapTest, DropsArpWithAGroupSenderAddress) {
  for (const MacAddress& group : {MacAddress::broadcast(), MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}}) {
    SCOPED_TRACE(group.to_string());
    expect_drop(packets::arp_frame({.sender_mac = group}), DropReason::arp_bad_sender);
    EXPECT_FALSE(harness_.stack().neighbors().lookup(kPeerIp));
  }
}

TEST_F(StackTapTest, DropsArpInOtherFormats) {
  const packets::Arp formats[] = {{.htype = 6}, {.ptype = 0x86dd}, {.hlen = 8}, {.hlen = 255}, {.plen = 16}};
  for (const packets::Arp& a : formats) {
    expect_drop(packets::pad_to(packets::arp_frame(a), 60), DropReason::arp_unsupported_format);
  }
}

TEST_F(StackTapTest, DropsTruncatedArp) {
  const Frame frame = packets::arp_frame();
  for (std::size_t length = 14; length < 42; ++length) {
    SCOPED_TRACE("frame length " + std::to_string(length));
    expect_drop(Frame(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(length)), DropReason::arp_truncated);
  }
}

TEST_F(StackTapTest, DropsTruncatedFrames) {
  const Frame frame = packets::echo_request_frame();
  for (std::size_t length = 0; length < 14; ++length) {
    SCOPED_TRACE("frame length " + std::to_string(length));
    expect_drop(Frame(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(length)), DropReason::eth_truncated);
  }
}

TEST_F(StackTapTest, DropsFramesForOtherMacs) {
  const MacAddress other{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};  // another host
  expect_drop(packets::echo_request_frame({}, {}, {.destination = other}), DropReason::eth_not_for_us);
  expect_drop(packets::arp_frame({}, {other, kPeerMac, kArpType}), DropReason::eth_not_for_us);
  // Groups we never joined (RFC 2464 §7: we join all-nodes and our solicited-node groups, nothing else).
  for (const MacAddress& group : {MacAddress{{0x03, 0x00, 0x00, 0x00, 0x00, 0x01}},     // ours with the group bit
                                  MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},     // IPv4 multicast
                                  MacAddress{{0x33, 0x33, 0x00, 0x00, 0x00, 0x02}},     // IPv6 all-routers
                                  MacAddress{{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}}}) {  // another solicited-node
    SCOPED_TRACE(group.to_string());
    expect_drop(packets::echo_request_frame({}, {}, {.destination = group}), DropReason::eth_multicast_not_joined);
    expect_drop(packets::arp_frame({}, {group, kPeerMac, kArpType}), DropReason::eth_multicast_not_joined);
  }
  // A group we joined takes the frame in; IPv4 then refuses its unicast destination (RFC 1122 §3.3.6).
  expect_drop(packets::echo_request_frame({}, {}, {.destination = MacAddress{{0x33, 0x33, 0, 0, 0, 0x01}}}),
              DropReason::ip_link_broadcast);
}

// IEEE 802 §8.2: a group address is never a source; answering one would reach every host on the link.
TEST_F(StackTapTest, DropsFramesFromGroupAddresses) {
  for (const MacAddress& group : {MacAddress::broadcast(), MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
                                  MacAddress{{0x53, 0x54, 0x00, 0x12, 0x34, 0x56}}}) {
    SCOPED_TRACE(group.to_string());
    expect_drop(packets::echo_request_frame({}, {}, {.source = group}), DropReason::eth_bad_source);
    expect_drop(packets::arp_frame({}, {MacAddress::broadcast(), group, kArpType}), DropReason::eth_bad_source);
  }
}

TEST_F(StackTapTest, DropsOtherEthertypes) {
  // 802.1Q: the tag hides an otherwise good echo request; no VLAN is configured.
  const Frame tag = {0x00, 0x05, 0x08, 0x00};  // VLAN 5, then EtherType IPv4
  const Frame tagged = packets::concat(tag, packets::echo_request());
  // A drop reason of its own, so that a user with VLANs on the host side sees what happened (issue 13).
  expect_drop(packets::ethernet({.type = packets::ethertype::vlan}, tagged), DropReason::eth_vlan_not_supported);
  expect_drop(packets::ethernet({.type = 0x88a8}, tagged), DropReason::eth_vlan_not_supported);

  for (std::uint16_t type : U16s{0x88cc /* LLDP */, 0x8035 /* RARP */, 0x0008 /* IPv4 byte-swapped */,
                                 0x002e /* an 802.3 length */, 0x0000, 0xffff}) {
    SCOPED_TRACE("EtherType " + std::to_string(type));
    expect_drop(packets::ethernet({.type = type}, packets::echo_request()), DropReason::eth_unsupported_type);
  }
}

// RFC 1122 §3.3.6: a datagram for our unicast address that arrived as a link-layer broadcast is discarded.
TEST_F(StackTapTest, DropsUnicastIpSentToTheBroadcastMac) {
  expect_drop(packets::echo_request_frame({}, {}, {.destination = MacAddress::broadcast()}),
              DropReason::ip_link_broadcast);
}

TEST_F(StackTapTest, DropsIpv6InsideTheIpv4Ethertype) {
  expect_drop(packets::echo_request_frame({}, {.version = 6}), DropReason::ip_bad_version);
}

// The reply goes back to the link address the request came from, even when the ARP cache says otherwise.
TEST_F(StackTapTest, EchoReplyGoesToTheRequestsSourceMac) {
  harness_.receive(packets::arp_frame());  // caches kPeerIp -> kPeerMac
  const MacAddress router{{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}};
  const Frame request = packets::echo_request_frame({}, {}, {.source = router});
  harness_.receive(request);
  const Frame reply = harness_.reply();
  ASSERT_FALSE(reply.empty());
  EXPECT_EQ(get_mac(reply, 0), router);
  expect_echo_reply(request, reply, true);
}

// IEEE 802.3 §4.2.3.3 and STYLE.md's issue 7: a short reply is padded to 60 bytes with zeros, not with whatever
// the reused buffer held.
TEST_F(StackTapTest, ShortRepliesArePaddedWithZeros) {
  const Frame request = packets::echo_request_frame({.data = {}});  // 42 bytes
  ASSERT_EQ(request.size(), 42u);
  ASSERT_EQ(harness_.receive(request).frames_sent, 1u);  // the buffer holds kGarbage from byte 42 on
  ASSERT_EQ(harness_.reply().size(), 60u);
  const Frame reply = harness_.reply();
  EXPECT_TRUE(std::all_of(reply.begin() + 42, reply.end(), [](std::uint8_t b) { return b == 0; }));
  expect_echo_reply(request, reply, true);
}

TEST_F(StackTapTest, MibCountersAfterASequence) {
  harness_.receive(packets::arp_frame());                                              // ARP reply
  harness_.receive(packets::arp_frame({.target_ip = ipv4_address(192, 168, 3, 13)}));  // arp_not_for_us
  harness_.receive(packets::echo_request_frame());                                     // echo reply
  harness_.receive(packets::echo_request_frame({.type = 0}));                          // icmp_type_ignored
  harness_.receive(packets::echo_request_frame({}, {.bad_checksum = true}));           // ip_bad_checksum
  harness_.receive(packets::echo_request_frame({}, {.protocol = 132}));                // ip_unknown_protocol
  harness_.receive(packets::echo_request_frame({}, {}, {.destination = MacAddress{{0x02, 0, 0, 0, 0, 9}}}));
  // eth_not_for_us
  EXPECT_EQ(harness_.stack().counters().frames_received(), 7u);
  EXPECT_EQ(harness_.stack().counters().frames_sent(), 3u) << "ARP reply, echo reply, protocol unreachable";
  EXPECT_EQ(harness_.count(Counter::arpInRequests), 1u) << "requests for our address only";
  EXPECT_EQ(harness_.count(Counter::arpOutReplies), 1u);
  EXPECT_EQ(harness_.count(Counter::ipInReceives), 4u) << "the four IPv4 frames for our MAC";
  EXPECT_EQ(harness_.count(Counter::ipInDelivers), 2u);
  EXPECT_EQ(harness_.count(Counter::ipOutRequests), 2u);
  EXPECT_EQ(harness_.count(Counter::icmpInMsgs), 2u);
  EXPECT_EQ(harness_.count(Counter::icmpInEchos), 1u);
  EXPECT_EQ(harness_.count(Counter::icmpOutMsgs), 2u);
  EXPECT_EQ(harness_.count(Counter::icmpOutEchoReps), 1u);
  EXPECT_EQ(harness_.count(DropReason::arp_not_for_us), 1u);
  EXPECT_EQ(harness_.count(DropReason::icmp_type_ignored), 1u);
  EXPECT_EQ(harness_.count(DropReason::ip_bad_checksum), 1u);
  EXPECT_EQ(harness_.count(DropReason::ip_unknown_protocol), 1u);
  EXPECT_EQ(harness_.count(DropReason::eth_not_for_us), 1u);
  EXPECT_EQ(harness_.stack().counters().total_drops(), 5u);
}

}  // namespace
}  // namespace stack_test
