#include "devnet/yaml.h"

#include <boost/json.hpp>
#include <cstdio>

namespace tally::devnet {

namespace json = boost::json;

namespace {

// YAML 1.1 reads these (in any case) as booleans or null.
bool special_word(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"};
  for (std::string_view w : kWords) {
    if (w.size() != s.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < w.size() && same; ++i) same = (s[i] | 0x20) == w[i];
    if (same) return true;
  }
  return false;
}

// Plain only when it starts with a letter or '/' (never a number, date, .inf or indicator)
// and holds nothing but letters, digits, '.', '_', '/' and '-'.
bool plain_safe(std::string_view s) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !(letter(s.front()) || s.front() == '/') || special_word(s)) return false;
  for (char c : s)
    if (!(letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '/' || c == '-')) return false;
  return true;
}

// Double-quoted, with JSON's escapes; also escapes what YAML takes as a line break or a
// non-printable character (DEL, NEL, U+2028, U+2029).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[8];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
      out += "\\u0085";
      ++i;
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A literal block scalar keeps the text exactly when it is printable ASCII lines, the first
// one not empty nor starting with a space (that would set the indentation), ending in at most
// one newline.
bool block_safe(std::string_view s) {
  if (s.find('\n') == std::string_view::npos || s.front() == ' ' || s.front() == '\n' || s.ends_with("\n\n"))
    return false;
  for (char c : s)
    if (c != '\n' && (c < 0x20 || c > 0x7e)) return false;
  return true;
}

std::string scalar(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.get_double());
      std::string t = buf;
      // YAML 1.1 wants a '.' in a float ("1.0e+20", not "1e+20").
      if (t.find('.') == std::string::npos) {
        const auto e = t.find('e');
        t.insert(e == std::string::npos ? t.size() : e, ".0");
      }
      return t;
    }
    case json::kind::string: {
      const json::string& s = v.get_string();
      return plain_safe(s) ? std::string(s) : quoted(s);
    }
    default:
      return {};
  }
}

bool nonempty_container(const json::value& v) {
  return (v.is_object() && !v.get_object().empty()) || (v.is_array() && !v.get_array().empty());
}

void write_object(const json::object& o, std::size_t indent, bool first_inline, std::string& out);
void write_array(const json::array& a, std::size_t indent, bool first_inline, std::string& out);

// What follows "key:" or "-": a scalar on the same line, or a block on the next lines.
void write_child(const json::value& v, std::size_t indent, std::string& out) {
  if (v.is_object() && !v.get_object().empty()) {
    out += '\n';
    write_object(v.get_object(), indent, false, out);
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '\n';
    write_array(v.get_array(), indent, false, out);
  } else if (v.is_object()) {
    out += " {}\n";
  } else if (v.is_array()) {
    out += " []\n";
  } else if (v.is_string() && block_safe(v.get_string())) {
    const std::string_view s = v.get_string();
    out += s.ends_with('\n') ? " |\n" : " |-\n";
    std::size_t start = 0;
    while (start < s.size()) {
      auto end = s.find('\n', start);
      if (end == std::string_view::npos) end = s.size();
      if (end > start) out.append(indent, ' ').append(s.substr(start, end - start));
      out += '\n';
      start = end + 1;
    }
  } else {
    out += ' ' + scalar(v) + '\n';
  }
}

void write_object(const json::object& o, std::size_t indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& [key, value] : o) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += scalar(json::value(key)) + ':';
    write_child(value, indent + 2, out);
  }
}

void write_array(const json::array& a, std::size_t indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const json::value& item : a) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += '-';
    if (nonempty_container(item)) {
      // "- key: value" with the rest of the mapping under the first key.
      out += ' ';
      if (item.is_object()) write_object(item.get_object(), indent + 2, true, out);
      else write_array(item.get_array(), indent + 2, true, out);
    } else {
      write_child(item, indent + 2, out);
    }
  }
}

}  // namespace

std::string yaml_document(const json::value& document) {
  std::string out;
  if (document.is_object() && !document.get_object().empty()) write_object(document.get_object(), 0, false, out);
  else if (document.is_array() && !document.get_array().empty()) write_array(document.get_array(), 0, false, out);
  else if (document.is_object()) out = "{}\n";
  else if (document.is_array()) out = "[]\n";
  else out = scalar(document) + "\n";
  return out;
}

std::string yaml_documents(const json::array& documents) {
  std::string out;
  for (const json::value& d : documents) out += "---\n" + yaml_document(d);
  return out;
}

}  // namespace tally::devnet
