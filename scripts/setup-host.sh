#!/usr/bin/env bash
# scripts/setup-host.sh — prepare a Debian 12 host (as root) to build and test hutch.
#
# Idempotent; safe to run before every test run. It:
#   1. installs every Debian package the build, the tests, the fuzz targets (clang with
#      libFuzzer and the sanitizer runtimes, llvm-symbolizer) and the benchmark need
#      (skips apt entirely when dpkg-query says they are all installed);
#   2. creates the test user `hutchtest` (with /etc/subuid + /etc/subgid ranges) and
#      `hutchnosub` (deliberately WITHOUT ranges, for negative tests);
#   3. creates /run/user/<uid> (0700, owned by the user) for both;
#   4. opens /dev/net/tun (0666) for slirp4netns/pasta;
#   5. delegates a cgroup2 subtree `hutch-test` to hutchtest (like systemd's Delegate=yes)
#      and records its path in /run/hutch-test/cgroup (another TEST_USER: hutch-user-NAME).
#
# Usage: scripts/setup-host.sh [TEST_USER]     (default TEST_USER: hutchtest)
set -euo pipefail

TEST_USER=${1:-${HUTCH_TEST_USER:-hutchtest}}
NOSUB_USER=${HUTCH_TEST_NOSUB_USER:-hutchnosub}

log() { printf '[setup-host] %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-host.sh must run as root" >&2
  exit 1
fi

# --- 1. packages --------------------------------------------------------------
PACKAGES=(
  build-essential cmake pkg-config
  libarchive-dev libcurl4-openssl-dev nettle-dev nlohmann-json3-dev libseccomp-dev
  catch2 libtomlplusplus-dev libcli11-dev libfmt-dev libzstd-dev zlib1g-dev
  uidmap passt slirp4netns busybox-static docker-registry skopeo podman runc
  python3 zstd time procps util-linux debootstrap openssl
  autopkgtest distrobox
  clang libclang-rt-14-dev llvm
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "all ${#PACKAGES[@]} packages already installed"
fi

# --- 2. users -----------------------------------------------------------------
# Append "NAME:START:65536" to FILE unless NAME already has a range there. START is
# chosen above every existing range so ranges never overlap.
ensure_subid() {
  local user=$1 file=$2
  touch "$file"
  grep -q "^${user}:" "$file" && return 0
  local start
  start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$file")
  echo "${user}:${start}:65536" >>"$file"
  log "added ${user}:${start}:65536 to $file"
}

if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  log "creating user $TEST_USER"
  useradd -m -s /bin/bash "$TEST_USER"
fi
ensure_subid "$TEST_USER" /etc/subuid
ensure_subid "$TEST_USER" /etc/subgid

if ! id -u "$NOSUB_USER" >/dev/null 2>&1; then
  log "creating user $NOSUB_USER (no subuid/subgid range)"
  useradd -m -s /bin/bash "$NOSUB_USER"
fi
# useradd writes ranges by default; this user must have none.
sed -i "/^${NOSUB_USER}:/d" /etc/subuid /etc/subgid

# --- 3. runtime dirs ------------------------------------------------------------
for user in "$TEST_USER" "$NOSUB_USER"; do
  uid=$(id -u "$user")
  gid=$(id -g "$user")
  install -d -m 0700 -o "$uid" -g "$gid" "/run/user/$uid"
done

# --- 4. /dev/net/tun ----------------------------------------------------------
if [[ -e /dev/net/tun ]]; then
  chmod 0666 /dev/net/tun
fi

# --- 5. cgroup2 delegation ----------------------------------------------------
# The cgroup2 mount point: /sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on pure v2.
# mountinfo fields: ... 5th = mount point ... " - " fstype source options.
cg2=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") print $5; break } }' \
  /proc/self/mountinfo | head -n1)
# The test user's subtree is "hutch-test" (recorded in /run/hutch-test/cgroup, which later
# issues read); any other user given as argument gets "hutch-user-NAME". Every delegated path
# is also recorded in /run/hutch-test/cgroup-NAME.
install -d -m 0755 /run/hutch-test
if [[ -n $cg2 ]]; then
  if [[ $TEST_USER == hutchtest ]]; then cgdir="$cg2/hutch-test"; else cgdir="$cg2/hutch-user-$TEST_USER"; fi
  mkdir -p "$cgdir"
  chown -R "$(id -u "$TEST_USER"):$(id -g "$TEST_USER")" "$cgdir"
  echo "$cgdir" >"/run/hutch-test/cgroup-$TEST_USER"
  [[ $TEST_USER == hutchtest ]] && echo "$cgdir" >/run/hutch-test/cgroup
  log "delegated cgroup2 subtree $cgdir to $TEST_USER"
else
  log "WARNING: no cgroup2 mount found in /proc/self/mountinfo; no cgroup delegated"
fi

log "done (test user $TEST_USER uid $(id -u "$TEST_USER"), no-subid user $NOSUB_USER)"
