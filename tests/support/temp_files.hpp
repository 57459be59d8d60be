// Temporary files for tests that write real files: a directory of their own, and an unnamed stdio file.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ministack::testing {

// A fresh directory under the system's temporary directory, removed with everything in it when it goes.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "ministack-test") {
    std::string leaf(prefix);
    leaf.append(".XXXXXX");  // append, not +: GCC 12's -Wstringop-overflow misfires on the inlined operator+
    std::string pattern = (std::filesystem::temp_directory_path() / leaf).string();
    if (!::mkdtemp(pattern.data())) {
      throw std::runtime_error("cannot create a temporary directory " + pattern + ": " + std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  // The names of what the directory holds, in no particular order.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

// A std::tmpfile, closed (and so gone) when it goes.
class TempFile {
 public:
  TempFile() : file_(std::tmpfile()) {
    if (!file_) throw std::runtime_error(std::string("cannot create a temporary file: ") + std::strerror(errno));
  }
  ~TempFile() { std::fclose(file_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::FILE* get() const { return file_; }

  // What has reached the file itself from byte `from` on: read through the descriptor, past stdio's buffer, so that
  // what the writer did not flush is not seen.
  std::string written(long from = 0) const {
    std::string out;
    char buffer[4096];
    off_t offset = from;
    for (;;) {
      const ssize_t n = ::pread(::fileno(file_), buffer, sizeof buffer, offset);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      offset += n;
    }
    return out;
  }

 private:
  std::FILE* file_;
};

}  // namespace ministack::testing
