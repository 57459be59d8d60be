#include "pcap_replay.hpp"

#include <pcap/pcap.h>

#include <algorithm>

#include <fmt/format.h>

#include "stack/wire/bytes.hpp"

namespace ministack {

namespace {

constexpr int kDltRawBsd = 14;  // DLT_RAW's value on BSD/OS and OpenBSD; both appear in captures
constexpr int kDltIpv4 = 228;
constexpr int kDltLinuxSll = 113;
constexpr int kDltLinuxSll2 = 276;
constexpr std::uint16_t kProtoIpv4 = 0x0800;
constexpr std::uint16_t kProtoIpv6 = 0x86dd;
constexpr std::uint8_t kPacketOutgoing = 4;  // sll_pkttype of a packet the capturing host sent

// The network-layer packet inside a Linux cooked (SLL or SLL2) frame: its IPv4 or IPv6 packet if the host
// received it; empty for anything else.
Bytes cooked_payload(int dlt, Bytes frame) {
  // SLL:  pkttype(2) hatype(2) halen(2) addr(8) protocol(2)              = 16 bytes
  // SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) = 20 bytes
  const std::size_t header = dlt == kDltLinuxSll ? 16 : 20;
  if (frame.size() < header) return {};
  const std::uint8_t* p = frame.data();
  const std::uint16_t protocol = dlt == kDltLinuxSll ? load_be16(p + 14) : load_be16(p);
  const std::uint8_t pkttype = dlt == kDltLinuxSll ? static_cast<std::uint8_t>(load_be16(p)) : p[10];
  if (pkttype == kPacketOutgoing || (protocol != kProtoIpv4 && protocol != kProtoIpv6)) return {};
  return frame.subspan(header);
}

}  // namespace

std::string pcap_library_version() { return pcap_lib_version(); }

PcapReplayDevice::PcapReplayDevice(const std::string& path, std::size_t mtu, ReplaySelection selection)
    : capabilities_{LinkLayer::ethernet, path, mtu, kDltEthernet, true}, max_frames_(selection.max_frames) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_open_offline(path.c_str(), errbuf);
  if (!handle_) {
    // libpcap's message often starts with the path already: say it once.
    std::string_view why = errbuf;
    if (why.starts_with(path + ": ")) why.remove_prefix(path.size() + 2);
    throw DeviceError(fmt::format("cannot read capture {}: {}", path, why));
  }
  input_dlt_ = pcap_datalink(handle_);
  switch (input_dlt_) {
    case kDltEthernet:
      capabilities_.link = LinkLayer::ethernet;
      capabilities_.capture_link_type = kDltEthernet;
      break;
    case kDltRaw:
    case kDltRawBsd:
      capabilities_.link = LinkLayer::ip;
      capabilities_.capture_link_type = kDltRaw;
      break;
    case kDltIpv4:
      capabilities_.link = LinkLayer::ip;
      capabilities_.capture_link_type = kDltIpv4;
      break;
    case kDltLinuxSll:
    case kDltLinuxSll2:
      capabilities_.link = LinkLayer::ip;
      capabilities_.capture_link_type = kDltRaw;
      break;
    default: {
      const char* name = pcap_datalink_val_to_name(input_dlt_);
      pcap_close(handle_);
      throw DeviceError(fmt::format(
          "{} has link type {} ({}), which ministack cannot replay: it reads Ethernet (1), raw IP (101, 12, 14), "
          "IPv4 (228) and Linux cooked (113, 276) captures",
          path, input_dlt_, name ? name : "unknown"));
    }
  }
  compile_filter(selection.filter);
}

void PcapReplayDevice::compile_filter(const std::string& filter) {
  if (filter.empty()) return;
  program_ = std::make_unique<bpf_program>();
  if (pcap_compile(handle_, program_.get(), filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    const std::string why = pcap_geterr(handle_);
    program_.reset();
    pcap_close(handle_);
    handle_ = nullptr;
    throw ReplayFilterError(fmt::format("filter '{}': {}", filter, why));
  }
  filtered_ = true;
}

PcapReplayDevice::~PcapReplayDevice() {
  if (program_) pcap_freecode(program_.get());
  if (handle_) pcap_close(handle_);
}

Received PcapReplayDevice::receive(MutableBytes buffer, std::chrono::milliseconds) {
  if (max_frames_ != 0 && frames_played_ >= max_frames_) return {Received::Status::end};
  for (;;) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == PCAP_ERROR_BREAK) return {Received::Status::end};
    if (rc != 1) {
      throw DeviceError(fmt::format("capture {} is damaged after frame {}: {}", capabilities_.name, frames_read_,
                                    pcap_geterr(handle_)));
    }
    ++frames_read_;
    if (program_ && pcap_offline_filter(program_.get(), header, data) == 0) {
      ++frames_skipped_;
      continue;
    }
    Bytes frame{data, header->caplen};
    if (input_dlt_ == kDltLinuxSll || input_dlt_ == kDltLinuxSll2) {
      frame = cooked_payload(input_dlt_, frame);
      if (frame.empty()) {
        ++frames_skipped_;
        continue;
      }
    }
    // A frame larger than any device could deliver is cut short and flagged, as a live device's is; the loop drops
    // it as frame_too_long. (pcap stores up to 262144 bytes a frame, more than the 65535 + 14 a TAP delivers.)
    const std::size_t n = std::min(frame.size(), buffer.size());
    std::copy_n(frame.begin(), n, buffer.begin());
    const Received::Timestamp ts{std::int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec};
    ++frames_played_;
    return {Received::Status::frame, n, ts, frame.size() > n ? frame.size() : 0, filtered_ ? frames_read_ : 0};
  }
}

}  // namespace ministack
