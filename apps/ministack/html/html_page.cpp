#include "html_page.hpp"

#include <fmt/format.h>

#include "diagram.hpp"
#include "html_escape.hpp"
#include "objections.hpp"
#include "page_style.hpp"

namespace ministack {

namespace {

constexpr std::string_view kHowToRead = R"html(<section id="how">
<h2>How to read this page</h2>
<p>Each frame of the capture is drawn as the RFCs draw headers: one table per header, 32 bits to a row (the small
numbers on top are bit positions), each box as wide as its field's bits, with the RFC's name for the field and its
value in this frame. Headers are stacked as they lie on the wire: Ethernet, then ARP or IPv4/IPv6 (and their
options), then ICMP, UDP or TCP, then the data, summarised. Beside each header are the lines the stack's trace wrote
at that layer, as <code>ministack explain</code> prints them. Under a frame the stack answered, each frame it sent is
drawn the same way. Hover over a box, or move to it with Tab, to light up its bytes in the hex dump below the
packet.</p>
<table class="hdr legend"><caption>Legend</caption><tbody><tr>
<td class="f"><span class="n">Field</span> <span class="v">value</span></td>
<td class="f chg"><span class="n">changed</span> <span class="v">in the reply</span></td>
<td class="f bad"><span class="n">objected to</span> <span class="v">by the stack</span></td>
<td class="end">not part of the header</td>
</tr></tbody></table>
<p>Verdicts: <span class="verdict answered">answered</span> the stack sent something in answer;
<span class="verdict held">held</span> a fragment kept until its datagram is whole;
<span class="verdict absorbed">absorbed</span> taken into the stack's state, nothing to send;
<span class="verdict dropped">dropped</span> not delivered, with the reason, what it means and the rule behind it.</p>
</section>
)html";

std::string clock_time(std::chrono::microseconds since_epoch) {
  const auto us = since_epoch.count();
  const auto day_us = us % (24LL * 3600 * 1'000'000);
  return fmt::format("{:02}:{:02}:{:02}.{:06} UTC", day_us / 3'600'000'000LL, day_us / 60'000'000 % 60,
                     day_us / 1'000'000 % 60, day_us % 1'000'000);
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::answered: return "answered";
    case Outcome::held: return "held";
    case Outcome::absorbed: return "absorbed";
    case Outcome::dropped: return "dropped";
  }
  return "dropped";
}

std::string frames(std::size_t n) { return fmt::format("{} frame{}", n, n == 1 ? "" : "s"); }

// The one-line verdict, as the -v log writes it.
std::string verdict_text(const Verdict& verdict) {
  switch (verdict.outcome) {
    case Outcome::dropped: {
      const auto info = describe(*verdict.drop);
      return fmt::format("dropped as {}: {} ({}){}", info.name, info.meaning, info.rule,
                         verdict.frames_sent ? fmt::format("; {} sent", frames(verdict.frames_sent)) : "");
    }
    case Outcome::held: return "held: a fragment waiting for the rest of its datagram";
    case Outcome::absorbed: return "absorbed: taken into the stack's state, nothing to send";
    case Outcome::answered: return fmt::format("answered: {} sent", frames(verdict.frames_sent));
  }
  return "";
}

std::string frame_section(const FrameRecord& record, LinkLayer link) {
  std::string out;
  if (record.index == 0) {
    out += "<section class=\"frame\"><h2>Sent by the stack on its own <small>(its timers, between frames)</small></h2>";
  } else {
    out += fmt::format("<section class=\"frame\" id=\"frame-{}\"><h2>Frame {} <small>· {} · {} bytes</small></h2>",
                       record.index, record.index, clock_time(record.time), record.received.size());
  }
  DiagramOptions options;
  options.link = link;
  options.trace = record.trace;
  if (record.verdict) {
    const Verdict& verdict = *record.verdict;
    out += fmt::format("<p class=\"verdict {}\">{}</p>", outcome_name(verdict.outcome),
                       html_escape(verdict_text(verdict)));
    if (verdict.drop) {
      options.objection = objection_of(*verdict.drop);
      options.objection_reason = std::string(describe(*verdict.drop).name);
    }
  }
  for (const DropReason reason : record.drops) {
    if (record.verdict && record.verdict->drop == reason) continue;
    const auto info = describe(reason);
    out += fmt::format("<p class=\"verdict dropped\">also dropped as {}: {} ({})</p>", info.name,
                       html_escape(info.meaning), html_escape(info.rule));
  }
  if (!record.received.empty()) out += "<h3>Received</h3>" + draw_packet(record.received, options);
  DiagramOptions reply;
  reply.link = link;
  if (!record.received.empty()) reply.compare_with = Bytes{record.received};
  for (std::size_t i = 0; i < record.sent.size(); ++i) {
    out += fmt::format("<div class=\"reply\"><h3>Sent {} of {}: {} bytes{}</h3>", i + 1, record.sent.size(),
                       record.sent[i].size(), reply.compare_with ? ", fields that differ from the request marked" : "");
    out += draw_packet(record.sent[i], reply) + "</div>";
  }
  return out + "</section>\n";
}

// The counts at the top and a list of frames to jump to.
std::string contents(const std::vector<FrameRecord>& records) {
  std::size_t counts[4] = {};
  std::string list = "<nav><h2>Frames</h2><ol class=\"toc\">";
  for (const FrameRecord& record : records) {
    if (record.index == 0 || !record.verdict) continue;
    ++counts[static_cast<int>(record.verdict->outcome)];
    const std::string what = record.verdict->drop ? std::string(describe(*record.verdict->drop).name)
                                                  : std::string(outcome_name(record.verdict->outcome));
    list +=
        fmt::format("<li value=\"{}\"><a href=\"#frame-{}\">frame {}</a>: <span class=\"verdict {}\">{}</span></li>",
                    record.index, record.index, record.index, outcome_name(record.verdict->outcome), what);
  }
  return fmt::format("<p>{} answered, {} held, {} absorbed, {} dropped.</p>",
                     counts[static_cast<int>(Outcome::answered)], counts[static_cast<int>(Outcome::held)],
                     counts[static_cast<int>(Outcome::absorbed)], counts[static_cast<int>(Outcome::dropped)]) +
         list + "</ol></nav>\n";
}

}  // namespace

std::string render_page(const PageSource& source, const std::vector<FrameRecord>& records) {
  const std::string title = html_escape(fmt::format("ministack explain {}", source.capture));
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head>"
      "<body><h1>{}</h1>\n",
      title, page_style::kCss, title);
  out += kHowToRead;
  out += contents(records);
  for (const FrameRecord& record : records) out += frame_section(record, source.link);
  return out + fmt::format("<script>{}</script></body></html>\n", page_style::kScript);
}

}  // namespace ministack
