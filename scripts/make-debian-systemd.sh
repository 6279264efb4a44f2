#!/usr/bin/env bash
# scripts/make-debian-systemd.sh — build the Debian 12 + systemd test image and push it.
#
# As root:  scripts/make-debian-systemd.sh [--registry ADDR] [--cache-dir DIR] [--no-push]
#
# 1. debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,procps
#    bookworm into DIR/debian-systemd-<key>/rootfs, where <key> hashes every input (suite,
#    variant, packages, arch, mirror, RECIPE). A "done" marker is written last; a directory
#    without it (killed or failed build) is unmounted, removed and built again.
#    Mirror: the first "URIs:" of a bookworm stanza in /etc/apt/sources.list.d/*.sources,
#    else the first "deb URI bookworm" line of /etc/apt/sources.list, else deb.debian.org.
# 2. Fits the rootfs to a container: empty /etc/machine-id (systemd fills it), no
#    /etc/hostname, no /etc/resolv.conf (the engine provides it), root's password locked,
#    apt lists and caches removed; checks /sbin/init -> systemd.
# 3. make-images.py --rootfs-image pushes it as REGISTRY/debian-systemd:bookworm and :latest
#    (Docker schema 2, one gzip layer, Cmd ["/sbin/init"], StopSignal SIGRTMIN+3, PATH env).
#    The gzip layer is cached next to the rootfs (same key), so re-seeding only uploads.
# Prints the duration of each step. Serialised by flock on DIR/debian-systemd.lock.
# Environment: HUTCH_TEST_REGISTRY (default 127.0.0.1:5000), HUTCH_DEBIAN_MIRROR (override).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REGISTRY=${HUTCH_TEST_REGISTRY:-127.0.0.1:5000}
CACHE=/var/cache/hutch-test
PUSH=1
while (($#)); do
  case $1 in
    --registry) REGISTRY=$2; shift 2 ;;
    --cache-dir) CACHE=$2; shift 2 ;;
    --no-push) PUSH=0; shift ;;
    *) echo "usage: $0 [--registry ADDR] [--cache-dir DIR] [--no-push]" >&2; exit 2 ;;
  esac
done

SUITE=bookworm
VARIANT=minbase
INCLUDE=systemd,systemd-sysv,dbus,iproute2,procps
# Bump when the post-processing below changes (invalidates every cached rootfs and layer).
RECIPE=1
IMAGE=debian-systemd
TAGS=bookworm,latest

log() { printf '[debian-systemd] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap)"
command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install debootstrap (scripts/setup-host.sh does)"

# ------------------------------------------------------------------ mirror
find_mirror() {
  local m=
  if [[ -n ${HUTCH_DEBIAN_MIRROR:-} ]]; then echo "$HUTCH_DEBIAN_MIRROR"; return; fi
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    # deb822: stanzas separated by blank lines; take URIs of a stanza whose Suites has $SUITE.
    m=$(awk -v suite="$SUITE" '
      function flush() { if (uri != "" && has && deb && !found) { print uri; found = 1 } uri = ""; has = 0; deb = 0 }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "uris:"   { uri = $2 }
      tolower($1) == "types:"  { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
      END { flush() }' "$f")
    [[ -n $m ]] && { echo "$m"; return; }
  done
  if [[ -f /etc/apt/sources.list ]]; then
    # "deb [opts] URI SUITE components..."
    m=$(awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                if ($(i+1) == suite) { print $i; exit } }' /etc/apt/sources.list)
    [[ -n $m ]] && { echo "$m"; return; }
  fi
  echo http://deb.debian.org/debian
}
MIRROR=$(find_mirror)
ARCH=$(dpkg --print-architecture)
KEY=$(printf '%s\n' "suite=$SUITE" "variant=$VARIANT" "include=$INCLUDE" "arch=$ARCH" \
  "mirror=$MIRROR" "recipe=$RECIPE" | sha256sum | cut -c1-16)
DIR=$CACHE/$IMAGE-$KEY
ROOTFS=$DIR/rootfs
DONE=$DIR/done

mkdir -p "$CACHE"
exec 9>"$CACHE/$IMAGE.lock"
flock 9

# unmount_under PATH: lazily unmount everything mounted at or below PATH (deepest first),
# e.g. the /proc and /sys a killed debootstrap left in the target.
unmount_under() {
  local p=$1 m
  awk -v p="$p" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" || true; done
}

# ------------------------------------------------------------------ 1. rootfs
total0=$(now)
if [[ -f $DONE ]]; then
  log "cached rootfs $ROOTFS (key $KEY, $(du -sh "$ROOTFS" 2>/dev/null | cut -f1))"
else
  if [[ -e $DIR ]]; then
    log "removing half-made cache $DIR"
    unmount_under "$DIR"
    rm -rf --one-file-system "$DIR"
  fi
  mkdir -p "$DIR"
  log "debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE $ROOTFS $MIRROR"
  t0=$(now)
  if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" --arch="$ARCH" \
      "$SUITE" "$ROOTFS" "$MIRROR" >"$DIR/debootstrap.out" 2>&1; then
    tail -n 30 "$DIR/debootstrap.out" >&2
    [[ -f $ROOTFS/debootstrap/debootstrap.log ]] && tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" >&2
    unmount_under "$DIR"
    die "debootstrap failed (log above; cache $DIR left incomplete, removed on the next run)"
  fi
  unmount_under "$ROOTFS"
  log "debootstrap took $(since "$t0")"

  t0=$(now)
  # Container fit. machine-id: empty file => systemd generates one at boot (and a
  # container engine may bind one over it); no hostname so the engine's -h wins.
  : >"$ROOTFS/etc/machine-id"
  rm -f "$ROOTFS/var/lib/dbus/machine-id"
  ln -s /etc/machine-id "$ROOTFS/var/lib/dbus/machine-id"
  rm -f "$ROOTFS/etc/hostname" "$ROOTFS/etc/resolv.conf"
  chroot "$ROOTFS" passwd -l root >/dev/null
  chroot "$ROOTFS" apt-get clean
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
    "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/lib/dpkg/*-old "$ROOTFS/debootstrap"
  mkdir -p "$ROOTFS/var/lib/apt/lists/partial"
  # Logs of the bootstrap itself are host noise in an image.
  find "$ROOTFS/var/log" -type f -exec truncate -s 0 {} +
  # The link is absolute (/lib/systemd/systemd): resolve it inside the rootfs.
  init=$(chroot "$ROOTFS" readlink -f /sbin/init || true)
  [[ $init == */systemd/systemd ]] || die "/sbin/init in $ROOTFS resolves to '$init', not systemd"
  touch "$DONE"
  log "container fit took $(since "$t0"); rootfs $(du -sh "$ROOTFS" | cut -f1) (key $KEY)"
fi

# ------------------------------------------------------------------ 2. layer + push
if ((PUSH)); then
  t0=$(now)
  spec="$IMAGE:$TAGS=$ROOTFS"
  python3 "$HERE/make-images.py" --registry "$REGISTRY" --cache-dir "$CACHE" \
    --rootfs-image "$spec" --rootfs-cmd /sbin/init --rootfs-stop-signal SIGRTMIN+3 \
    --rootfs-layer-cache "$DIR" --rootfs-history "debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE (make-debian-systemd.sh recipe $RECIPE)"
  log "layer + push took $(since "$t0")"
fi
log "total $(since "$total0")"
