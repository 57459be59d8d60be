// One line that says what a frame is, as tcpdump would: who sent what to whom ("192.168.3.11 > 192.168.3.12 ICMP
// echo request id 7 seq 1"), for the -v log. Read from the raw bytes, so that a frame the stack will drop for a bad
// checksum or length is still named.
#pragma once

#include <chrono>
#include <string>

#include "stack/wire/bytes.hpp"
#include "stack/wire/link_layer.hpp"

namespace ministack {

// What `frame` (an Ethernet frame on `ethernet`, else a bare IP packet) carries, in a few words; never throws, and
// says "truncated" where the bytes end early.
std::string frame_summary(LinkLayer link, Bytes frame);

// "21:40:01.123": the time of day in UTC of `since_epoch`. UTC, as the trace prints it, and because a confined
// process may not open /etc/localtime.
std::string time_of_day(std::chrono::microseconds since_epoch);

}  // namespace ministack
