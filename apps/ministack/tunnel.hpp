// `ministack tunnel`: IP over UDP. Every packet the kernel routes into a TUN device goes to the peer as one UDP
// datagram (the outer IP and UDP headers wrap the inner packet whole: a packet inside a packet), and every datagram
// from the peer that holds one whole IP packet is written into the device. Two hosts running it then share a link
// (the overlay) through any IP network between them (the underlay). Nothing is encrypted or authenticated.
#pragma once

#include <atomic>

#include "log.hpp"
#include "options.hpp"

namespace ministack {

// Sets up the device (created or attached; its MTU, addresses and link unless --no-host-config), the socket and the
// outputs, confines the process, then forwards until `stop`. `stats_request` (SIGUSR1) prints the counters and writes
// --stats-json. Nothing is queued in the process: a packet the socket or the device cannot take at once is dropped
// and counted, so memory stays bounded whatever the peer does. Returns the exit status: 0 when stopped, 1 when setup
// fails or the device is removed.
int run_tunnel(const TunnelOptions& options, Logger& log, const std::atomic<bool>& stop,
               std::atomic<bool>& stats_request);

}  // namespace ministack
