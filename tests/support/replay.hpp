// Frames through the real event loop: run_event_loop() (apps/ministack/event_loop.hpp) over a device, exactly as
// `ministack --replay` runs a capture (the same loop, the stack's timers included), keeping for every frame what went
// in, what the stack made of it and what the device was given; and the frames of a device read without a stack.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/ministack/event_loop.hpp"
#include "apps/ministack/trace_printer.hpp"
#include "device/device.hpp"
#include "replay_record.hpp"
#include "stack/stack.hpp"
#include "stack/wire/trace.hpp"

namespace ministack::testing {

struct ReplayOptions {
  StackConfig config{};              // the link is the device's
  Tracer* tracer = nullptr;          // set on the stack, as --trace sets a TracePrinter
  TracePrinter* trace = nullptr;     // given to the loop, which heads each frame's trace with it
  LoopObserver* observer = nullptr;  // also told of every frame, after the replay has recorded it
  bool follow_device_mtu = false;    // LoopOptions::follow_device_mtu, as a live run without --mtu
};

// Runs every frame of `device` through a fresh Stack with run_event_loop() until the device has no more, and returns
// them with what the device was given while the stack handled each (a frame the timers sent between frames goes to
// Replay::sent_between_frames). Throws DeviceError as the device does.
Replay replay_device(Device& device, const ReplayOptions& options = {});

// replay_device() over a PcapReplayDevice of `path` (MTU 1500): what `ministack --replay path` does.
Replay replay_capture(const std::string& path, const ReplayOptions& options = {});

// The .pcap files in `dir`, by name, sorted; none if the directory is absent.
std::vector<std::string> pcap_names(const std::filesystem::path& dir);
// A capture's file name as a test name: without ".pcap", every other character but letters and digits as '_'.
std::string capture_test_name(const std::string& file);

// A frame as a device delivered it, read without a stack.
struct DeviceFrame {
  Frame bytes;
  std::chrono::microseconds timestamp{};
};

// Every frame `device` delivers until its end, through a buffer of `buffer_size` bytes (0: the device's own). Throws
// std::runtime_error if the device times out (a recording never does), claims more bytes than the buffer holds, or
// has not ended after `max_frames`.
std::vector<DeviceFrame> read_frames(Device& device, std::size_t buffer_size = 0, std::size_t max_frames = 1'000'000);

}  // namespace ministack::testing
