// Indented JSON for people (tally-cli's answers, key files, devnet.json): two spaces per
// level, one member or element per line, doubles in their shortest round-trip form ("1.5",
// not "1.5E0"). Pure function; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace tally::base {

struct PrettyJsonOptions {
  // Arrays of scalars, and arrays of such arrays, stay on one line: [0, 1], [[0, 1], [1, 2]].
  bool scalar_arrays_inline = false;
};

// Without a trailing newline.
std::string pretty_json(const boost::json::value& v, const PrettyJsonOptions& options = {});

}  // namespace tally::base
