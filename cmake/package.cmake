# CPack: Debian packages, `cpack -G DEB` in a build directory (tests/packaging/deb_test.sh):
#   ministack      the program (component runtime); its Depends computed by dpkg-shlibdeps from the binary
#   ministack-dev  the library (component development): headers, static archives, CMake package, ministack.pc
# Each package's description starts with its own synopsis line. CPackDeb puts CPACK_PACKAGE_DESCRIPTION_SUMMARY
# before it unless that is CPack's own default, so it is set to that default (else: a second synopsis, lintian's
# description-synopsis-is-duplicated).
set(CPACK_PACKAGE_NAME ministack)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_VENDOR "The ministack authors")
# A placeholder until the project has a list of its own: -DMINISTACK_PACKAGE_MAINTAINER="Name <address>".
set(MINISTACK_PACKAGE_MAINTAINER "ministack maintainers <ministack@example.org>" CACHE STRING
    "The Maintainer field of the .deb packages")
set(CPACK_PACKAGE_CONTACT "${MINISTACK_PACKAGE_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_INSTALL_DIRECTORY ministack)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime development)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ministack)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "userspace TCP/IP stack on TUN/TAP devices and pcap captures
ministack is a small TCP/IP stack in C++20 that runs in one ordinary process.
It opens a Linux TUN or TAP device, reads what the kernel sends, and answers
ARP, IPv4 and IPv6 ping (fragments included), neighbor discovery, UDP and
TCP echo and discard, as the Linux kernel answers them. Every frame it does
not deliver is dropped with a named reason and counted.
.
The same stack replays pcap captures without root, explains every frame
layer by layer (ministack explain), and records what it sends.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME ministack-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "libfmt-dev, libsodium-dev, libpcap-dev, libmnl-dev, liburing-dev, pkg-config")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "userspace TCP/IP stack as a C++20 library (headers, static libraries)
The I/O-free protocol stack of ministack (Ethernet, ARP, IPv4, IPv6, ICMP,
UDP, TCP) and its devices (TUN/TAP, pcap replay and writing), for programs
that want a responder in-process: headers under /usr/include/ministack, a
CMake package (find_package(ministack): ministack::stack, ministack::device)
and a pkg-config file (ministack).")

include(CPack)
