// The result of a view's checked parse(): the view, or the reason the bytes were rejected.
#pragma once

#include <cassert>
#include <optional>

#include "stack/wire/drop_reason.hpp"

namespace ministack {

template <class View>
class Parsed {
 public:
  Parsed(View view) : view_(view) {}              // NOLINT(google-explicit-constructor): reads as a return
  Parsed(DropReason reason) : reason_(reason) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const { return view_.has_value(); }
  const View& operator*() const { return *view_; }
  const View* operator->() const { return &*view_; }
  DropReason reason() const {
    assert(!view_);
    return reason_;
  }

 private:
  std::optional<View> view_;
  DropReason reason_{};
};

}  // namespace ministack
