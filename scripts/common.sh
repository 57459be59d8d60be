# Shared by setup.sh, test.sh and demo.sh: install what is missing from Debian, then configure and build.

# Debian 12 packages: compiler and build tools, the libraries, and the real clients the tests drive.
packages=(
  g++ cmake make pkg-config
  libfmt-dev libcli11-dev libmnl-dev libpcap-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  iproute2 iputils-ping iputils-arping tcpdump ethtool util-linux netcat-openbsd socat
)

# Prefix for commands that need root: nothing when we are root, else sudo. An array, not a function, so that
# "${as_root[@]}" cmd & gives the command's own PID (a backgrounded function is a subshell that ignores SIGINT).
as_root=()
no_root() { echo "error: '$*' needs root: run this script as root (there is no sudo here)" >&2; return 1; }
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then as_root=(sudo); else as_root=(no_root); fi
fi

install_missing_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  echo "== installing Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [CMAKE-ARGS...]
build() {
  local dir=$1; shift
  echo "== building in $dir $*"
  cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" --parallel "$(nproc)"
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
