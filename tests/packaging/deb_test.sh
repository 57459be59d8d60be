#!/usr/bin/env bash
# The Debian packages CPack builds (cmake/package.cmake): ministack holds the binary, man page, completion and
# copyright, with Depends computed by dpkg-shlibdeps; ministack-dev the headers, archives, CMake package and
# ministack.pc. Both clean of lintian errors; the binary, unpacked into a scratch root, runs from there.
# Usage: deb_test.sh BUILD_DIR PROJECT_VERSION [plain|sanitized]
set -uo pipefail
build=$1 version=$2 kind=${3:-plain}
. "$(dirname "$0")/lib.sh"
[ "$kind" = sanitized ] && skip "a sanitized build (ASan+UBSan): its archives link only into sanitized programs and its package is not one to ship; the release build runs this test"
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || skip "$tool is not installed (Debian: cmake, dpkg-dev)"
done
command -v lintian >/dev/null || skip "lintian is not installed (scripts/common.sh installs it)"

# cpack into a directory of our own, so that parallel runs and the build directory stay apart.
out=$(cd "$build" && cpack -G DEB -B "$workdir/out" 2>&1) || fail "cpack -G DEB failed:"$'\n'"$out"
arch=$(dpkg --print-architecture)
deb=$workdir/out/ministack_${version}_$arch.deb
dev=$workdir/out/ministack-dev_${version}_$arch.deb
[ -f "$deb" ] && [ -f "$dev" ] || fail "cpack made $(ls "$workdir/out"), not ministack and ministack-dev $version"
pass "cpack -G DEB: $(basename "$deb"), $(basename "$dev")"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/ministack ./usr/share/man/man1/ministack.1.gz ./usr/share/bash-completion/completions/ministack \
         ./usr/share/doc/ministack/copyright ./usr/share/doc/ministack/changelog.gz; do
  grep -qx -- "$f" <<<"$contents" || fail "$(basename "$deb") lacks $f:"$'\n'"$contents"
done
grep -q "^./usr/include/" <<<"$contents" && fail "$(basename "$deb") carries headers (they belong to ministack-dev)"
pass "ministack: binary, man page, completion, copyright, changelog; no headers"
dev_contents=$(dpkg-deb -c "$dev" | awk '{print $6}')
for f in ./usr/include/ministack/stack/stack.hpp ./usr/lib/libministack_stack.a \
         ./usr/lib/cmake/ministack/ministackConfig.cmake ./usr/lib/pkgconfig/ministack.pc \
         ./usr/share/doc/ministack-dev/copyright; do
  grep -qx -- "$f" <<<"$dev_contents" || fail "$(basename "$dev") lacks $f:"$'\n'"$dev_contents"
done
pass "ministack-dev: headers, archives, CMake package, ministack.pc, copyright"

info=$(dpkg-deb -f "$deb")
depends=$(dpkg-deb -f "$deb" Depends)
depends_names=$(echo "$depends" | sed 's/ *([^)]*)//g' | tr ',|' '\n\n' | tr -d ' ')
for lib in libc6 libstdc++6 libpcap0.8 libfmt9 libmnl0 liburing2 libsodium23 libcap-ng0 libseccomp2; do
  grep -qxF "$lib" <<<"$depends_names" || fail "Depends does not name $lib: $depends"
done
grep -qx "Section: net" <<<"$info" || fail "the package's section is not net:"$'\n'"$info"
pass "Depends computed by dpkg-shlibdeps: $depends"

# lintian: errors fail the test; warnings are printed for the reader.
for pkg in "$deb" "$dev"; do
  # TMPDIR: lintian leaves its MLDBM files (mldbm-elf-*) behind in the temporary directory; here they go with ours.
  report=$(TMPDIR=$workdir lintian --no-cfg --suppress-tags-from-file /dev/null "$pkg" 2>&1)
  errors=$(echo "$report" | grep '^E: ' || true)
  [ -z "$errors" ] || fail "lintian reports errors in $(basename "$pkg"):"$'\n'"$report"
  pass "lintian $(basename "$pkg"): no errors${report:+; it says:}"
  [ -n "$report" ] && echo "$report" | sed 's/^/    /'
done

# Its Depends are all met here (dpkg checks them, installs nothing).
out=$(dpkg --dry-run -i "$deb" 2>&1) || fail "dpkg --dry-run -i $(basename "$deb") failed:"$'\n'"$out"
pass "dpkg --dry-run -i: every dependency met"

# Installed into a scratch root with dpkg itself (its Depends are this system's, checked above, so not looked for in
# that root's empty database), the binary runs from there with the system's libraries alone. Without root, dpkg
# cannot set owners: the package is unpacked there with dpkg-deb -x instead.
root=$workdir/root
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" && touch "$root/var/lib/dpkg/status"
  out=$(dpkg --root="$root" --force-depends --force-script-chrootless -i "$deb" 2>&1) ||
    fail "dpkg --root=$root -i $(basename "$deb") failed:"$'\n'"$out"
  status=$(dpkg --root="$root" -s ministack 2>&1 | grep '^Status:')
  [ "$status" = "Status: install ok installed" ] || fail "after dpkg --root -i, ministack's status is '$status'"
  pass "dpkg --root=SCRATCH -i: $status"
else
  dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x failed"
  pass "not root: unpacked with dpkg-deb -x"
fi
out=$(env -u LD_LIBRARY_PATH "$root/usr/bin/ministack" --version 2>&1) ||
  fail "the packaged ministack --version failed:"$'\n'"$out"
grep -q "$version" <<<"$out" || fail "the packaged ministack --version did not say $version: $out"
pass "the packaged ministack --version: $(echo "$out" | head -n 1)"
grep -q "^NAME" <<<"$(MANWIDTH=80 man -l "$root/usr/share/man/man1/ministack.1.gz" 2>&1)" ||
  fail "the packaged man page does not render"
pass "the packaged man page renders"
