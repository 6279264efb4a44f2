#!/usr/bin/env bash
# scripts/registry.sh — run Debian's docker-registry (CNCF distribution v2) for tests.
#
#   scripts/registry.sh start          start on 127.0.0.1:5000 (no-op if already up), wait for /v2/
#   scripts/registry.sh stop           stop it by the pid in the pid file
#   scripts/registry.sh seed [--big] [--debian-systemd]
#                                      build test images and push them (scripts/make-images.py);
#                                      --debian-systemd also debian-systemd:bookworm/:latest
#                                      (scripts/make-debian-systemd.sh, cached debootstrap)
#   scripts/registry.sh status         exit 0 if /v2/ answers
#
# Config, storage, log and pid file live in $HUTCH_REGISTRY_DIR (default /var/tmp/hutch-registry).
# Plain HTTP, no auth, deletes enabled. Address: $HUTCH_TEST_REGISTRY (default 127.0.0.1:5000).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${HUTCH_REGISTRY_DIR:-/var/tmp/hutch-registry}
ADDR=${HUTCH_TEST_REGISTRY:-127.0.0.1:5000}
PIDFILE=$DIR/registry.pid
LOGFILE=$DIR/registry.log
CONFIG=$DIR/config.yml
BIN=/usr/bin/docker-registry

log() { printf '[registry] %s\n' "$*" >&2; }

answers() {
  python3 - "$ADDR" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://{sys.argv[1]}/v2/", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(<"$PIDFILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be our registry binary.
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$BIN" ]] || return 1
  echo "$pid"
}

write_config() {
  mkdir -p "$DIR/storage"
  cat >"$CONFIG" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

start() {
  if pid=$(running_pid); then
    log "already running (pid $pid) on $ADDR"
    answers || { log "pid $pid is running but http://$ADDR/v2/ does not answer"; exit 1; }
    return 0
  fi
  if answers; then
    log "something else already answers on http://$ADDR/v2/; refusing to start a second registry"
    exit 1
  fi
  [[ -x $BIN ]] || { log "$BIN missing: run scripts/setup-host.sh"; exit 1; }
  write_config
  # setsid: its own session, so a Ctrl-C in the caller's terminal does not hit it.
  setsid "$BIN" serve "$CONFIG" >"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 100); do
    if answers; then
      log "started pid $(<"$PIDFILE") on http://$ADDR (storage $DIR/storage)"
      return 0
    fi
    kill -0 "$(<"$PIDFILE")" 2>/dev/null || break
    sleep 0.1
  done
  log "registry did not come up; log follows"
  cat "$LOGFILE" >&2 || true
  stop
  exit 1
}

stop() {
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped pid $pid"
  else
    log "not running"
  fi
  rm -f "$PIDFILE"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) answers && log "up on http://$ADDR" ;;
  seed)
    shift
    answers || { log "registry not running on $ADDR: run '$0 start' first"; exit 1; }
    want_systemd=0
    args=()
    for a in "$@"; do
      if [[ $a == --debian-systemd ]]; then want_systemd=1; else args+=("$a"); fi
    done
    python3 "$HERE/make-images.py" --registry "$ADDR" "${args[@]}"
    if ((want_systemd)); then
      bash "$HERE/make-debian-systemd.sh" --registry "$ADDR"
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status|seed [--big] [--debian-systemd]" >&2
    exit 2
    ;;
esac
