# Shared by setup.sh, test.sh, demo.sh and lint.sh: install what is missing from Debian, then configure and build.

# Debian 12 packages: compiler and build tools, the libraries, the real clients the tests drive (and nftables, which
# drops packets for e2e.tcp_echo where the kernel has no netem; jq, which reads --stats-json, and python3, which
# crafts malformed datagrams, for e2e.tunnel; iperf3 for bench/tunnel_throughput.sh), the linters (scripts/lint.sh),
# clang with its runtimes (libFuzzer) for the fuzz preset.
packages=(
  g++ cmake make pkg-config git
  libfmt-dev libcli11-dev libmnl-dev libpcap-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  iproute2 iputils-ping iputils-arping tcpdump ethtool util-linux netcat-openbsd socat hping3 nftables jq python3
  iperf3
  clang-format clang-tidy clang libclang-rt-14-dev
  libcap-ng-dev libseccomp-dev liburing-dev libsodium-dev
)
# What the packaging tests check with (tests/packaging: man and groff render the man page, bash-completion drives
# the completion, dpkg-dev and lintian build and judge the .deb), and chromium, which renders `explain --html`'s page
# for e2e.explain_html.chromium: test.sh and setup.sh install them, demo.sh not.
test_packages=(man-db groff-base bash-completion lintian dpkg-dev file chromium)

# Prefix for commands that need root: nothing when we are root, else sudo. An array, not a function, so that
# "${as_root[@]}" cmd & gives the command's own PID (a backgrounded function is a subshell that ignores SIGINT).
as_root=()
no_root() { echo "error: '$*' needs root: run this script as root (there is no sudo here)" >&2; return 1; }
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then as_root=(sudo); else as_root=(no_root); fi
fi

# install_missing_packages [MORE-PACKAGES...]: the packages above, and those given.
install_missing_packages() {
  local missing=() p
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build PRESET [CMAKE-BUILD-ARGS...]: configure and build with a preset of CMakePresets.json (release, asan, fuzz,
# demo), in build/PRESET. CMAKE_BUILD_PARALLEL_LEVEL, if set, caps the build jobs (default: one per core).
build() {
  local preset=$1; shift
  echo "== building preset $preset in build/$preset $*"
  (cd "$repo" && cmake --preset "$preset" >/dev/null &&
    cmake --build --preset "$preset" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" "$@")
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
