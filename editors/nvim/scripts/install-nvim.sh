#!/bin/bash
# Installs Debian trixie's Neovim 0.10 and sid's mini.test into a private prefix, for the
# plugin's test suite. Nothing is installed system-wide except patchelf (a bookworm package).
# The .debs come from the Debian mirror apt is already configured with; the trixie libc is
# extracted next to nvim and the binary is patched to use it, so the system libc is untouched.
#
# usage: install-nvim.sh PREFIX        (does nothing when PREFIX/bin/nvim already runs)
set -euo pipefail
PREFIX=${1:?usage: install-nvim.sh PREFIX}
SUITE=trixie

if [ -x "$PREFIX/bin/nvim" ] && "$PREFIX/bin/nvim" --version >/dev/null 2>&1 \
    && [ -f "$PREFIX/root/usr/share/neovim-mini.test/lua/mini/test.lua" ]; then
  exit 0
fi

if ! command -v patchelf >/dev/null; then
  # another apt may hold the dpkg lock for a while: wait for it rather than fail
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq patchelf >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$SUITE" "$keyring" "$mirror" sid >"$work/sources.list"
apt_opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update -qq

# neovim's run-time dependencies, plus the libc it was built against, all from the same suite.
pkgs="neovim neovim-runtime libc6 libgcc-s1 libluajit-5.1-2 libluajit-5.1-common libunibilium4
  libuv1t64 lua-lpeg lua-luv libmsgpack-c2 libtree-sitter0.22 libvterm0"
(
  cd "$work/debs"
  for p in $pkgs; do apt-get "${apt_opts[@]}" download -qq "$p/$SUITE"; done
  apt-get "${apt_opts[@]}" download -qq neovim-mini.test/sid
)

rm -rf "$PREFIX"
mkdir -p "$PREFIX/bin"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$PREFIX/root"; done
root=$PREFIX/root
libdir=$root/usr/lib/x86_64-linux-gnu
patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --set-rpath "$libdir" "$root/usr/bin/nvim"
cat >"$PREFIX/bin/nvim" <<WRAP
#!/bin/sh
export VIM=$root/usr/share/nvim VIMRUNTIME=$root/usr/share/nvim/runtime
exec $root/usr/bin/nvim "\$@"
WRAP
chmod +x "$PREFIX/bin/nvim"
"$PREFIX/bin/nvim" --version | head -1
