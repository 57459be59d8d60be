// Text made safe for HTML element content and quoted attribute values.
#pragma once

#include <string>
#include <string_view>

namespace ministack {

// `text` with &, <, >, " and ' written as character references (HTML Living Standard §13.1.4), so that it reads as
// text in content and in a quoted attribute.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace ministack
