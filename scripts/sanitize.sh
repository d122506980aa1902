#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer, and the engine, trainer and streaming tests (the
# threaded code) under ThreadSanitizer, each in its own build folder. Exits non-zero when either
# reports anything. The spawned `shardtrain` binaries are built with the same sanitizer.
#   scripts/sanitize.sh            # both
#   scripts/sanitize.sh address    # or: thread
set -euo pipefail
cd "$(dirname "$0")/.."

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
./scripts/install-deps.sh
./scripts/install-test-deps.sh

status=0
for kind in "${kinds[@]}"; do
  scratch=.build-$kind
  case "$kind" in
    address) filter=() ;;
    # The threaded code: the worker pool and engine, the trainer driving it, checkpoints, and
    # the streaming reader's thread filling its ring while workers train from it.
    thread) filter=(--filter "DataParallelEngineTests|DataParallelTrainingTests|TrainerTests|CheckpointTests|StreamingTests") ;;
    *) echo "usage: scripts/sanitize.sh [address] [thread]" >&2; exit 64 ;;
  esac
  swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >&2
  # halt_on_error: a report fails the process (and so the test that ran it).
  # SHARDTRAIN_SANITIZER tells the one test whose input overruns a buffer inside libhdf5
  # (hdf5-overrun.h5) to expect AddressSanitizer's report there instead of shardtrain's exit 65.
  if SHARDTRAIN_SANITIZER=$kind ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 \
       swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "${filter[@]}" \
       > "$scratch/test.log" 2>&1; then
    echo "$kind: clean ($(grep -E 'Test run with [0-9]+ tests' "$scratch/test.log" | tail -1))"
  else
    echo "$kind: FAILED; see $scratch/test.log" >&2
    grep -E "ERROR: (Address|Thread)Sanitizer|WARNING: ThreadSanitizer|✘" "$scratch/test.log" | head -20 >&2 || true
    status=1
  fi
done
exit $status
