#!/usr/bin/env python3
"""Checks the page of `ministack explain --html` against the text trace of the same capture.

  html_check.py page PAGE.html TRACE.txt   well nested, nothing fetched, every frame of the trace present, every drop
                                           marked with its reason in its frame's section
  html_check.py dom DOM.html TRACE.txt     Chromium's DOM (--dump-dom) holds the RFC's field names, and the first
                                           echo request's values as the trace reads them, in that frame's cells
  html_check.py png SHOT.png               the screenshot is not blank: many colours, and ink on a good part of it

The expected values come from the text trace, never from this script: the drawing and the trace are two readings
of the same bytes, and must agree. Exits 1 with the reasons on failure.
"""
import html.parser
import re
import struct
import sys
import zlib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Where an element may appear: a <td> outside a <tr> is a nesting error a browser would silently repair.
PARENTS = {"td": {"tr"}, "th": {"tr"}, "tr": {"thead", "tbody", "tfoot", "table"}, "li": {"ul", "ol"},
           "thead": {"table"}, "tbody": {"table"}, "caption": {"table"}}


class Page(html.parser.HTMLParser):
    """Collects nesting errors, references that would fetch something, and each frame section's text and cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.sections, self.cells = [], [], {}, {}
        self.section, self.cell, self.cell_text = None, None, ""
        self.caption, self.in_caption = "", False  # the header a cell belongs to: its table's caption

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        where = self.getpos()
        if tag in PARENTS and (not self.stack or self.stack[-1] not in PARENTS[tag]):
            self.errors.append(f"line {where[0]}: <{tag}> inside <{self.stack[-1] if self.stack else 'nothing'}>")
        for name in ("src", "href", "action", "poster", "data"):
            value = attrs.get(name) or ""
            if name in attrs and not value.startswith("#"):
                self.errors.append(f"line {where[0]}: <{tag} {name}=\"{value}\"> refers outside the page")
        if tag in ("link", "iframe", "object", "embed", "img", "base"):
            self.errors.append(f"line {where[0]}: <{tag}> may fetch something")
        if tag == "section" and (attrs.get("id") or "").startswith("frame-"):
            self.section = int(attrs["id"][len("frame-"):])
            self.sections[self.section] = ""
            self.cells[self.section] = []
        if tag == "caption":
            self.caption, self.in_caption = "", True
        if tag == "td" and self.section is not None:
            self.cell, self.cell_text = attrs, ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.errors.append(f"line {self.getpos()[0]}: <{tag}/> is not a void element")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "caption":
            self.in_caption = False
        if tag == "td" and self.cell is not None:
            header = self.caption.split(" (")[0].strip()
            self.cells[self.section].append((header, " ".join(self.cell_text.split())))
            self.cell = None
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.section is not None:
            self.sections[self.section] += data
        if self.cell is not None:
            self.cell_text += data
        if self.in_caption:
            self.caption += data


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    page.feed(text)
    page.close()
    if page.stack:
        page.errors.append(f"unclosed at the end: {page.stack}")
    for pattern in (r"url\(", r"@import", r"https?://"):
        if re.search(pattern, text):
            page.errors.append(f"the page holds {pattern}: it may fetch something")
    return page


def read_trace(path):
    """The frames of the text trace: number -> (drop reason or None, the frame's lines)."""
    frames, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"frame (\d+): ", line)
            if m:
                current = int(m.group(1))
                frames[current] = [None, []]
                continue
            if current is None:
                continue
            frames[current][1].append(line.rstrip("\n"))
            m = re.match(r"\s+dropped: (\w+):", line)
            if m and frames[current][0] is None:
                frames[current][0] = m.group(1)
    return frames


def check_page(page_path, trace_path):
    page, frames = parse(page_path), read_trace(trace_path)
    errors = page.errors[:20]
    if not frames:
        errors.append("the trace has no frames: nothing to compare with")
    for number, (drop, _) in frames.items():
        if number not in page.sections:
            errors.append(f"frame {number} has no section")
        elif drop and f"dropped as {drop}" not in page.sections[number]:
            errors.append(f"frame {number} was dropped as {drop}, which its section does not say")
    extra = set(page.sections) - set(frames)
    if extra:
        errors.append(f"sections for frames the trace does not have: {sorted(extra)[:10]}")
    drops = sum(1 for drop, _ in frames.values() if drop)
    return errors, f"{len(frames)} frames, {drops} drops marked"


def cell_value(cells, header, name):
    """The values of the cells labelled `name` in tables of `header` (the label, then the value), in page order."""
    return [text[len(name):].strip() for h, text in cells if h == header and text.startswith(name + " ")]


def check_dom(dom_path, trace_path):
    page, frames = parse(dom_path), read_trace(trace_path)
    errors = []
    echo = None
    for number, (_, lines) in sorted(frames.items()):
        text = "\n".join(lines)
        ip = re.search(r"ipv4 (\S+) > (\S+): header \d+ bytes, checksum (0x[0-9a-f]+) verified, total length (\d+), "
                       r"TTL (\d+), protocol (\d+)", text)
        icmp = re.search(r"echo request id (\d+) seq (\d+)", text)
        if ip and icmp:
            echo = number, ip, icmp
            break
    if echo is None:
        return ["no echo request in the trace"], ""
    number, ip, icmp = echo
    cells = page.cells.get(number, [])
    names = {"Ethernet II": ["Destination Address", "Source Address", "EtherType"],
             "IPv4": ["Version", "IHL", "Type of Service", "Total Length", "Identification", "Flags",
                      "Fragment Offset", "Time to Live", "Protocol", "Header Checksum", "Source Address",
                      "Destination Address"],
             "ICMP": ["Type", "Code", "Checksum", "Identifier", "Sequence Number"]}
    for header, fields in names.items():
        for name in fields:
            if not cell_value(cells, header, name):
                errors.append(f"frame {number}: no {header} cell named {name}")
    expected = {("IPv4", "Source Address"): ip.group(1), ("IPv4", "Destination Address"): ip.group(2),
                ("IPv4", "Header Checksum"): ip.group(3), ("IPv4", "Total Length"): ip.group(4),
                ("IPv4", "Time to Live"): ip.group(5), ("IPv4", "Protocol"): ip.group(6),
                ("ICMP", "Identifier"): icmp.group(1), ("ICMP", "Sequence Number"): icmp.group(2)}
    for (header, name), value in expected.items():
        values = cell_value(cells, header, name)
        # The request comes first in the section; its reply's cells follow. "64" must not pass for "6".
        if not values or values[0].split(" ")[0] != value:
            errors.append(f"frame {number}: {header} {name} shows {values[:1]}, the trace read {value}")
    return errors, f"frame {number}: {len(expected)} values agree with the trace"


def png_pixels(path):
    """Width, height and rows of RGB(A) bytes of an 8-bit non-interlaced PNG (what Chromium writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"PNG depth {depth} colour type {colour} interlace {interlace} not read here")
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # PNG §9.2 filters
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def check_png(path):
    width, height, bpp, rows = png_pixels(path)
    colours, inked, total = set(), 0, 0
    for row in rows[::4]:
        for x in range(0, width * bpp, bpp * 4):
            pixel = row[x:x + 3]
            colours.add(pixel)
            total += 1
            inked += pixel != b"\xff\xff\xff"
    errors = []
    if len(colours) < 8:
        errors.append(f"only {len(colours)} colours: blank")
    if inked < total // 50:
        errors.append(f"only {inked} of {total} sampled pixels are not white: blank")
    return errors, f"{width}x{height}, {len(colours)} colours, {inked}/{total} sampled pixels inked"


def main():
    mode = sys.argv[1]
    errors, summary = {"page": check_page, "dom": check_dom, "png": check_png}[mode](*sys.argv[2:])
    for e in errors:
        print(f"html_check {mode}: {e}")
    if errors:
        sys.exit(1)
    print(f"html_check {mode}: {summary}")


if __name__ == "__main__":
    main()
