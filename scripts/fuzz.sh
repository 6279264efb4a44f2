#!/usr/bin/env bash
# scripts/fuzz.sh — build and run hutch's libFuzzer targets (tests/fuzz/).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  how long each target runs (default 60)
#   TARGET              e.g. dockerfile or fuzz_dockerfile (default: every target)
#
# 1. configures build-fuzz/ with clang (HUTCH_FUZZ=ON, HUTCH_TESTS=OFF; ASan + UBSan +
#    libFuzzer instrumentation) and builds only the fuzz targets;
# 2. runs each target for SECONDS_PER_TARGET on a scratch copy of its seed corpus
#    (build-fuzz/corpus/<target>/, which keeps what earlier runs found; the repository's
#    tests/fuzz/corpus/<target>/ is only read), with its dictionary tests/fuzz/dict/<target>.dict
#    if there is one, -timeout=10 -rss_limit_mb=2048; crashes, timeouts and leaks are saved
#    under build-fuzz/crashes/<target>/ and the output under build-fuzz/logs/<target>.log;
# 3. prints one line per target ("fuzz: dockerfile: ok ..." or "fuzz: dockerfile: FAILED ...")
#    and writes them to build-fuzz/fuzz-results.txt; exits non-zero when a target failed
#    (or the build did), naming it.
#
# Reproduce a crash: build-fuzz/tests/fuzz/fuzz_<target> build-fuzz/crashes/<target>/crash-...
# Knobs (environment): HUTCH_FUZZ_BUILD_DIR (default build-fuzz), HUTCH_FUZZ_JOBS (build
#   parallelism, default nproc), HUTCH_FUZZ_ARGS (more libFuzzer flags, e.g. -max_len=4096).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECONDS_PER_TARGET=${1:-60}
shift || true
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
BUILD=${HUTCH_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
JOBS=${HUTCH_FUZZ_JOBS:-$(nproc)}
read -r -a EXTRA_ARGS <<<"${HUTCH_FUZZ_ARGS:-}"

log() { printf '[fuzz] %s\n' "$*" >&2; }

# Every target: tests/fuzz/fuzz_<name>.cpp.
all_targets=()
for f in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
  n=$(basename "$f" .cpp)
  all_targets+=("${n#fuzz_}")
done
targets=()
for t in "$@"; do
  t=${t#fuzz_}
  if [[ ! -f $ROOT/tests/fuzz/fuzz_$t.cpp ]]; then
    echo "unknown fuzz target: $t (have: ${all_targets[*]})" >&2
    exit 2
  fi
  targets+=("$t")
done
((${#targets[@]})) || targets=("${all_targets[@]}")

mkdir -p "$BUILD"
results=$BUILD/fuzz-results.txt
: >"$results"

# ---------------------------------------------------------------- build
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
log "configuring $BUILD (clang, HUTCH_FUZZ=ON)"
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
if ! CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DHUTCH_FUZZ=ON -DHUTCH_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" "${launcher[@]}" >"$BUILD/configure.log" 2>&1 ||
   ! cmake --build "$BUILD" -j "$JOBS" "${build_targets[@]}"; then
  [[ -s $BUILD/configure.log ]] && tail -n 30 "$BUILD/configure.log" >&2
  echo "fuzz: build: FAILED (see above)" | tee -a "$results"
  exit 1
fi

# ---------------------------------------------------------------- run
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
fi

failed=()
for t in "${targets[@]}"; do
  bin=$BUILD/tests/fuzz/fuzz_$t
  corpus=$BUILD/corpus/$t
  crashes=$BUILD/crashes/$t
  logf=$BUILD/logs/$t.log
  mkdir -p "$corpus" "$crashes" "$(dirname "$logf")"
  # The scratch corpus: the repository's seeds plus whatever earlier runs kept.
  if [[ -d $ROOT/tests/fuzz/corpus/$t ]]; then
    cp -n "$ROOT"/tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  fi
  args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$crashes/")
  [[ -f $ROOT/tests/fuzz/dict/$t.dict ]] && args+=(-dict="$ROOT/tests/fuzz/dict/$t.dict")
  before=$(ls "$crashes" | wc -l)
  log "fuzz_$t: ${SECONDS_PER_TARGET} s"
  rc=0
  (cd "$BUILD" && "$bin" "${args[@]}" "${EXTRA_ARGS[@]}" "$corpus") >"$logf" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -n 1)
  if ((rc == 0)); then
    echo "fuzz: $t: ok (${SECONDS_PER_TARGET} s, ${execs:-?} runs)" | tee -a "$results"
  else
    newest=$(ls -t "$crashes" | head -n 1)
    what=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|terminate called|fuzz_applier:|ERROR: libFuzzer' "$logf" || true)
    if (($(ls "$crashes" | wc -l) > before)) && [[ -n $newest ]]; then
      where="$crashes/$newest"
    else
      where="no artifact"
    fi
    echo "fuzz: $t: FAILED (exit $rc): $where: ${what:-see $logf} (log $logf)" | tee -a "$results"
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: crashes found by: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran clean for ${SECONDS_PER_TARGET} s each" >&2
