// A fixed-capacity FIFO of bytes: a connection's send queue, from SND.UNA on (sent but unacknowledged, then not yet
// sent). Allocated once, when the connection is established (a half-open one holds none); nothing allocates per
// segment.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/wire/bytes.hpp"

namespace ministack::tcp {

class ByteRing {
 public:
  ByteRing() = default;  // capacity 0 until allocate()
  // Gives an empty ring its capacity, in bytes.
  void allocate(std::size_t capacity) {
    if (size_ != 0) return;
    bytes_.assign(capacity, 0);
    head_ = 0;
  }

  // Gives the memory back: capacity 0 again (a connection in TIME-WAIT or CLOSED has nothing left to send).
  void release() {
    std::vector<std::uint8_t>().swap(bytes_);
    head_ = 0;
    size_ = 0;
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return bytes_.size(); }
  std::size_t free() const { return bytes_.size() - size_; }

  // Appends as much of `data` as fits; returns how much that was.
  std::size_t push(Bytes data) {
    const std::size_t n = std::min(data.size(), free());
    for (std::size_t done = 0; done < n;) {
      const std::size_t at = (head_ + size_) % bytes_.size();
      const std::size_t run = std::min(n - done, bytes_.size() - at);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(done), run,
                  bytes_.begin() + static_cast<std::ptrdiff_t>(at));
      size_ += run;
      done += run;
    }
    return n;
  }
  // Writes `data` into the free space, `gap` bytes past the end, without making it part of the ring: data that
  // arrived out of order, waiting for what comes before it. gap + data.size() <= free().
  void write_ahead(std::size_t gap, Bytes data) {
    for (std::size_t done = 0; done < data.size();) {
      const std::size_t at = (head_ + size_ + gap + done) % bytes_.size();
      const std::size_t run = std::min(data.size() - done, bytes_.size() - at);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(done), run,
                  bytes_.begin() + static_cast<std::ptrdiff_t>(at));
      done += run;
    }
  }
  // Makes the next `n` bytes past the end, written by write_ahead(), part of the ring; n <= free().
  void commit(std::size_t n) { size_ += n; }
  // Copies out.size() bytes starting `offset` bytes from the front; offset + out.size() <= size().
  void copy_out(std::size_t offset, MutableBytes out) const {
    for (std::size_t done = 0; done < out.size();) {
      const std::size_t at = (head_ + offset + done) % bytes_.size();
      const std::size_t run = std::min(out.size() - done, bytes_.size() - at);
      std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(at), run,
                  out.begin() + static_cast<std::ptrdiff_t>(done));
      done += run;
    }
  }
  // Drops `n` bytes from the front (acknowledged); n <= size().
  void pop(std::size_t n) {
    if (n == 0) return;
    head_ = (head_ + n) % bytes_.size();
    size_ -= n;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace ministack::tcp
