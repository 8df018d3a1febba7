#!/usr/bin/env bash
# Builds the OCI image tally:<version> from Debian 12 packages only (no registry is reachable
# here, so no base image is pulled):
#   1. mmdebstrap makes a minimal bookworm root (the Essential packages, merged /usr, no docs,
#      man pages or locales) with the runtime libraries of tallyd, tally-cli and tally-devnet,
#      and a non-root user `tally` (uid 10001) whose home is the datadir volume /data. This
#      base is cached in ~/.cache/tally-image by its package list, so later builds are offline.
#   2. The built binaries (stripped), the chain specs and the devnet keys are appended.
#   3. podman imports the tarball with the image settings (user, volume, ports, entrypoint).
#
# Usage: bash scripts/image.sh [--build-dir build/release] [--tag tally:VERSION] [--rebuild-base]
# Prints the tag and the image's size. Needs root (rootful podman; docs/DEVNET.md, "Containers").
# The image runs `tallyd --datadir=/data --bind=0.0.0.0 --rpcbind=0.0.0.0 --rpcallowip=0.0.0.0/0
# --printtoconsole=1` unless given other arguments; a mounted /data/tally.conf configures it;
# `tally-cli --datadir /data health` is its health check (GET /health).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build/release
tag=""
rebuild_base=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --rebuild-base) rebuild_base=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "image.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (rootful podman and mmdebstrap's root mode)"
for tool in mmdebstrap podman strip; do
  command -v "$tool" >/dev/null || die "$tool is missing: run bash scripts/install-deps.sh"
done
bin="$build_dir/bin"
for b in tallyd tally-cli tally-devnet; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: build first (cmake --preset release && cmake --build --preset release)"
done
# A sanitizer build needs its runtime, which the image does not carry. (ldd's output is read
# whole first: `ldd | grep -q` under pipefail fails when grep exits before ldd is done writing,
# and a sanitizer tallyd then slipped into the image.)
libs="$(ldd "$bin/tallyd")"
if grep -q -E 'libasan|libtsan|libubsan' <<<"$libs"; then
  die "$bin/tallyd is a sanitizer build; the image takes a release build"
fi
version="$("$bin/tallyd" --version | awk '{print $2}')"
[ -n "$tag" ] || tag="tally:$version"

# --- 1. the base root, cached by its recipe ------------------------------------------------
packages=(libcrypto++8 libsecp256k1-1 libssl3 libsnappy1v5 zlib1g libbz2-1.0 liblz4-1 libzstd1
          libspdlog1.10 libfmt9 libboost-json1.81.0)
excludes=('/usr/share/man/*' '/usr/share/doc/*' '/usr/share/locale/*' '/usr/share/info/*' '/usr/share/lintian/*'
          '/usr/lib/x86_64-linux-gnu/gconv/*')  # quoted: dpkg's patterns, not the host's files
recipe="bookworm essential merged-usr uid10001 ${packages[*]} ${excludes[*]}"
key="$(printf '%s' "$recipe" | sha256sum | cut -c1-16)"
cache="${TALLY_IMAGE_CACHE:-$HOME/.cache/tally-image}"
base="$cache/base-$key.tar"
mkdir -p "$cache"
if [ "$rebuild_base" = 1 ] || [ ! -s "$base" ]; then
  echo "image.sh: making the Debian 12 base root with mmdebstrap (about a minute) ..." >&2
  dpkgopts=()
  for e in "${excludes[@]}"; do dpkgopts+=("--dpkgopt=path-exclude=$e"); done
  include="$(IFS=,; echo "${packages[*]}")"
  mmdebstrap --quiet --variant=essential --include="$include" "${dpkgopts[@]}" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --customize-hook='echo "tally:x:10001:" >> "$1/etc/group"' \
    --customize-hook='echo "tally:x:10001:10001:Tally node:/data:/usr/sbin/nologin" >> "$1/etc/passwd"' \
    --customize-hook='mkdir -p "$1/data" "$1/etc/tally" "$1/usr/share/tally" && chown 10001:10001 "$1/data" && chmod 0750 "$1/data"' \
    --customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists" "$1/var/log"/*' \
    bookworm "$cache/partial-$key.tar" http://deb.debian.org/debian  # the .tar suffix chooses the format
  mv "$cache/partial-$key.tar" "$base"
fi

# --- 2. the binaries and the chain specs -------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/add/usr/local/bin" "$work/add/usr/share/tally"
for b in tallyd tally-cli tally-devnet; do strip -o "$work/add/usr/local/bin/$b" "$bin/$b"; done
cp genesis/devnet.json genesis/devnet-keys.json "$work/add/usr/share/tally/"
cp "$base" "$work/root.tar"
# Files only, named as mmdebstrap names its entries: a directory twice is refused by the import.
tar --append -f "$work/root.tar" -C "$work/add" --owner=0 --group=0 --numeric-owner \
  ./usr/local/bin/tallyd ./usr/local/bin/tally-cli ./usr/local/bin/tally-devnet \
  ./usr/share/tally/devnet.json ./usr/share/tally/devnet-keys.json

# --- 3. the image -------------------------------------------------------------------------
podman rmi --force "$tag" >/dev/null 2>&1 || true
podman import --quiet \
  --change 'USER 10001:10001' \
  --change 'WORKDIR /data' \
  --change 'VOLUME /data' \
  --change 'ENV HOME=/data PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'EXPOSE 17077/tcp' --change 'EXPOSE 17078/tcp' \
  --change 'STOPSIGNAL SIGTERM' \
  --change "LABEL org.opencontainers.image.title=tally org.opencontainers.image.version=$version tally.healthcheck=\"tally-cli --datadir /data health\"" \
  --change 'ENTRYPOINT ["/usr/local/bin/tallyd"]' \
  --change 'CMD ["--datadir=/data", "--bind=0.0.0.0", "--rpcbind=0.0.0.0", "--rpcallowip=0.0.0.0/0", "--printtoconsole=1"]' \
  "$work/root.tar" "$tag" >/dev/null
size="$(podman image inspect --format '{{.Size}}' "$tag")"
echo "image.sh: built $tag, $((size / 1000000)) MB" >&2
echo "$tag"
