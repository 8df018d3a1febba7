#include "node/event_log.h"

#include "p2p/event_record.h"

namespace tally::node {

std::expected<EventLog, std::string> EventLog::open(const std::filesystem::path& path, std::string node_name) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return std::unexpected("cannot open event log " + path.string());
  return EventLog(f, std::move(node_name));
}

EventLog::EventLog(EventLog&& other) noexcept : file_(other.file_), name_(std::move(other.name_)) {
  other.file_ = nullptr;
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

void EventLog::write_line(const events::Event& event) {
  if (!file_) return;
  std::string line = events::to_json_line(event);
  line.push_back('\n');
  std::fputs(line.c_str(), file_);
}

void EventLog::write(const p2p::NetEvent& event, std::int64_t ts_us) {
  write_line(p2p::to_event_record(event, ts_us, name_));
}

void EventLog::write_lifecycle(events::EventType type, std::uint32_t height, std::int64_t ts_us) {
  auto e = events::make_event(type, ts_us, name_);
  e.height = height;
  write_line(e);
}

void EventLog::flush() {
  if (file_) std::fflush(file_);
}

}  // namespace tally::node
