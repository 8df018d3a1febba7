// JSON-lines event log for convergence studies: one object per line with a wall-clock
// timestamp in microseconds ("ts_us"), the node's name and the event's fields. Written by
// the core thread only; flushed after every batch so a crash loses at most the last batch.
#pragma once

#include <cstdio>
#include <expected>
#include <filesystem>
#include <string>

#include "p2p/net_events.h"

namespace tally::node {

class EventLog {
 public:
  [[nodiscard]] static std::expected<EventLog, std::string> open(const std::filesystem::path& path,
                                                                 std::string node_name);
  EventLog(EventLog&& other) noexcept;
  EventLog& operator=(EventLog&&) = delete;
  ~EventLog();

  void write(const p2p::NetEvent& event, std::int64_t ts_us);
  // A free-form event (node start/stop).
  void write_raw(const std::string& event, const std::string& json_fields, std::int64_t ts_us);
  void flush();

 private:
  EventLog(std::FILE* f, std::string name) : file_(f), name_(std::move(name)) {}
  std::FILE* file_ = nullptr;
  std::string name_;
};

// The event as a JSON object (without the timestamp and node name).
std::string event_json_fields(const p2p::NetEvent& event, std::string& type_out);

}  // namespace tally::node
