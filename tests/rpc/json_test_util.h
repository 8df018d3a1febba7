// Test-only comparisons of Boost.JSON values with std::string (Boost.JSON compares a value
// with string literals and string_view, not with std::string), so that EXPECT_EQ reads well.
#pragma once

#include <boost/json/value.hpp>
#include <concepts>
#include <string>

namespace boost::json {
template <class S>
  requires std::same_as<S, std::string>
bool operator==(const value& v, const S& s) {
  return v.is_string() && v.get_string() == s;
}
}  // namespace boost::json
