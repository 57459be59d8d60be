// Writes frames to a pcap file through libpcap (pcap_open_dead + pcap_dump), readable by tcpdump and Wireshark.
#pragma once

#include <string>

#include "device.hpp"

struct pcap;
struct pcap_dumper;

namespace ministack {

class PcapWriter {
 public:
  // Creates (truncates) `path` for frames of libpcap link type `dlt`. Throws DeviceError if it cannot.
  PcapWriter(const std::string& path, int dlt);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one frame and flushes it to the file at once, so Ctrl-C, SIGTERM or a crash loses nothing already
  // written.
  void write(Bytes frame, Received::Timestamp timestamp);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
};

}  // namespace ministack
