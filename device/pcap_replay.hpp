// A Device that plays a pcap capture to the stack, frame by frame, and swallows what the stack sends (a
// CaptureDevice wrapped around it records that). No root, no network: any capture can be run through the stack.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "device.hpp"

struct pcap;
struct bpf_program;

namespace ministack {

// Which frames of a capture are played: those a BPF filter matches (tcpdump's syntax, compiled by libpcap for the
// capture's link type), and at most `max_frames` of them (0: all).
struct ReplaySelection {
  std::string filter;
  std::uint64_t max_frames = 0;
};

// libpcap's own words about its version ("libpcap version 1.10.3 (with TPACKET_V3)").
std::string pcap_library_version();

// A --filter or explain filter that libpcap refused: a usage error, not a run-time one.
class ReplayFilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PcapReplayDevice final : public Device {
 public:
  // Opens `path`. Ethernet captures feed the TAP pipeline; raw IP (DLT 12/14, LINKTYPE 101), IPv4 (228) and Linux
  // cooked captures (113, 276: what `tcpdump -i any` writes) the TUN pipeline. Throws DeviceError for an unreadable
  // file or any other link type, naming it.
  // With a filter in `selection`, each frame keeps its number in the file (Received::number), as Wireshark shows it;
  // a filter libpcap cannot compile throws ReplayFilterError with libpcap's message.
  explicit PcapReplayDevice(const std::string& path, std::size_t mtu = 1500, ReplaySelection selection = {});
  ~PcapReplayDevice() override;
  PcapReplayDevice(const PcapReplayDevice&) = delete;
  PcapReplayDevice& operator=(const PcapReplayDevice&) = delete;

  // Named for its file; replays time; written back with the input's own link type, except that cooked captures
  // are written back as raw IP.
  const DeviceCapabilities& capabilities() const override { return capabilities_; }

  // Returns the next frame, `end` after the last one; throws DeviceError if the file is damaged (after all the
  // frames before the damage have been returned).
  Received receive(MutableBytes buffer, std::chrono::milliseconds timeout) override;
  void transmit(Bytes) override { ++transmitted_; }

  std::uint64_t frames_read() const { return frames_read_; }
  // Cooked-capture frames that carry no IP packet (ARP on `any`, ...) or that the host sent itself, and frames the
  // filter left out.
  std::uint64_t frames_skipped() const { return frames_skipped_; }
  std::uint64_t frames_transmitted() const { return transmitted_; }

 private:
  void compile_filter(const std::string& filter);

  DeviceCapabilities capabilities_;
  pcap* handle_ = nullptr;
  int input_dlt_ = 0;
  std::uint64_t frames_read_ = 0;
  std::uint64_t frames_played_ = 0;
  std::uint64_t max_frames_ = 0;
  bool filtered_ = false;
  std::unique_ptr<bpf_program> program_;
  std::uint64_t frames_skipped_ = 0;
  std::uint64_t transmitted_ = 0;
};

}  // namespace ministack
