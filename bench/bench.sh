#!/usr/bin/env bash
# bench/bench.sh — hutch vs podman, rootless, against the same local registry, in one run.
#
# Run as root (it prepares the host and the registry, then measures as the unprivileged user):
#   bench/bench.sh
# Measures, as HUTCH_TEST_USER (default hutchtest), each tool in its own fresh store:
#   run      `hutch run --rm busybox true`   vs `podman --runtime runc run --rm busybox true`
#            (image pre-pulled; N_RUN=20 pairs, hutch and podman in turn, as exec and net)
#   userns   `hutch run --rm --userns=auto busybox true` beside `hutch run --rm busybox true`
#            (hutch only: podman's auto needs a "containers" range in /etc/subuid)
#   pull     `hutch pull busybox`            vs `podman pull busybox` (rmi between runs; N_PULL=10)
#   pull big `hutch pull big`                vs `podman pull big` (one 200 MiB layer; N_BIG=3)
#   RSS      peak RSS of `hutch pull big` and of `run --rm busybox true` (and podman's), from
#            /usr/bin/time -v (the largest process of the command's tree)
#   exec     `hutch exec C true` vs `podman exec C true` into a running busybox (N_EXEC=20)
#   net      `run --rm --net=none busybox true` beside the default network: the network setup
#            cost is the difference of the medians (issue 7); hutch's `--net=pasta` too
#   port     a PORT_MIB (256) MiB file fetched from busybox httpd through `-p` (N_PORT=5)
#   storage  with the systemd image, hutch --storage-driver overlay vs vfs vs podman: ten
#            containers run -d (sleep) then rm -f (N_STORE=3 rounds); store size with the image
#            and with ten containers (du); `run --rm busybox true` with each driver (issue 5)
#   build    a seven-step Dockerfile on busybox (ENV, WORKDIR, COPY of 64 files, two RUNs,
#            LABEL, CMD): cold build (`build --no-cache`) and no-change rebuild (cache hits),
#            hutch vs `podman build` (buildah inside), both with RUN on the host network
#            (N_BUILD=5; issue 6)
#   boot     `run -d debian-systemd` until `exec systemctl is-system-running --wait` answers
#            (N_BOOT=3; image from scripts/make-debian-systemd.sh; HUTCH_TEST_SYSTEMD_IMAGE=
#            empty leaves it out)
#   mapping  `run --rm --uidmap 0:1:65536 debian-systemd true` right after a pull (the image's
#            copy with shifted owners: hutch per layer and mapping, podman its chown copy), then
#            again (the copy reused) (N_BOOT each)
# and prints the medians and the ratio podman/hutch (> 1 means hutch is faster / smaller).
# Targets (issue 14): run >= 10x, exec >= 10x, run --rm peak RSS <= 8 MiB. (issue 15): run --rm
# --userns=auto within 1.5x of run --rm. (issue 2): run >= 5x, pull >= 1x, hutch pull big peak RSS < 64 MiB. Issue 5: overlay
# create >= 10x faster than vfs, ten containers <= 1.1x the image on disk. Issue 7: network
# setup < 30 ms, published-port throughput >= podman's. Issue 6: cold build no slower than
# podman build, no-change rebuild >= 5x faster.
#
# Environment: HUTCH_BIN (default build/hutch), N_RUN, N_PULL, N_BIG, HUTCH_TEST_USER,
# HUTCH_TEST_REGISTRY. podman reads the same registries.conf as hutch (in a temp HOME).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ------------------------------------------------------------------ inner: runs as the user
if [[ ${1:-} == --as-user ]]; then
  cd "$BENCH_DIR"
  # Graph roots on disk, run roots under $XDG_RUNTIME_DIR (/run/user/UID, a tmpfs on a systemd
  # machine), where both tools keep them by default for a rootless user.
  HUTCH=("$HUTCH_BIN" --root "$BENCH_DIR/hutch-root" --runroot "$BENCH_RUN/hutch-runroot")
  PODMAN=(podman --runtime runc --root "$BENCH_DIR/podman-root" --runroot "$BENCH_RUN/podman-runroot")

  quiet() {  # quiet CMD...: run CMD, show its output only if it fails
    local out
    if ! out=$("$@" 2>&1); then
      printf 'bench: command failed: %s\n%s\n' "$*" "$out" >&2
      exit 1
    fi
  }

  # timed_once NAME CMD...: runs CMD once and appends its milliseconds to results/NAME. No
  # subshell inside the timed window (a $(...) is a fork of bash, about a millisecond here):
  # the clock is read directly and the output goes to a file.
  timed_once() {
    local name=$1 t0 t1
    shift
    t0=${EPOCHREALTIME/./}
    if ! "$@" >results/.out 2>&1; then
      printf 'bench: command failed: %s\n%s\n' "$*" "$(cat results/.out)" >&2
      exit 1
    fi
    t1=${EPOCHREALTIME/./}
    local d=$((t1 - t0))
    printf '%d.%03d\n' $((d / 1000)) $((d % 1000)) >>"results/$name"
  }

  # timed NAME N SETUP-FN CMD...: run CMD N times (SETUP-FN before each, untimed);
  # appends the milliseconds of every run to results/NAME.
  timed() {
    local name=$1 n=$2 setup=$3 i
    shift 3
    : >"results/$name"
    for ((i = 0; i < n; i++)); do
      $setup
      timed_once "$name" "$@"
    done
  }

  # timed_pairs N NAME_H NAME_P ARGS...: `hutch ARGS` and `podman ARGS` in turn, N pairs, so
  # that a slow spell of the machine (writeback, a namespace being torn down) falls on both.
  timed_pairs() {
    local n=$1 nh=$2 np=$3 i
    shift 3
    : >"results/$nh"
    : >"results/$np"
    for ((i = 0; i < n; i++)); do
      timed_once "$nh" "${HUTCH[@]}" "$@"
      timed_once "$np" "${PODMAN[@]}" "$@"
    done
  }

  none() { :; }
  hutch_rmi() { "${HUTCH[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true; }
  podman_rmi() { "${PODMAN[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true; }
  peak_kib() {  # peak_kib CMD...: max RSS in KiB from GNU time
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
  }

  mkdir -p results
  echo "bench: warming up (pre-pulling busybox into both stores)" >&2
  quiet "${HUTCH[@]}" pull busybox
  quiet "${PODMAN[@]}" pull busybox
  quiet "${HUTCH[@]}" run --rm busybox true
  quiet "${PODMAN[@]}" run --rm busybox true

  echo "bench: run --rm busybox true x$N_RUN" >&2
  timed_pairs "$N_RUN" hutch-run podman-run run --rm busybox true

  echo "bench: run --rm --userns=auto busybox true beside the default, hutch only x$N_RUN" >&2
  # (podman's auto needs a "containers" entry in /etc/subuid, which a rootless user lacks.)
  # The first auto run makes the image's copy for its mapping (not timed); later ones reuse it.
  quiet "${HUTCH[@]}" run --rm --userns=auto busybox true
  : >results/hutch-run-auto
  : >results/hutch-run-auto-base
  for ((i = 0; i < N_RUN; i++)); do
    timed_once hutch-run-auto-base "${HUTCH[@]}" run --rm busybox true
    timed_once hutch-run-auto "${HUTCH[@]}" run --rm --userns=auto busybox true
  done

  echo "bench: peak RSS of run --rm busybox true (largest process of the command's tree)" >&2
  peak_kib "${HUTCH[@]}" run --rm busybox true >results/hutch-run-rss
  peak_kib "${PODMAN[@]}" run --rm busybox true >results/podman-run-rss

  echo "bench: pull busybox x$N_PULL" >&2
  IMAGE=busybox
  timed hutch-pull "$N_PULL" hutch_rmi "${HUTCH[@]}" pull busybox
  timed podman-pull "$N_PULL" podman_rmi "${PODMAN[@]}" pull busybox

  echo "bench: pull big (200 MiB layer) x$N_BIG" >&2
  IMAGE=big
  timed hutch-pull-big "$N_BIG" hutch_rmi "${HUTCH[@]}" pull big
  timed podman-pull-big "$N_BIG" podman_rmi "${PODMAN[@]}" pull big

  echo "bench: peak RSS of pull big" >&2
  hutch_rmi
  peak_kib "${HUTCH[@]}" pull big >results/hutch-rss
  podman_rmi
  peak_kib "${PODMAN[@]}" pull big >results/podman-rss

  echo "bench: exec true x$N_EXEC into a running container" >&2
  quiet "${HUTCH[@]}" run -d --name bench-exec busybox sleep 3600
  quiet "${PODMAN[@]}" run -d --name bench-exec busybox sleep 3600
  timed_pairs "$N_EXEC" hutch-exec podman-exec exec bench-exec true
  quiet "${HUTCH[@]}" rm -f bench-exec
  quiet "${PODMAN[@]}" rm -f -t 0 bench-exec

  echo "bench: network setup: run --rm busybox true, default network vs --net=none x$N_RUN" >&2
  timed_pairs "$N_RUN" hutch-run-none podman-run-none run --rm --net=none busybox true
  if command -v pasta >/dev/null; then  # hutch's other helper (podman 4.3 has no pasta)
    timed hutch-run-pasta "$N_RUN" none "${HUTCH[@]}" run --rm --net=pasta busybox true
  fi

  echo "bench: published port throughput ($PORT_MIB MiB through -p, x$N_PORT)" >&2
  # A container serving a file of PORT_MIB MiB with busybox httpd on a published port;
  # the host fetches it through the port (python3, so no curl is needed).
  fetch() {
    python3 - "$1" "$PORT_MIB" <<'PYEOF'
import sys, time, urllib.request
url, mib = sys.argv[1], int(sys.argv[2])
for i in range(100):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            n = 0
            while True:
                b = r.read(1 << 20)
                if not b:
                    break
                n += len(b)
        if n != mib << 20:
            sys.exit(f"fetched {n} bytes, expected {mib << 20}")
        sys.exit(0)
    except (ConnectionError, OSError) as e:
        if i == 99:
            raise
        time.sleep(0.05)
PYEOF
  }
  serve='mkdir -p /srv && dd if=/dev/zero of=/srv/f bs=1M count='"$PORT_MIB"' 2>/dev/null && exec httpd -f -p 8080 -h /srv'
  quiet "${HUTCH[@]}" run -d --name bench-port -p 127.0.0.1:18081:8080 busybox sh -c "$serve"
  quiet "${PODMAN[@]}" run -d --name bench-port -p 127.0.0.1:18082:8080 busybox sh -c "$serve"
  fetch http://127.0.0.1:18081/f && fetch http://127.0.0.1:18082/f  # warm up, and wait for the servers
  timed hutch-port "$N_PORT" none fetch http://127.0.0.1:18081/f
  timed podman-port "$N_PORT" none fetch http://127.0.0.1:18082/f
  quiet "${HUTCH[@]}" rm -f bench-port
  quiet "${PODMAN[@]}" rm -f -t 0 bench-port

  echo "bench: build: a small multi-step Dockerfile, cold (--no-cache) x$N_BUILD and no-change rebuild x$N_BUILD" >&2
  # The context: 64 files of 16 KiB; the steps: ENV, WORKDIR, COPY, two RUNs, LABEL, CMD.
  mkdir -p build-ctx/data
  for ((i = 0; i < 64; i++)); do head -c 16384 /dev/urandom >"build-ctx/data/f$i"; done
  cat >build-ctx/Dockerfile <<'DEOF'
FROM busybox
ENV APP=/app
WORKDIR /app
COPY data/ /app/data/
RUN for i in $(seq 1 200); do echo $i > /app/n$i; done
RUN cat /app/data/* | wc -c > /app/size
LABEL bench=build
CMD ["cat", "/app/size"]
DEOF
  timed hutch-build-cold "$N_BUILD" none "${HUTCH[@]}" build -q --no-cache --network host -t bench-build build-ctx
  timed podman-build-cold "$N_BUILD" none "${PODMAN[@]}" build -q --no-cache --network host -t bench-build build-ctx
  timed hutch-build-again "$N_BUILD" none "${HUTCH[@]}" build -q --network host -t bench-build build-ctx
  timed podman-build-again "$N_BUILD" none "${PODMAN[@]}" build -q --network host -t bench-build build-ctx
  [[ $("${HUTCH[@]}" run --rm bench-build) == 1048576 ]] || { echo "bench: the built image gives a wrong result" >&2; exit 1; }

  if [[ -n ${SYSTEMD_IMAGE:-} ]]; then
    echo "bench: storage: ten containers of $SYSTEMD_IMAGE, overlay vs vfs vs podman" >&2
    # tenfold TOOL...: create+start+remove ten containers of the systemd image (each runs
    # `sleep` instead of systemd, so only storage and runtime setup are measured).
    tenfold() {
      local i
      for ((i = 0; i < 10; i++)); do quiet "$@" run -d --name "bench-st$i" "$SYSTEMD_IMAGE" sleep 600; done
      for ((i = 0; i < 10; i++)); do quiet "$@" rm -f -t 0 "bench-st$i"; done
    }
    # du as root of hutch's session user namespace: the layers hold files of the image's
    # users (subuids) in directories the user itself may not read.
    store_kib() {
      local pause
      pause=$(awk '{print $1}' "$XDG_RUNTIME_DIR/hutch/pause.pid")
      nsenter --target="$pause" --user du -sxk "$1" | awk '{print $1}'
    }
    HOV=("$HUTCH_BIN" --storage-driver overlay --root "$BENCH_DIR/hutch-ov-root" --runroot "$BENCH_RUN/hutch-ov-run")
    HVFS=("$HUTCH_BIN" --storage-driver vfs --root "$BENCH_DIR/hutch-vfs-root" --runroot "$BENCH_RUN/hutch-vfs-run")
    quiet "${HOV[@]}" pull "$SYSTEMD_IMAGE"
    quiet "${HVFS[@]}" pull "$SYSTEMD_IMAGE"
    quiet "${PODMAN[@]}" pull "$SYSTEMD_IMAGE"
    timed hutch-ov-ten "$N_STORE" none tenfold "${HOV[@]}"
    timed hutch-vfs-ten "$N_STORE" none tenfold "${HVFS[@]}"
    timed podman-ten "$N_STORE" none tenfold "${PODMAN[@]}"
    # Disk: the store with the image only, then with ten (stopped) containers of it.
    store_kib "$BENCH_DIR/hutch-ov-root" >results/ov-image-kib
    for ((i = 0; i < 10; i++)); do quiet "${HOV[@]}" run --name "bench-du$i" "$SYSTEMD_IMAGE" true; done
    store_kib "$BENCH_DIR/hutch-ov-root" >results/ov-ten-kib
    store_kib "$BENCH_DIR/hutch-vfs-root" >results/vfs-image-kib
    for ((i = 0; i < 10; i++)); do quiet "${HVFS[@]}" run --name "bench-du$i" "$SYSTEMD_IMAGE" true; done
    store_kib "$BENCH_DIR/hutch-vfs-root" >results/vfs-ten-kib
    echo "bench: run --rm busybox true with overlay x$N_RUN" >&2
    quiet "${HOV[@]}" pull busybox
    quiet "${HVFS[@]}" pull busybox
    timed hutch-ov-run "$N_RUN" none "${HOV[@]}" run --rm busybox true
    timed hutch-vfs-run "$N_RUN" none "${HVFS[@]}" run --rm busybox true
  fi

  if [[ -n ${SYSTEMD_IMAGE:-} ]]; then
    # boot TOOL...: run -d the systemd image, then wait until systemctl says running.
    boot() {
      local extra=()
      # podman (runc) sees this hybrid host as cgroup v1 and gives a rootless container no
      # writable cgroup, so systemd cannot start; as a reference it gets a delegated cgroup2
      # directory bind-mounted by hand (what hutch's systemd mode sets up by itself).
      if [[ $(basename "$1") == podman && -n ${PODMAN_CGROUP:-} ]]; then
        extra=(--cgroupns=private -v "$PODMAN_CGROUP:/sys/fs/cgroup:rw")
      fi
      quiet "$@" run -d --name bench-boot "${extra[@]}" "$SYSTEMD_IMAGE"
      local state i
      if [[ $(basename "$1") == podman ]]; then
        # podman 4.3's run -d returns before systemd's bus is up (its --sdnotify=container
        # does not wait either): `--wait` fails until it is, so retry while it says so.
        for ((i = 0; i < 300; i++)); do
          state=$("$@" exec bench-boot systemctl is-system-running --wait 2>&1 || true)
          [[ $state == *"Failed to connect to bus"* ]] || break
          sleep 0.02
        done
      else
        # hutch's run -d returns once systemd sent READY=1 (--sdnotify=container): no retry.
        state=$("$@" exec bench-boot systemctl is-system-running --wait 2>&1 || true)
      fi
      [[ $state == running || $state == degraded ]] || { echo "bench: boot ended in: $state" >&2; exit 1; }
      echo "$state" >>"results/boot-state-$(basename "$1")"
    }
    hutch_rm_boot() { "${HUTCH[@]}" rm -f bench-boot >/dev/null 2>&1 || true; }
    podman_rm_boot() { "${PODMAN[@]}" rm -f -t 0 bench-boot >/dev/null 2>&1 || true; }
    PODMAN_CGROUP=
    own=$(awk -F'::' '/^0::/ {print $2}' /proc/self/cgroup)
    for mnt in /sys/fs/cgroup/unified /sys/fs/cgroup; do
      if [[ $(stat -f -c %T "$mnt" 2>/dev/null) == cgroup2fs && -w $mnt$own ]]; then
        PODMAN_CGROUP=$mnt$own/podman-bench-boot
        mkdir -p "$PODMAN_CGROUP"
        break
      fi
    done
    echo "bench: $SYSTEMD_IMAGE run -d -> is-system-running x$N_BOOT" >&2
    quiet "${HUTCH[@]}" pull "$SYSTEMD_IMAGE"
    quiet "${PODMAN[@]}" pull "$SYSTEMD_IMAGE"
    timed hutch-boot "$N_BOOT" hutch_rm_boot boot "${HUTCH[@]}"
    hutch_rm_boot
    timed podman-boot "$N_BOOT" podman_rm_boot boot "${PODMAN[@]}"
    podman_rm_boot
    [[ -n $PODMAN_CGROUP ]] && find "$PODMAN_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true

    # The first container of an image under a new mapping pays for the image's files with
    # their owners shifted: hutch copies each layer once per mapping (then shares it), podman
    # copies and chowns the image. The image is pulled again (not timed) before each run.
    echo "bench: first run --uidmap 0:1:65536 of $SYSTEMD_IMAGE after a fresh pull x$N_BOOT" >&2
    IMAGE=$SYSTEMD_IMAGE
    hutch_repull() { hutch_rmi; quiet "${HUTCH[@]}" pull "$SYSTEMD_IMAGE"; }
    podman_repull() { podman_rmi; quiet "${PODMAN[@]}" pull "$SYSTEMD_IMAGE"; }
    timed hutch-map-first "$N_BOOT" hutch_repull "${HUTCH[@]}" run --rm --uidmap 0:1:65536 "$SYSTEMD_IMAGE" true
    timed hutch-map-again "$N_BOOT" none "${HUTCH[@]}" run --rm --uidmap 0:1:65536 "$SYSTEMD_IMAGE" true
    timed podman-map-first "$N_BOOT" podman_repull "${PODMAN[@]}" run --rm --uidmap 0:1:65536 "$SYSTEMD_IMAGE" true
    timed podman-map-again "$N_BOOT" none "${PODMAN[@]}" run --rm --uidmap 0:1:65536 "$SYSTEMD_IMAGE" true
  fi
  exit 0
fi

# ------------------------------------------------------------------ outer: runs as root
if [[ $(id -u) -ne 0 ]]; then
  echo "bench.sh must run as root (it runs the measurements as \$HUTCH_TEST_USER)" >&2
  exit 1
fi
USER_NAME=${HUTCH_TEST_USER:-hutchtest}
REGISTRY=${HUTCH_TEST_REGISTRY:-127.0.0.1:5000}
HUTCH_BIN=${HUTCH_BIN:-$ROOT/build/hutch}
N_RUN=${N_RUN:-20}
N_PULL=${N_PULL:-10}
N_BIG=${N_BIG:-3}
N_EXEC=${N_EXEC:-20}
N_BOOT=${N_BOOT:-3}
N_STORE=${N_STORE:-3}
N_PORT=${N_PORT:-5}
N_BUILD=${N_BUILD:-5}
PORT_MIB=${PORT_MIB:-256}
SYSTEMD_IMAGE=${HUTCH_TEST_SYSTEMD_IMAGE-debian-systemd:bookworm}

bash "$ROOT/scripts/setup-host.sh" "$USER_NAME" >/dev/null
[[ -x $HUTCH_BIN ]] || { echo "bench: $HUTCH_BIN not built (cmake --build build)" >&2; exit 1; }
if ! runuser -u "$USER_NAME" -- test -x "$HUTCH_BIN"; then
  echo "bench: $USER_NAME cannot execute $HUTCH_BIN; set HUTCH_BIN to a reachable copy" >&2
  exit 1
fi

started_registry=0
BENCH_DIR=$(mktemp -d /var/tmp/hutch-bench-XXXXXX)
uid=$(id -u "$USER_NAME")
mkdir -p "/run/user/$uid"
BENCH_RUN=$(mktemp -d "/run/user/$uid/hutch-bench-XXXXXX")
cleanup() {
  rm -rf "$BENCH_DIR" "$BENCH_RUN"
  if ((started_registry)); then bash "$ROOT/scripts/registry.sh" stop || true; fi
}
trap cleanup EXIT
if ! HUTCH_TEST_REGISTRY=$REGISTRY bash "$ROOT/scripts/registry.sh" status 2>/dev/null; then
  HUTCH_TEST_REGISTRY=$REGISTRY bash "$ROOT/scripts/registry.sh" start
  started_registry=1
fi
HUTCH_TEST_REGISTRY=$REGISTRY bash "$ROOT/scripts/registry.sh" seed --big --debian-systemd >/dev/null
if [[ -n $SYSTEMD_IMAGE ]] && ! bash "$ROOT/scripts/make-debian-systemd.sh" --registry "$REGISTRY" >/dev/null; then
  echo "bench: could not build or push $SYSTEMD_IMAGE; the systemd rows are left out" >&2
  SYSTEMD_IMAGE=
fi

# A private HOME with the registries.conf both tools read (the user's file replaces the
# system one and its drop-ins, so Debian's shortnames.conf aliases do not send busybox to
# docker.io).
mkdir -p "$BENCH_DIR/home/.config/containers"
cat >"$BENCH_DIR/home/.config/containers/registries.conf" <<EOF
unqualified-search-registries = ["$REGISTRY"]

[[registry]]
location = "$REGISTRY"
insecure = true
EOF
chown -R "$uid:$(id -g "$USER_NAME")" "$BENCH_DIR" "$BENCH_RUN"
chmod 0755 "$BENCH_DIR"

cgroup=$(cat "/run/hutch-test/cgroup-$USER_NAME" 2>/dev/null || true)
(
  [[ -n $cgroup ]] && echo $BASHPID >"$cgroup/cgroup.procs" 2>/dev/null || true
  cd "$BENCH_DIR"
  exec runuser -u "$USER_NAME" -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
    HOME="$BENCH_DIR/home" USER="$USER_NAME" LOGNAME="$USER_NAME" \
    XDG_RUNTIME_DIR="/run/user/$uid" XDG_CONFIG_HOME="$BENCH_DIR/home/.config" \
    BENCH_DIR="$BENCH_DIR" BENCH_RUN="$BENCH_RUN" HUTCH_BIN="$HUTCH_BIN" N_RUN="$N_RUN" N_PULL="$N_PULL" N_BIG="$N_BIG" \
    N_EXEC="$N_EXEC" N_BOOT="$N_BOOT" N_STORE="$N_STORE" N_PORT="$N_PORT" N_BUILD="$N_BUILD" PORT_MIB="$PORT_MIB" \
    SYSTEMD_IMAGE="$SYSTEMD_IMAGE" \
    bash "$ROOT/bench/bench.sh" --as-user
)

# ------------------------------------------------------------------ report
median() { sort -n "$1" | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
R=$BENCH_DIR/results
row() {  # row LABEL HUTCH PODMAN UNIT
  local ratio
  ratio=$(awk -v h="$2" -v p="$3" 'BEGIN {if (h > 0) printf "%.2fx", p / h; else print "n/a"}')
  printf '%-34s %12s %12s %10s\n' "$1" "$2 $4" "$3 $4" "$ratio"
}
echo
hver=$("$HUTCH_BIN" version 2>/dev/null | awk '/^Version:/ {print $2}' || true)
echo "hutch ${hver:-?} vs $(podman --version) (runc), as $USER_NAME, registry $REGISTRY"
printf '%-34s %12s %12s %10s\n' "median of" "hutch" "podman" "podman/hutch"
row "run --rm busybox true (n=$N_RUN)" "$(median "$R/hutch-run")" "$(median "$R/podman-run")" ms
echo "  hutch run --rm --userns=auto: $(median "$R/hutch-run-auto") ms against $(median "$R/hutch-run-auto-base") ms without = $(awk -v a="$(median "$R/hutch-run-auto")" -v b="$(median "$R/hutch-run-auto-base")" 'BEGIN {printf "%.2f", a / b}')x (target <= 1.5x, issue 15)"
hrr=$(awk -v k="$(cat "$R/hutch-run-rss")" 'BEGIN {printf "%.1f", k / 1024}')
prr=$(awk -v k="$(cat "$R/podman-run-rss")" 'BEGIN {printf "%.1f", k / 1024}')
row "peak RSS, run --rm busybox true" "$hrr" "$prr" MiB
row "pull busybox (n=$N_PULL)" "$(median "$R/hutch-pull")" "$(median "$R/podman-pull")" ms
row "pull big, 200 MiB layer (n=$N_BIG)" "$(median "$R/hutch-pull-big")" "$(median "$R/podman-pull-big")" ms
hr=$(($(cat "$R/hutch-rss") / 1024))
pr=$(($(cat "$R/podman-rss") / 1024))
row "peak RSS, pull big" "$hr" "$pr" MiB
row "exec true (n=$N_EXEC)" "$(median "$R/hutch-exec")" "$(median "$R/podman-exec")" ms
row "build cold --no-cache (n=$N_BUILD)" "$(median "$R/hutch-build-cold")" "$(median "$R/podman-build-cold")" ms
row "build no-change rebuild (n=$N_BUILD)" "$(median "$R/hutch-build-again")" "$(median "$R/podman-build-again")" ms
row "run --rm --net=none (n=$N_RUN)" "$(median "$R/hutch-run-none")" "$(median "$R/podman-run-none")" ms
hnet=$(awk -v a="$(median "$R/hutch-run")" -v b="$(median "$R/hutch-run-none")" 'BEGIN {printf "%.1f", a - b}')
pnet=$(awk -v a="$(median "$R/podman-run")" -v b="$(median "$R/podman-run-none")" 'BEGIN {printf "%.1f", a - b}')
row "network setup (default - none)" "$hnet" "$pnet" ms
if [[ -s $R/hutch-run-pasta ]]; then
  echo "  hutch --net=pasta - none: $(awk -v a="$(median "$R/hutch-run-pasta")" -v b="$(median "$R/hutch-run-none")" 'BEGIN {printf "%.1f", a - b}') ms (the default is slirp4netns; see README)"
fi
hmbs=$(awk -v t="$(median "$R/hutch-port")" -v m="$PORT_MIB" 'BEGIN {printf "%.0f", m / (t / 1000)}')
pmbs=$(awk -v t="$(median "$R/podman-port")" -v m="$PORT_MIB" 'BEGIN {printf "%.0f", m / (t / 1000)}')
# Throughput: higher is better, so the ratio column is hutch/podman here.
printf '%-34s %12s %12s %10s\n' "published port, $PORT_MIB MiB (n=$N_PORT)" "$hmbs MiB/s" "$pmbs MiB/s" \
  "$(awk -v h="$hmbs" -v p="$pmbs" 'BEGIN {if (p > 0) printf "%.2fx", h / p; else print "n/a"}')"
if [[ -n $SYSTEMD_IMAGE ]]; then
  row "10 x create+start+rm, overlay" "$(median "$R/hutch-ov-ten")" "$(median "$R/podman-ten")" ms
  row "10 x create+start+rm, vfs" "$(median "$R/hutch-vfs-ten")" "$(median "$R/podman-ten")" ms
  echo "  overlay vs vfs create: $(awk -v o="$(median "$R/hutch-ov-ten")" -v v="$(median "$R/hutch-vfs-ten")" 'BEGIN {printf "%.2fx", v / o}') faster (target >= 10x)"
  for d in ov vfs; do
    img=$(cat "$R/$d-image-kib")
    ten=$(cat "$R/$d-ten-kib")
    echo "  disk, $d: store with the image $((img / 1024)) MiB, with ten containers $((ten / 1024)) MiB = $(awk -v a="$ten" -v b="$img" 'BEGIN {printf "%.2fx", a / b}') the image (target overlay <= 1.10x)"
  done
  row "run --rm busybox true, overlay" "$(median "$R/hutch-ov-run")" "$(median "$R/podman-run")" ms
  row "run --rm busybox true, vfs" "$(median "$R/hutch-vfs-run")" "$(median "$R/podman-run")" ms
  row "systemd run -d -> running (n=$N_BOOT)" "$(median "$R/hutch-boot")" "$(median "$R/podman-boot")" ms
  echo "(podman given a delegated cgroup2 dir by hand: --cgroupns=private -v CGROUP:/sys/fs/cgroup:rw)"
  echo "final states: hutch $(sort -u "$R/boot-state-hutch" | tr '\n' ' ')podman $(sort -u "$R/boot-state-podman" | tr '\n' ' ')"
  row "first run --uidmap 0:1:65536, systemd image (n=$N_BOOT)" "$(median "$R/hutch-map-first")" "$(median "$R/podman-map-first")" ms
  row "next run, same mapping (n=$N_BOOT)" "$(median "$R/hutch-map-again")" "$(median "$R/podman-map-again")" ms
fi
echo
echo "targets: network setup < 30 ms, published port >= 1.00x podman;"
echo "targets: run >= 10x, exec >= 10x, run --rm peak RSS <= 8 MiB ($(awk -v m="$hrr" 'BEGIN {print (m <= 8) ? "met" : "NOT met"}')) (issue 14);"
echo "targets: pull >= 1.00x, hutch pull big peak RSS < 64 MiB ($( ((hr < 64)) && echo met || echo NOT met)); systemd boot >= 1.00x; build cold >= 1.00x, rebuild >= 5x"
