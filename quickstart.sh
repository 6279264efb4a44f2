#!/usr/bin/env bash
# quickstart.sh — hutch from a fresh Debian 12 machine to a running rootless container.
#
# Run as root:   ./quickstart.sh [USER]        (default USER: hutchtest; created if missing)
#
# It installs the packages (scripts/setup-host.sh, which also gives USER a subuid/subgid
# range), builds hutch (cmake -B build && cmake --build build -j --target hutch), starts a local registry
# (Debian's docker-registry on 127.0.0.1:5000) seeded with a busybox image made from Debian's
# busybox-static, writes USER's registries.conf with that registry as the unqualified search
# registry, and then, as USER (no root rights):
#     hutch pull busybox
#     hutch run --rm -h x250.home busybox sh -c 'hostname; id'
# and shows that a container process on the host belongs to USER. Then it builds a Debian 12
# image with systemd (scripts/make-debian-systemd.sh: debootstrap, cached) and, as USER, runs
# it detached with systemd as PID 1 (run -d returns once systemd is ready), asks
# `systemctl is-system-running` (-> running),
# shows the hostname and stops it (HUTCH_QUICKSTART_NO_SYSTEMD=1 leaves this part out).
# The registry keeps running afterwards; stop it with: scripts/registry.sh stop
# (Developer knob: HUTCH_QUICKSTART_BINARY=/path/to/hutch skips the build and uses that binary.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
USER_NAME=${1:-hutchtest}
REGISTRY=127.0.0.1:5000

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "quickstart.sh must run as root (it installs packages and creates a user)" >&2
  exit 1
fi

step "Installing packages and preparing user $USER_NAME"
bash scripts/setup-host.sh "$USER_NAME"

if [[ -z ${HUTCH_QUICKSTART_BINARY:-} ]]; then
  step "Building hutch (and hutch-runtime; the tests build separately, in scripts/test.sh)"
  cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
  cmake --build "$ROOT/build" -j "$(nproc)" --target hutch
fi

step "Starting the local registry on $REGISTRY and seeding it"
HUTCH_TEST_REGISTRY=$REGISTRY bash scripts/registry.sh start
HUTCH_TEST_REGISTRY=$REGISTRY bash scripts/registry.sh seed

USER_UID=$(id -u "$USER_NAME")
USER_GID=$(id -g "$USER_NAME")
USER_HOME=$(getent passwd "$USER_NAME" | cut -d: -f6)
RUNTIME_DIR=/run/user/$USER_UID

step "Writing $USER_HOME/.config/containers/registries.conf"
install -d -o "$USER_UID" -g "$USER_GID" "$USER_HOME/.config" "$USER_HOME/.config/containers"
cat >"$USER_HOME/.config/containers/registries.conf" <<EOF
# Written by hutch's quickstart.sh: short names resolve on the local test registry.
unqualified-search-registries = ["$REGISTRY"]

[[registry]]
location = "$REGISTRY"
insecure = true
EOF
chown "$USER_UID:$USER_GID" "$USER_HOME/.config/containers/registries.conf"
cat "$USER_HOME/.config/containers/registries.conf"

# The user must be able to execute the binary; a checkout under /root is not reachable.
HUTCH=${HUTCH_QUICKSTART_BINARY:-$ROOT/build/hutch}
if ! runuser -u "$USER_NAME" -- test -x "$HUTCH"; then
  step "Installing hutch to /usr/local/bin ($HUTCH is not reachable by $USER_NAME)"
  cmake --install "$ROOT/build" --prefix /usr/local >/dev/null
  HUTCH=/usr/local/bin/hutch
fi

# as_user CMD...: run CMD as the unprivileged user in a login-like environment, inside the
# cgroup2 subtree that setup-host.sh delegated to them.
CGROUP=$(cat "/run/hutch-test/cgroup-$USER_NAME" 2>/dev/null || true)
as_user() {
  local cg_procs=/dev/null
  [[ -n $CGROUP && -w $CGROUP/cgroup.procs ]] && cg_procs=$CGROUP/cgroup.procs
  (
    echo $BASHPID >"$cg_procs" 2>/dev/null || true
    cd "$USER_HOME"
    exec runuser -u "$USER_NAME" -- env -i \
      PATH=/usr/local/bin:/usr/bin:/bin HOME="$USER_HOME" USER="$USER_NAME" \
      LOGNAME="$USER_NAME" XDG_RUNTIME_DIR="$RUNTIME_DIR" TERM="${TERM:-dumb}" "$@"
  )
}

show() {  # show CMD...: print the command as the user would type it, then run it
  local line="hutch" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
  done
  printf '\n%s$ %s\n' "$USER_NAME@$(hostname)" "$line"
  as_user "$HUTCH" "$@"
}

step "As $USER_NAME (uid $USER_UID, no root rights):"
show pull busybox
show run --rm -h x250.home busybox sh -c 'hostname; id'

step "The container's processes belong to $USER_NAME on the host"
show run -d --name sleeper busybox sleep 60
pid=$(as_user "$HUTCH" inspect --format '{{.State.Pid}}' sleeper)
printf 'root# ps -o user:16,pid,cmd -p %s\n' "$pid"
ps -o user:16,pid,cmd -p "$pid"
show rm -f -t 0 sleeper

if [[ ${HUTCH_QUICKSTART_NO_SYSTEMD:-0} != 1 ]]; then
  step "Building a Debian 12 image with systemd (debootstrap, cached) and pushing it to $REGISTRY"
  HUTCH_TEST_REGISTRY=$REGISTRY bash scripts/make-debian-systemd.sh --registry "$REGISTRY"

  step "systemd as PID 1, rootless, as $USER_NAME"
  # run -d returns once systemd reported READY=1 (--sdnotify=container in systemd mode)
  show run -d --name deb -h x250.home --cap-add=NET_ADMIN debian-systemd
  show exec deb systemctl is-system-running --wait
  show exec deb hostnamectl hostname
  show stop deb
  show rm deb
fi

step "Done. The registry keeps running on $REGISTRY (stop: scripts/registry.sh stop)."
echo "Try more as $USER_NAME:  runuser -u $USER_NAME -- env HOME=$USER_HOME XDG_RUNTIME_DIR=$RUNTIME_DIR $HUTCH images"
