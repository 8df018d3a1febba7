// The node's JSON-lines event log for convergence studies: one line per event in the schema
// of events/event.h, with a wall-clock timestamp in microseconds. Written by the core thread
// only; flushed after every batch so a crash loses at most the last batch.
#pragma once

#include <cstdio>
#include <expected>
#include <filesystem>
#include <string>

#include "events/event.h"
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
  // node_started / node_stopped at `height`.
  void write_lifecycle(events::EventType type, std::uint32_t height, std::int64_t ts_us);
  void flush();

 private:
  EventLog(std::FILE* f, std::string name) : file_(f), name_(std::move(name)) {}
  void write_line(const events::Event& event);
  std::FILE* file_ = nullptr;
  std::string name_;
};

}  // namespace tally::node
