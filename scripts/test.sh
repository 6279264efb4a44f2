#!/usr/bin/env bash
# scripts/test.sh — THE test command for hutch (the README and .ci/run call exactly this).
#
# As root on Debian 12, from any directory:
#   1. scripts/setup-host.sh (packages, test users, cgroup delegation; fast when done before);
#   2. builds two trees: build/ (RelWithDebInfo) and build-asan/ (Debug, ASan + UBSan);
#   3. starts the local registry (scripts/registry.sh) and seeds it with the test images,
#      including big:latest for the killed-pull test and debian-systemd:bookworm (Debian 12
#      with systemd, scripts/make-debian-systemd.sh; debootstrap ~1-2 min the first time, then
#      cached in /var/cache/hutch-test/debian-systemd-<key>/);
#   4. runs ctest in both trees, label by label: unit, integration, e2e;
#   4a. runs the e2e cases tagged [podman-ref] against podman too (tests/e2e/podman-shim.sh;
#      one result; HUTCH_TEST_PODMAN_REF=0 skips it);
#   4b. builds the libFuzzer targets with clang in build-fuzz/ and runs each one for
#      HUTCH_TEST_FUZZ_SECONDS (scripts/fuzz.sh); each target counts as one test;
#   5. stops the registry again (trap, also on failure) if this script started it;
#   6. prints a final line "N passed, N failed" summed over both trees and the fuzz targets and
#      exits non-zero if anything failed (a failed build counts as one failure).
#
# Knobs (environment): HUTCH_TEST_JOBS (build parallelism, default nproc),
#   HUTCH_TEST_TREES ("build build-asan"), HUTCH_TEST_LABELS ("unit integration e2e"),
#   HUTCH_TEST_ASAN_E2E_ONLY (ctest -R regex of the e2e smoke set the ASan tree runs: one or
#   two cases per area, those whose input parsing and file handling the sanitizers should see;
#   empty = every e2e case; the release tree always runs every case),
#   HUTCH_TEST_BUILD_TARGETS (default: all targets; e.g. "hutch test_e2e" for a quick run),
#   HUTCH_TEST_NO_BIG=1 (do not seed the 200 MiB image), HUTCH_TEST_NO_SYSTEMD=1 (do not build
#   or seed debian-systemd; HUTCH_TEST_SYSTEMD_IMAGE is then unset, which systemd e2e tests
#   must treat as "skip"), HUTCH_E2E_ASAN_OPTIONS (ASAN_OPTIONS
#   for e2e in the ASan tree; LeakSanitizer was checked to work in user namespaces, so leak
#   checking stays on unless this says detect_leaks=0), HUTCH_TEST_FUZZ_SECONDS (seconds per
#   fuzz target, default 10; 0 skips the fuzz build and runs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

JOBS=${HUTCH_TEST_JOBS:-$(nproc)}
TREES=${HUTCH_TEST_TREES:-build build-asan}
LABELS=${HUTCH_TEST_LABELS:-unit integration e2e}

export HUTCH_TEST_REGISTRY=${HUTCH_TEST_REGISTRY:-127.0.0.1:5000}
export HUTCH_TEST_USER=${HUTCH_TEST_USER:-hutchtest}
export HUTCH_TEST_NOSUB_USER=${HUTCH_TEST_NOSUB_USER:-hutchnosub}
ASAN_E2E_SMOKE=(
  "build runs RUN, COPY with .dockerignore" "build multi-stage" "commit a stopped container"
  "exec runs in the container's namespaces" "inspect -f runs Go templates" "long values"
  "a 100 KB image reference" "OCI manifest and zstd layer images" "layered image applies"
  "export a container, import the tar" "run -d prints the id" "a published port answers"
  "push then pull back" "save, rmi, load and run round trip" "run flags -e --env-file"
  "attach relays stdin" "copy-up of image content" "non-ASCII and non-UTF-8 file names"
  "arguments and environment that are not UTF-8" "thousands of nested directories"
  "tag adds names" "system reset empties"
)
ASAN_E2E_ONLY=${HUTCH_TEST_ASAN_E2E_ONLY-$(IFS='|'; echo "${ASAN_E2E_SMOKE[*]}")}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log() { printf '\n=== %s\n' "$*" >&2; }

passed=0
failed=0
failures=()

# ---------------------------------------------------------------- host + registry
log "setting up the host"
bash scripts/setup-host.sh "$HUTCH_TEST_USER"

started_registry=0
cleanup() {
  if ((started_registry)); then
    bash "$ROOT/scripts/registry.sh" stop || true
  fi
}
trap cleanup EXIT

if bash scripts/registry.sh status 2>/dev/null; then
  log "registry already running on $HUTCH_TEST_REGISTRY (left running afterwards)"
else
  log "starting the registry"
  bash scripts/registry.sh start
  started_registry=1
fi
log "seeding the registry"
if [[ ${HUTCH_TEST_NO_BIG:-0} == 1 ]]; then
  bash scripts/registry.sh seed
  unset HUTCH_TEST_BIG
else
  bash scripts/registry.sh seed --big
  export HUTCH_TEST_BIG=big:latest
fi
unset HUTCH_TEST_SYSTEMD_IMAGE
if [[ ${HUTCH_TEST_NO_SYSTEMD:-0} == 1 ]]; then
  log "HUTCH_TEST_NO_SYSTEMD=1: not seeding debian-systemd"
else
  log "seeding debian-systemd:bookworm"
  t0=$SECONDS
  # A failed build (e.g. no Debian mirror) counts as one failure; the rest still runs.
  if bash scripts/make-debian-systemd.sh --registry "$HUTCH_TEST_REGISTRY"; then
    export HUTCH_TEST_SYSTEMD_IMAGE=debian-systemd:bookworm
  else
    failures+=("debian-systemd image: build or push failed")
    failed=$((failed + 1))
  fi
  log "debian-systemd seeding took $((SECONDS - t0)) s"
fi

# ---------------------------------------------------------------- build + test
build_tree() {
  local tree=$1
  local -a flags
  case $tree in
    build-asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DHUTCH_SANITIZE=ON) ;;
    *) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  esac
  log "building $tree (${flags[*]})"
  local -a targets=()
  for t in ${HUTCH_TEST_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
  cmake -S "$ROOT" -B "$ROOT/$tree" "${flags[@]}" >/dev/null &&
    cmake --build "$ROOT/$tree" -j "$JOBS" "${targets[@]}"
}

# run_label TREE LABEL: runs ctest for one label and adds its counts to passed/failed.
run_label() {
  local tree=$1 label=$2 out rc=0 total nfail
  local -a env=()
  local -a par=(-j 1)
  [[ $label == unit ]] && par=(-j "$JOBS")
  if [[ $tree == build-asan && $label == e2e && -n ${HUTCH_E2E_ASAN_OPTIONS:-} ]]; then
    env=(env "ASAN_OPTIONS=$HUTCH_E2E_ASAN_OPTIONS")
  fi
  # The sanitizer tree is for memory errors: its e2e run leaves out the slow cases whose
  # hutch code paths the others already take (systemd boots, podman interop, crash loops,
  # races); the release tree runs every case.
  local -a only=()
  if [[ $tree == build-asan && $label == e2e && -n $ASAN_E2E_ONLY ]]; then
    only=(-R "$ASAN_E2E_ONLY")
    log "ctest $tree -L $label: the smoke set (HUTCH_TEST_ASAN_E2E_ONLY; the release tree runs every case)"
  fi
  log "ctest $tree -L $label"
  local logf="$ROOT/$tree/ctest-$label.log"
  # tee: live progress on the terminal, the log for the summary line.
  (cd "$ROOT/$tree" && "${env[@]}" ctest --output-on-failure --no-tests=ignore \
    --timeout 900 -L "^${label}\$" "${only[@]}" "${par[@]}") 2>&1 | tee "$logf" || rc=${PIPESTATUS[0]}
  out=$(<"$logf")
  if [[ $out =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    nfail=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
  elif ((rc == 0)); then  # --no-tests=ignore: no summary when the label has no tests
    nfail=0
    total=0
    echo "(no $label tests in $tree)"
  else
    nfail=1
    total=1
    echo "could not read ctest's summary for $tree/$label (exit $rc)"
  fi
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  if ((nfail > 0 || rc != 0)); then
    failures+=("$tree/$label: $nfail failed")
    if ((nfail == 0)); then  # ctest failed without a failing test: count it
      failed=$((failed + 1))
    fi
  fi
}

for tree in $TREES; do
  if ! build_tree "$tree"; then
    failures+=("$tree: build failed")
    failed=$((failed + 1))
    continue
  fi
  for label in $LABELS; do
    run_label "$tree" "$label"
  done
done

# ---------------------------------------------------------------- podman reference
# The e2e cases tagged [podman-ref] state podman's behaviour: they run against podman 4.3 as
# well (tests/e2e/podman-shim.sh), so an expectation that is hutch's own and not podman's
# shows up here. One result.
REF_E2E=$ROOT/build/tests/test_e2e
if [[ ${HUTCH_TEST_PODMAN_REF:-1} == 1 && " $TREES " == *" build "* && " $LABELS " == *" e2e "* ]]; then
  if [[ ! -x $REF_E2E ]] || ! command -v podman >/dev/null; then
    failed=$((failed + 1))
    failures+=("podman reference: $REF_E2E or podman missing")
  else
    log "podman reference: test_e2e [podman-ref] against podman $(podman --version | awk '{print $3}')"
    if HUTCH_E2E_BINARY="$ROOT/tests/e2e/podman-shim.sh" timeout 900 "$REF_E2E" "[podman-ref]"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      failures+=("podman reference: the [podman-ref] e2e cases fail against podman")
    fi
  fi
fi

# ---------------------------------------------------------------- fuzz
# A short fixed-time run of every libFuzzer target (the seed corpus plus a few seconds of
# mutation): one test per target. scripts/fuzz.sh writes one result line per target.
FUZZ_SECONDS=${HUTCH_TEST_FUZZ_SECONDS:-10}
if [[ $FUZZ_SECONDS != 0 ]]; then
  log "fuzzing every target for $FUZZ_SECONDS s (scripts/fuzz.sh)"
  HUTCH_FUZZ_JOBS=$JOBS bash scripts/fuzz.sh "$FUZZ_SECONDS" || true
  nres=0
  while IFS= read -r line; do
    nres=$((nres + 1))
    if [[ $line == *": ok "* ]]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      failures+=("$line")
    fi
  done < <(cat "$ROOT/build-fuzz/fuzz-results.txt" 2>/dev/null)
  if ((nres == 0)); then
    failed=$((failed + 1))
    failures+=("fuzz: scripts/fuzz.sh reported no result")
  fi
fi

# Stop the registry now so that the count line below is the last line of output.
cleanup
started_registry=0

log "summary"
for f in "${failures[@]}"; do
  echo "FAILED: $f"
done
echo "$passed passed, $failed failed"
((failed == 0))
