// Strict readers of JSON object fields for the event schemas: each returns an error naming
// the field when it is missing or of the wrong kind. Internal to tally_events.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tally::events::detail {

std::string missing(std::string_view key);
std::string field_error(std::string_view key, std::string_view what);
std::expected<std::int64_t, std::string> get_count(const boost::json::object& o, std::string_view key);
std::expected<std::uint64_t, std::string> get_uint(const boost::json::object& o, std::string_view key);
std::expected<std::string, std::string> get_string(const boost::json::object& o, std::string_view key);
std::expected<bool, std::string> get_bool(const boost::json::object& o, std::string_view key);
// 64 hex digits, returned in lower case.
std::expected<std::string, std::string> get_hash(const boost::json::object& o, std::string_view key);
// The object of a line, or why the line is not one.
std::expected<boost::json::object, std::string> parse_object(std::string_view line);

}  // namespace tally::events::detail
