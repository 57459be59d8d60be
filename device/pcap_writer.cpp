#include "pcap_writer.hpp"

#include <pcap/pcap.h>

#include <fmt/format.h>

namespace ministack {

namespace {
constexpr int kSnapLength = 262144;  // what tcpdump uses: never cut a frame
}

PcapWriter::PcapWriter(const std::string& path, int dlt) : path_(path) {
  handle_ = pcap_open_dead(dlt, kSnapLength);
  if (!handle_) throw DeviceError(fmt::format("libpcap cannot write link type {}", dlt));
  dumper_ = pcap_dump_open(handle_, path.c_str());
  if (!dumper_) {
    std::string why = pcap_geterr(handle_);
    pcap_close(handle_);
    // libpcap's message starts with the path already: say it once.
    if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);
    throw DeviceError(fmt::format("cannot create capture file {}: {}", path, why));
  }
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);
  pcap_close(handle_);
}

void PcapWriter::write(Bytes frame, Received::Timestamp timestamp) {
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(timestamp.count() / 1'000'000);
  header.ts.tv_usec = static_cast<suseconds_t>(timestamp.count() % 1'000'000);
  header.caplen = static_cast<bpf_u_int32>(frame.size());
  header.len = header.caplen;
  // pcap_dump has a pcap_handler's signature: the dumper is passed as the opaque user pointer.
  pcap_dump(static_cast<u_char*>(static_cast<void*>(dumper_)), &header, frame.data());
  if (pcap_dump_flush(dumper_) != 0) throw DeviceError(fmt::format("cannot write to capture file {}", path_));
}

}  // namespace ministack
