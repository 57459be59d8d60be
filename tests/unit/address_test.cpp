// MAC and IPv4 addresses: parsing, printing, and the properties the stack decides on.
#include "stack/wire/address.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace {

using ministack::Ipv4Address;
using ministack::Ipv4Interface;
using ministack::MacAddress;

// ---- MAC --------------------------------------------------------------------------------------------------------

TEST(MacAddress, ParsesColonSeparated) {
  const auto mac = MacAddress::parse("02:00:00:00:00:01");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bytes, (std::array<std::uint8_t, 6>{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}));
}

TEST(MacAddress, ParsesDashSeparatedAndEitherCase) {
  const auto mac = MacAddress::parse("52-54-00-Ab-cD-EF");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bytes, (std::array<std::uint8_t, 6>{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}));
}

TEST(MacAddress, PrintsLowercaseWithColons) {
  const MacAddress mac{{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}};
  EXPECT_EQ(mac.to_string(), "52:54:00:ab:cd:ef");
  EXPECT_EQ(MacAddress{}.to_string(), "00:00:00:00:00:00");
  EXPECT_EQ(MacAddress::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
}

TEST(MacAddress, RoundTripsThroughText) {
  const MacAddress mac{{0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f}};
  EXPECT_EQ(MacAddress::parse(mac.to_string()), mac);
}

TEST(MacAddress, RejectsMalformedText) {
  for (std::string_view text : {
           "",                      // empty
           "02:00:00:00:00",        // five parts
           "02:00:00:00:00:01:02",  // seven parts
           "02:00:00:00:00:01:",    // trailing separator
           ":02:00:00:00:00:01",    // leading separator
           "02:00:00:00:00:1",      // missing digit at the end
           "2:00:00:00:00:01",      // missing digit at the start
           "02:0:00:00:00:01",      // missing digit in the middle
           "02:000:00:00:00:01",    // three digits
           "02::00:00:00:01",       // empty part
           "02:00:00:00:00:0g",     // not hex
           "0x:00:00:00:00:01",     // junk
           "+2:00:00:00:00:01",     // sign
           "02 00 00 00 00 01",     // wrong separator
           "02.00.00.00.00.01",     // wrong separator
           "020000000001",          // no separators
           " 02:00:00:00:00:01",    // whitespace
           "02:00:00:00:00:01 ",    // whitespace
       }) {
    EXPECT_FALSE(MacAddress::parse(text)) << '"' << text << '"';
  }
}

// IEEE 802 §8.2: the I/G bit, the least significant bit of the first byte, marks group addresses.
TEST(MacAddress, GroupBitAndBroadcast) {
  const MacAddress broadcast = MacAddress::broadcast();
  EXPECT_TRUE(broadcast.is_group());
  EXPECT_TRUE(broadcast.is_broadcast());

  const MacAddress ipv4_multicast{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
  const MacAddress ipv6_multicast{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};
  const MacAddress almost_broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
  for (const MacAddress& group : {ipv4_multicast, ipv6_multicast, almost_broadcast}) {
    EXPECT_TRUE(group.is_group()) << group.to_string();
    EXPECT_FALSE(group.is_broadcast()) << group.to_string();
  }

  // Unicast, including locally administered (bit 1) and a first byte with every other bit set.
  const MacAddress local{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
  const MacAddress global{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  const MacAddress zero{};
  const MacAddress high{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
  for (const MacAddress& unicast : {local, global, zero, high}) {
    EXPECT_FALSE(unicast.is_group()) << unicast.to_string();
    EXPECT_FALSE(unicast.is_broadcast()) << unicast.to_string();
  }
}

TEST(MacAddress, LoadAndStoreKeepByteOrder) {
  const std::uint8_t wire[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  const MacAddress mac = ministack::load_mac(wire);
  EXPECT_EQ(mac.to_string(), "52:54:00:12:34:56");
  std::uint8_t out[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  ministack::store_mac(out + 1, mac);
  EXPECT_EQ(out[0], 0xee);
  EXPECT_TRUE(std::equal(wire, wire + 6, out + 1));
  EXPECT_EQ(out[7], 0xee);
}

// ---- IPv4 address -----------------------------------------------------------------------------------------------

TEST(Ipv4Address, ParsesDottedQuadInHostOrder) {
  EXPECT_EQ(Ipv4Address::parse("192.168.3.12"), Ipv4Address{0xc0a8030c});
  EXPECT_EQ(Ipv4Address::parse("0.0.0.0"), Ipv4Address{0});
  EXPECT_EQ(Ipv4Address::parse("255.255.255.255"), Ipv4Address{0xffffffff});
  EXPECT_EQ(Ipv4Address::parse("1.2.3.4"), Ipv4Address{0x01020304});
  EXPECT_EQ(Ipv4Address::parse("10.0.0.255"), Ipv4Address{0x0a0000ff});
}

TEST(Ipv4Address, Prints) {
  EXPECT_EQ(Ipv4Address{0xc0a8030c}.to_string(), "192.168.3.12");
  EXPECT_EQ(Ipv4Address{0}.to_string(), "0.0.0.0");
  EXPECT_EQ(Ipv4Address{0xffffffff}.to_string(), "255.255.255.255");
  EXPECT_EQ(Ipv4Address{0x0a000102}.to_string(), "10.0.1.2");
}

TEST(Ipv4Address, RoundTripsThroughText) {
  for (std::uint32_t value : {0x00000000u, 0x7f000001u, 0xc0a8030cu, 0xe0000001u, 0xffffffffu, 0x01ff10feu}) {
    const Ipv4Address address{value};
    EXPECT_EQ(Ipv4Address::parse(address.to_string()), address) << address.to_string();
  }
}

TEST(Ipv4Address, RejectsMalformedText) {
  for (std::string_view text : {
           "",            // empty
           "1.2.3",       // three parts
           "1.2.3.4.5",   // five parts
           "256.0.0.1",   // > 255
           "1.2.3.256",   // > 255 in the last part
           "1.2.3.1000",  // four digits
           "1..2.3",      // empty part
           ".1.2.3",      // empty first part
           "1.2.3.",      // empty last part
           "...",         // all parts empty
           "a.b.c.d",     // junk
           "1.2.3.4a",    // trailing junk
           "1.2.3.-4",    // sign
           "+1.2.3.4",    // sign
           "0x1.2.3.4",   // hex
           "1,2,3,4",     // wrong separator
           " 1.2.3.4",    // whitespace
           "1.2.3.4 ",    // whitespace
           "1.2.3.4/24",  // an interface, not an address
       }) {
    EXPECT_FALSE(Ipv4Address::parse(text)) << '"' << text << '"';
  }
}

// ---- IPv4 interface (address/prefix) ----------------------------------------------------------------------------

TEST(Ipv4Interface, ParsesAddressAndPrefix) {
  const auto iface = Ipv4Interface::parse("192.168.3.12/24");
  ASSERT_TRUE(iface);
  EXPECT_EQ(iface->address, Ipv4Address{0xc0a8030c});
  EXPECT_EQ(iface->prefix_length, 24);
}

TEST(Ipv4Interface, PrefixDefaultsTo32) {
  const auto iface = Ipv4Interface::parse("10.1.2.3");
  ASSERT_TRUE(iface);
  EXPECT_EQ(iface->address, Ipv4Address{0x0a010203});
  EXPECT_EQ(iface->prefix_length, 32);
}

TEST(Ipv4Interface, AcceptsPrefixBounds) {
  ASSERT_TRUE(Ipv4Interface::parse("0.0.0.0/0"));
  EXPECT_EQ(Ipv4Interface::parse("0.0.0.0/0")->prefix_length, 0);
  ASSERT_TRUE(Ipv4Interface::parse("1.2.3.4/32"));
  EXPECT_EQ(Ipv4Interface::parse("1.2.3.4/32")->prefix_length, 32);
}

TEST(Ipv4Interface, RejectsMalformedText) {
  for (std::string_view text : {
           "",                  // empty
           "/24",               // no address
           "192.168.3.12/",     // no prefix digits
           "192.168.3.12/33",   // prefix > 32
           "192.168.3.12/100",  // prefix > 32
           "192.168.3.12/-1",   // sign
           "192.168.3.12/ 24",  // whitespace
           "192.168.3.12/24x",  // trailing junk
           "192.168.3.12/2/4",  // two slashes
           "192.168.3.12//24",  // two slashes
           "192.168.3/24",      // bad address
           "192.168.3.256/24",  // bad address
           "192.168.3.12:24",   // wrong separator
       }) {
    EXPECT_FALSE(Ipv4Interface::parse(text)) << '"' << text << '"';
  }
}

TEST(Ipv4Interface, Prints) {
  EXPECT_EQ((Ipv4Interface{Ipv4Address{0xc0a8030c}, 24}).to_string(), "192.168.3.12/24");
  EXPECT_EQ((Ipv4Interface{Ipv4Address{0x0a000001}, 32}).to_string(), "10.0.0.1/32");
  EXPECT_EQ(Ipv4Interface::parse("172.16.0.9/12")->to_string(), "172.16.0.9/12");
}

TEST(Ipv4Interface, Netmask) {
  auto mask = [](std::uint8_t prefix) { return Ipv4Interface{Ipv4Address{0xc0a8030c}, prefix}.netmask(); };
  EXPECT_EQ(mask(0), 0x00000000u);
  EXPECT_EQ(mask(1), 0x80000000u);
  EXPECT_EQ(mask(8), 0xff000000u);
  EXPECT_EQ(mask(24), 0xffffff00u);
  EXPECT_EQ(mask(31), 0xfffffffeu);
  EXPECT_EQ(mask(32), 0xffffffffu);
  // Every prefix: exactly `prefix` ones, from the top.
  for (unsigned prefix = 0; prefix <= 32; ++prefix) {
    const std::uint32_t m = mask(static_cast<std::uint8_t>(prefix));
    for (unsigned bit = 0; bit < 32; ++bit) {
      const bool set = ((m >> (31 - bit)) & 1u) != 0;
      EXPECT_EQ(set, bit < prefix) << "prefix " << prefix << ", bit " << bit << " from the top";
    }
  }
}

TEST(Ipv4Interface, SubnetBroadcast) {
  EXPECT_EQ(Ipv4Interface::parse("192.168.3.12/24")->subnet_broadcast(), Ipv4Address{0xc0a803ff});
  EXPECT_EQ(Ipv4Interface::parse("10.1.2.3/8")->subnet_broadcast(), Ipv4Address{0x0affffff});
  EXPECT_EQ(Ipv4Interface::parse("192.168.3.12/30")->subnet_broadcast(), Ipv4Address{0xc0a8030f});
  EXPECT_EQ(Ipv4Interface::parse("192.168.3.12/32")->subnet_broadcast(), Ipv4Address{0xc0a8030c});
  EXPECT_EQ(Ipv4Interface::parse("192.168.3.12/0")->subnet_broadcast(), Ipv4Address{0xffffffff});
}

}  // namespace
