#include "fuzz_input.hpp"

#include <algorithm>

namespace ministack::fuzz {

std::optional<Record> RecordReader::next() {
  constexpr std::size_t kHeader = 3;
  if (input_.size() - position_ < kHeader) return std::nullopt;
  const std::uint16_t length = load_be16(input_.data() + position_);
  const std::uint8_t step = input_[position_ + 2];
  position_ += kHeader;
  const std::size_t body = std::min<std::size_t>(length & kMaxBody, input_.size() - position_);
  Record r{.step = kStepUnit * step,
           .originate = (length & kOriginateBit) != 0,
           .body = input_.subspan(position_, body)};
  position_ += body;
  return r;
}

void append_record(std::vector<std::uint8_t>& out, Bytes body, Duration step, bool originate) {
  const std::size_t length = std::min(body.size(), kMaxBody);
  const auto steps = std::clamp<Duration::rep>(step / kStepUnit, 0, 255);
  const std::uint16_t field = static_cast<std::uint16_t>(length | (originate ? kOriginateBit : 0));
  out.push_back(static_cast<std::uint8_t>(field >> 8));
  out.push_back(static_cast<std::uint8_t>(field));
  out.push_back(static_cast<std::uint8_t>(steps));
  out.insert(out.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(length));
}

}  // namespace ministack::fuzz
