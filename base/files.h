// Whole-file reads and atomic whole-file writes, with errors as values (a message naming the
// path). Used by the daemon and by every tool. Thread-safe (no shared state).
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace tally::base {

// Writes `content` to `path` atomically (temporary file beside it, then rename), so a reader
// sees the old content or the new one, never a part.
[[nodiscard]] std::expected<void, std::string> write_file_atomic(const std::filesystem::path& path,
                                                                 const std::string& content);
[[nodiscard]] std::expected<std::string, std::string> read_file(const std::filesystem::path& path);
// Creates `path` with mode 0600 from the first byte (secrets: key files) holding `content`,
// synced. Refuses to overwrite an existing file, so a key is never lost to a typo. Atomic:
// `path` appears with its whole content or not at all, also when the process is killed
// midway (the content goes to an unnamed file, linked at `path` once written).
[[nodiscard]] std::expected<void, std::string> write_new_private_file(const std::filesystem::path& path,
                                                                      const std::string& content);

// ~/.tally (or ./.tally without HOME): where datadirs go unless told otherwise.
std::filesystem::path default_datadir_root();

}  // namespace tally::base
