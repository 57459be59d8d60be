// The page of `explain --html` (apps/ministack/html): the field a drop objects to is marked with the reason, a
// reply's changed fields and only those are marked with their old value, text from the trace is escaped, and each
// cell points at its field's bytes.
#include <gtest/gtest.h>

#include <string>

#include "html/html_escape.hpp"
#include "html/html_page.hpp"
#include "packets.hpp"

namespace ministack {
namespace {

using packets::Frame;

FrameRecord record(std::uint64_t index, const Frame& frame, Verdict verdict) {
  FrameRecord r;
  r.index = index;
  r.received = frame;
  r.verdict = verdict;
  return r;
}

// The opening <td ...> tag of the cell whose name span reads `name` in the table whose caption starts `header`,
// within the frame's section: the n-th such cell (0: the request's; 1: the first reply's).
std::string cell_tag(const std::string& page, const std::string& header, const std::string& name, int n = 0) {
  std::size_t at = 0;
  for (int seen = 0;; ++seen) {
    at = page.find("<caption>" + header + " ", at);
    if (at == std::string::npos) return "";
    const std::size_t table_end = page.find("</table>", at);
    const std::size_t label = page.find("<span class=\"n\">" + name + "</span>", at);
    if (label != std::string::npos && label < table_end) {
      if (seen == n) return page.substr(page.rfind("<td ", label), label - page.rfind("<td ", label));
    } else {
      --seen;
    }
    at = table_end;
  }
}

TEST(HtmlPage, MarksTheFieldTheDropObjectsTo) {
  const Frame frame = packets::echo_request_frame({}, {.bad_checksum = true});
  const std::string page = render_page({"x.pcap", LinkLayer::ethernet},
                                       {record(1, frame, {0, DropReason::ip_bad_checksum, Outcome::dropped})});
  const std::string checksum = cell_tag(page, "IPv4", "Header Checksum");
  ASSERT_FALSE(checksum.empty()) << page;
  EXPECT_NE(checksum.find("bad"), std::string::npos) << checksum;
  EXPECT_NE(checksum.find("ip_bad_checksum"), std::string::npos) << checksum;
  EXPECT_EQ(cell_tag(page, "IPv4", "Time to Live").find("bad"), std::string::npos);
  EXPECT_NE(page.find("dropped as ip_bad_checksum: IPv4 header checksum does not verify (RFC 1122 §3.2.1.2)"),
            std::string::npos);
}

TEST(HtmlPage, MarksWhatTheReplyChangedAndNothingElse) {
  const Frame request = packets::echo_request_frame({}, {.ttl = 64});
  const Frame reply =
      packets::echo_request_frame({.type = 0}, {.ttl = 63, .source = packets::kOurIp, .destination = packets::kPeerIp});
  FrameRecord r = record(1, request, {1, std::nullopt, Outcome::answered});
  r.sent.push_back(reply);
  const std::string page = render_page({"x.pcap", LinkLayer::ethernet}, {r});
  const std::string ttl = cell_tag(page, "IPv4", "Time to Live", 1);
  EXPECT_NE(ttl.find("chg"), std::string::npos) << ttl;
  EXPECT_NE(ttl.find("was 64"), std::string::npos) << ttl;
  EXPECT_NE(cell_tag(page, "IPv4", "Source Address", 1).find("chg"), std::string::npos);
  EXPECT_NE(cell_tag(page, "ICMP", "Type", 1).find("was 8 (echo request)"), std::string::npos);
  EXPECT_EQ(cell_tag(page, "IPv4", "Protocol", 1).find("chg"), std::string::npos);
  EXPECT_EQ(cell_tag(page, "ICMP", "Identifier", 1).find("chg"), std::string::npos);
  EXPECT_EQ(cell_tag(page, "IPv4", "Time to Live", 0).find("chg"), std::string::npos) << "the request is not marked";
}

TEST(HtmlPage, CellsPointAtTheirFieldsBytes) {
  const std::string page = render_page({"x.pcap", LinkLayer::ethernet}, {record(1, packets::echo_request_frame(),
                                                                                {1, std::nullopt, Outcome::answered})});
  // Behind 14 bytes of Ethernet: TTL is IPv4's byte 8, the addresses bytes 12-15 and 16-19.
  EXPECT_NE(cell_tag(page, "IPv4", "Time to Live").find("data-b=\"22 22\""), std::string::npos);
  EXPECT_NE(cell_tag(page, "IPv4", "Source Address").find("data-b=\"26 29\""), std::string::npos);
  EXPECT_NE(cell_tag(page, "Ethernet II", "EtherType").find("data-b=\"12 13\""), std::string::npos);
}

TEST(HtmlPage, EscapesWhatItQuotes) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  FrameRecord r = record(1, packets::echo_request_frame(), {0, std::nullopt, Outcome::absorbed});
  r.trace.push_back({Layer::ipv4, "<script>alert(1)</script>"});
  const std::string page = render_page({"<x>.pcap", LinkLayer::ethernet}, {r});
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_NE(page.find("<title>ministack explain &lt;x&gt;.pcap</title>"), std::string::npos);
}

}  // namespace
}  // namespace ministack
