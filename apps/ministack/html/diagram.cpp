#include "diagram.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "html_escape.hpp"
#include "stack/wire/fields/dissect.hpp"

namespace ministack {

namespace {

using fields::Field;
using fields::HeaderTable;
using fields::Piece;

constexpr unsigned kRowBits = 32;
constexpr std::size_t kHexLimit = 256;       // bytes of a frame shown in its dump: the headers and then some
constexpr std::size_t kBytesPerBox = 40;     // options up to this long are drawn a byte a box, as RFC 791 does
constexpr std::size_t kSummaryPreview = 16;  // bytes of data shown in its summary row

// What a cell needs to know about its field beyond the table: is it the one objected to, did it change.
struct Marks {
  bool objected = false;
  std::string was;  // the request's value, when it differs
};

std::string bit_ruler() {
  std::string out = "<thead><tr>";
  for (unsigned bit = 0; bit < kRowBits; ++bit) out += fmt::format("<th scope=\"col\">{}</th>", bit);
  return out + "</tr></thead>";
}

// A box of the drawing: `width` bits wide, `rows` rows high, over bytes [first, last] of the packet.
struct Box {
  unsigned width;
  unsigned rows;
  std::size_t first;
  std::size_t last;
};

// The header a field belongs to: where it starts in the packet, its bytes, and the reason of an objection.
struct HeaderContext {
  std::size_t offset;
  Bytes bytes;
  std::string_view reason;
};

// The <td> of `box`; `inner` is HTML already, `title` text.
std::string cell(const Box& box, std::string_view classes, std::string_view title, std::string_view inner) {
  return fmt::format("<td colspan=\"{}\"{} class=\"{}\" data-b=\"{} {}\" tabindex=\"0\" title=\"{}\">{}</td>",
                     box.width, box.rows > 1 ? fmt::format(" rowspan=\"{}\"", box.rows) : "", classes, box.first,
                     box.last, html_escape(title), inner);
}

// The part of `field` that is `width` bits of one row (or `rows` whole rows); its first part carries the name and
// value, the others name it again with "(cont.)": a student tried the page and could not tell what a bare "(cont.)"
// continued.
std::string field_cell(const Field& field, unsigned width, unsigned rows, bool first_part, const HeaderContext& header,
                       const Marks& marks) {
  const std::string value = fields::show_value(field, header.bytes);
  const std::string_view reason = header.reason;
  const Box box{width, rows, header.offset + field.bit_offset / 8,
                header.offset + (field.bit_offset + field.bit_width - 1) / 8};
  std::string classes = field.bit_width <= 2 ? "f narrow" : "f";
  std::string title = fmt::format("{}: {} ({} bits)", field.name, value, field.bit_width);
  if (marks.objected) {
    classes += " bad";
    title += fmt::format("; the stack objected: {}", reason);
  }
  if (!marks.was.empty()) {
    classes += " chg";
    title += fmt::format("; was {} in the request", marks.was);
  }
  std::string inner =
      fmt::format("<span class=\"n\">{}{}</span>", html_escape(field.name), first_part ? "" : " (cont.)");
  if (first_part) inner += fmt::format(" <span class=\"v\">{}</span>", html_escape(value));
  if (first_part && marks.objected) inner += fmt::format(" <span class=\"why\">✗ {}</span>", html_escape(reason));
  if (first_part && !marks.was.empty())
    inner += fmt::format(" <span class=\"was\">was {}</span>", html_escape(marks.was));
  return cell(box, classes, title, inner);
}

// The rows of a table-drawn header. A field that fills whole rows is one cell over them (the rows it covers stay
// empty); others are cut at row ends.
std::string table_rows(const HeaderTable& table, const HeaderContext& header,
                       const std::map<std::string_view, Marks>& marks) {
  std::vector<std::string> rows(1);
  unsigned column = 0;
  const Marks none;
  for (const Field& field : table.fields) {
    const auto found = marks.find(field.name);
    const Marks& mark = found == marks.end() ? none : found->second;
    if (column == 0 && field.bit_offset % kRowBits == 0 && field.bit_width % kRowBits == 0 &&
        field.bit_width > kRowBits) {
      const unsigned spanned = field.bit_width / kRowBits;
      rows.back() += field_cell(field, kRowBits, spanned, true, header, mark);
      rows.resize(rows.size() + spanned);
      continue;
    }
    bool first_part = true;
    for (unsigned left = field.bit_width; left > 0;) {
      const unsigned width = std::min(left, kRowBits - column);
      rows.back() += field_cell(field, width, 1, first_part, header, mark);
      first_part = false;
      left -= width;
      column = (column + width) % kRowBits;
      if (column == 0) rows.emplace_back();
    }
  }
  if (column != 0) rows.back() += fmt::format("<td colspan=\"{}\" class=\"end\"></td>", kRowBits - column);
  if (rows.back().empty()) rows.pop_back();
  std::string out;
  for (const std::string& row : rows) out += "<tr>" + row + "</tr>";
  return out;
}

// Options and data: short runs a byte a box from `column`, longer ones as one summary row.
std::string byte_rows(const Piece& piece, Bytes packet, unsigned column, bool objected, std::string_view reason) {
  const Bytes bytes = packet.subspan(piece.offset, piece.length);
  const std::string classes = objected ? "b bad" : "b";
  std::string out = "<tr>";
  if (column != 0) out += fmt::format("<td colspan=\"{}\" class=\"end\"></td>", column);
  const bool boxes = piece.label.find("options") != std::string::npos ||
                     piece.label.find("extension") != std::string::npos;
  if (!boxes || bytes.size() > kBytesPerBox) {
    std::string preview;
    for (std::size_t i = 0; i < std::min(bytes.size(), kSummaryPreview); ++i)
      preview += fmt::format("{:02x} ", bytes[i]);
    if (bytes.size() > kSummaryPreview) preview += "…";
    const std::string inner =
        fmt::format("<span class=\"n\">{}</span> <span class=\"v\">{}</span> <code>{}</code>{}",
                    html_escape(piece.label), html_escape(piece.summary), preview,
                    objected ? fmt::format(" <span class=\"why\">✗ {}</span>", html_escape(reason)) : "");
    out += cell(Box{kRowBits - column, 1, piece.offset, piece.offset + piece.length - 1}, classes,
                fmt::format("{}: {}", piece.label, piece.summary), inner);
    return out + "</tr>";
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t at = piece.offset + i;
    out += cell(Box{8, 1, at, at}, classes, fmt::format("{} byte {}: 0x{:02x}", piece.label, i, bytes[i]),
                fmt::format("<span class=\"v\">{:02x}</span>", bytes[i]));
    column += 8;
    if (column == kRowBits && i + 1 < bytes.size()) {
      out += "</tr><tr>";
      column = 0;
    }
  }
  if (column % kRowBits != 0) out += fmt::format("<td colspan=\"{}\" class=\"end\"></td>", kRowBits - column);
  return out + "</tr>";
}

// The marks of a table-drawn piece: the objected field, and the fields that differ from the request's same header.
std::map<std::string_view, Marks> marks_for(const Piece& piece, Bytes header, const DiagramOptions& options,
                                            const std::optional<Bytes>& request_header) {
  std::map<std::string_view, Marks> marks;
  for (const Field& field : piece.table->fields) {
    Marks mark;
    mark.objected = options.objection && options.objection->header == piece.label &&
                    options.objection->field == field.name;
    if (request_header) {
      const std::string before = fields::show_value(field, *request_header);
      if (before != fields::show_value(field, header)) mark.was = before;
    }
    if (mark.objected || !mark.was.empty()) marks[field.name] = mark;
  }
  return marks;
}

// The bytes of the request's header drawn by the same table, the same number of times before: what a reply's header
// is compared with.
std::optional<Bytes> matching_header(const std::vector<Piece>& request, Bytes request_bytes, const Piece& piece,
                                     int occurrence) {
  for (const Piece& candidate : request) {
    if (candidate.table != piece.table) continue;
    if (occurrence-- == 0) return request_bytes.subspan(candidate.offset, candidate.length);
  }
  return std::nullopt;
}

std::string trace_list(const std::vector<TraceLine>& lines, std::string_view classes) {
  if (lines.empty()) return "";
  std::string out = fmt::format("<ul class=\"{}\">", classes);
  for (const TraceLine& line : lines) {
    out += fmt::format("<li><span class=\"layer\">{}</span> {}</li>", layer_name(line.layer), html_escape(line.text));
  }
  return out + "</ul>";
}

}  // namespace

std::string hex_dump(Bytes bytes, std::size_t limit) {
  std::string out = "<pre class=\"hex\">";
  const std::size_t shown = std::min(bytes.size(), limit);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i % 16 == 0) out += fmt::format("{}<i>{:04x}</i> ", i == 0 ? "" : "\n", i);
    out += fmt::format("<span>{:02x}</span>{}", bytes[i], i % 16 == 7 ? "  " : " ");
  }
  if (shown < bytes.size()) out += fmt::format("\n… {} more bytes not shown", bytes.size() - shown);
  return out + "</pre>";
}

std::string draw_packet(Bytes packet, const DiagramOptions& options) {
  const std::vector<Piece> pieces = fields::dissect(options.link, packet);
  const std::vector<Piece> request = options.compare_with ? fields::dissect(options.link, *options.compare_with)
                                                          : std::vector<Piece>{};
  std::map<const HeaderTable*, int> seen;
  std::vector<bool> told(static_cast<std::size_t>(Layer::out) + 1, false);  // layers whose lines are drawn
  std::string out = "<div class=\"pkt\">";
  unsigned column = 0;  // where a bytes piece starts: after its header's fixed part (IPv6 extension data)
  for (const Piece& piece : pieces) {
    const bool objected_piece = options.objection && options.objection->header == piece.label &&
                                options.objection->field.empty();
    out += "<div class=\"layer\"><table class=\"hdr\">";
    out += fmt::format("<caption>{}{}{} <small>bytes {}–{}{}</small></caption>", html_escape(piece.label),
                       piece.table && !piece.table->variant.empty() ? fmt::format(" {}", piece.table->variant) : "",
                       piece.table ? fmt::format(" <span class=\"rfc\">({})</span>", piece.table->rfc) : "",
                       piece.offset, piece.offset + piece.length - 1,
                       piece.table && !piece.summary.empty() ? ", " + piece.summary : "");
    out += bit_ruler() + "<tbody>";
    if (piece.table) {
      const Bytes header = packet.subspan(piece.offset, piece.length);
      const auto compare = options.compare_with
                               ? matching_header(request, *options.compare_with, piece, seen[piece.table]++)
                               : std::nullopt;
      out += table_rows(*piece.table, HeaderContext{piece.offset, header, options.objection_reason},
                        marks_for(piece, header, options, compare));
      column = piece.table->bits % kRowBits;
    } else {
      out += byte_rows(piece, packet, column, objected_piece, options.objection_reason);
      column = 0;
    }
    out += "</tbody></table>";
    const auto layer = static_cast<std::size_t>(piece.layer);
    if (!told[layer]) {
      std::vector<TraceLine> lines;
      for (const TraceLine& line : options.trace) {
        if (line.layer == piece.layer) lines.push_back(line);
      }
      out += trace_list(lines, "trace");
      told[layer] = true;
    }
    out += "</div>";
  }
  std::vector<TraceLine> rest;
  for (const TraceLine& line : options.trace) {
    if (!told[static_cast<std::size_t>(line.layer)]) rest.push_back(line);
  }
  out += trace_list(rest, "trace rest");
  return out + hex_dump(packet, kHexLimit) + "</div>";
}

}  // namespace ministack
