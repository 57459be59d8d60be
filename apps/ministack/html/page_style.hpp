// The page's inline style sheet and its one script: a field hovered or focused lights up its bytes in the dump below.
#pragma once

#include <string_view>

namespace ministack::page_style {

// 32 equal columns per header, as the RFCs draw 32 bits; boxes never cut across printed pages (A4 and Letter).
inline constexpr std::string_view kCss = R"css(
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 62em; color: #111; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin: 0 0 .3em; } h3 { font-size: 1em; margin: .8em 0 .3em; }
.frame { border-top: 3px solid #333; padding-top: .5em; margin-top: 1.5em; }
.verdict { font-weight: 600; padding: .2em .5em; border-radius: 3px; display: inline-block; }
.answered { background: #dff3df; } .held, .absorbed { background: #e8eef8; } .dropped { background: #fbe0e0; }
.layer { display: flex; gap: 1em; align-items: flex-start; margin: .4em 0; }
table.hdr { border-collapse: collapse; table-layout: fixed; width: 40em; flex: none; }
table.hdr caption { text-align: left; font-weight: 600; }
table.hdr th { font: 9px monospace; color: #777; font-weight: normal; border: 0; padding: 0; }
table.hdr td { border: 1px solid #444; text-align: center; vertical-align: middle; padding: 2px 1px;
  font-size: 12px; overflow-wrap: anywhere; height: 2.4em; }
td.end { border: 0; background: repeating-linear-gradient(45deg, #fff, #fff 4px, #eee 4px, #eee 8px); }
td .n { color: #333; } td .v { display: block; font: 12px monospace; font-weight: 600; }
td.narrow .n { writing-mode: vertical-lr; font-size: 10px; }
td.b .v { display: inline; } td.b code { font-size: 11px; color: #555; }
td.chg { background: #fff1a8; } td .was { display: block; font-size: 10px; color: #7a5c00; }
td.bad { background: #ffd0d0; outline: 2px solid #c00; } td .why { display: block; font-size: 10px; color: #900; }
td:hover, td:focus, td.on { outline: 2px solid #06c; }
ul.trace { list-style: none; margin: 1.4em 0 0; padding: 0; font: 12px monospace; max-width: 30em; }
ul.trace .layer { color: #06c; display: inline; }
pre.hex { font: 12px monospace; background: #f6f6f6; padding: .4em; overflow-x: auto; }
pre.hex i { color: #888; font-style: normal; } pre.hex span.on { background: #06c; color: #fff; }
.reply { margin-left: 1.5em; border-left: 4px solid #9c9; padding-left: .8em; }
.legend td { height: auto; } dl.legend dt { float: left; width: 6em; clear: left; } dl.legend dd { margin-left: 7em; }
.key { display: inline-block; width: 3em; border: 1px solid #444; text-align: center; }
@media (max-width: 75em) { .layer { flex-direction: column; } }
@media print {
  body { max-width: none; margin: 0; font-size: 11px; }
  .layer { flex-direction: column; } table.hdr { width: 100%; }
  table.hdr, .layer, pre.hex, .verdict { break-inside: avoid; }
  .frame { break-before: auto; break-inside: auto; }
}
)css";

// Lights up the bytes [a, b] of a hovered or focused cell's packet (data-b="a b").
inline constexpr std::string_view kScript = R"js(
function light(e) {
  document.querySelectorAll('.on').forEach(function (s) { s.classList.remove('on'); });
  var c = e.target.closest && e.target.closest('[data-b]');
  if (!c) return;
  var r = c.getAttribute('data-b').split(' ').map(Number), bytes = c.closest('.pkt').querySelectorAll('.hex span');
  for (var i = r[0]; i <= r[1] && i < bytes.length; i++) bytes[i].classList.add('on');
}
document.addEventListener('mouseover', light);
document.addEventListener('focusin', light);
)js";

}  // namespace ministack::page_style
