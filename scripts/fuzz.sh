#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Tests/Fuzz) with AddressSanitizer and runs each one for a
# given time on a copy of its committed seed corpus (Tests/Fuzz/corpus/<name>). Exits non-zero
# when any harness finds a crash (its reproducer is left in .build-fuzz/findings/<name>).
#   scripts/fuzz.sh 60                 # every harness, 60 s each, one after another
#   scripts/fuzz.sh 1800 FuzzDataset   # one harness, 30 minutes
#   JOBS=2 scripts/fuzz.sh 1800        # two harnesses at a time
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(FuzzExperiment FuzzDataset FuzzModelFile FuzzIDX)
jobs=${JOBS:-1}

./scripts/install-deps.sh
scratch=.build-fuzz
# SwiftPM's --sanitize fuzzer reaches the link but not the compile of library targets, which
# then carry no coverage counters and leave libFuzzer blind ("no interesting inputs"): the
# -Xswiftc flags instrument every module (check: "Loaded 1 modules (12000+ inline 8-bit
# counters)" at the top of each log).
flags=(--scratch-path "$scratch" --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address)
for name in "${harnesses[@]}"; do
  SHARDTRAIN_FUZZ=1 swift build "${flags[@]}" --product "$name" >&2
done
binaries=$(SHARDTRAIN_FUZZ=1 swift build "${flags[@]}" --show-bin-path)
swift build --product shardtrain >&2
shardtrain="$(swift build --show-bin-path)/shardtrain"

run() {
  local name=$1 corpus="$scratch/corpus/$1" findings="$scratch/findings/$1"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  cp Tests/Fuzz/corpus/"$name"/* "$corpus"/
  # libFuzzer stops itself at -max_total_time; the outer KILL is the backstop for a hang.
  local status=0
  # Fork mode that goes on past a hang or a crash: HDF5 1.10.8 loops forever, or overruns a
  # buffer, reading some corrupt global heaps, which no caller can prevent; shardtrain turns
  # both into exit 65 with a message (HDF5StallGuard). Every such artifact is checked below:
  # the crash must be inside libhdf5, and shardtrain must end on it with an error, never a
  # signal or a hang. (Leaks inside libhdf5 on damaged files are not counted.)
  timeout -s KILL $((seconds + 120)) "$binaries/$name" "$corpus" -max_total_time="$seconds" \
    -fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=0 -detect_leaks=0 \
    -rss_limit_mb=4096 -timeout=20 -artifact_prefix="$findings/" -print_final_stats=1 \
    > "$scratch/$name.log" 2>&1 || status=$?
  local runs
  # Fork mode's progress lines start with the inputs run so far: "#10030: cov: 80 ...".
  runs=$(grep -o '^#[0-9]*: cov' "$scratch/$name.log" | tail -1 | grep -o '[0-9]*' || echo "?")
  # Every ASan report must be inside libhdf5 (a crash in ShardTrain's own code fails the run),
  # and every timeout or crash input must end in shardtrain with an error, never a hang or a
  # signal.
  if grep "SUMMARY: AddressSanitizer" "$scratch/$name.log" | grep -v "libhdf5" | grep -q .; then
    echo "$name: AddressSanitizer reported an error outside libhdf5: see $scratch/$name.log" >&2
    status=1
  fi
  local timeouts=0 artifact
  for artifact in "$findings"/timeout-* "$findings"/crash-*; do
    [ -e "$artifact" ] || continue
    timeouts=$((timeouts + 1))
    local code=0
    SHARDTRAIN_HDF5_STALL_SECONDS=2 timeout 60 "$shardtrain" inspect "$artifact" >/dev/null 2>&1 || code=$?
    if [ "$code" -eq 124 ] || [ "$code" -ge 128 ]; then
      echo "$name: $artifact hangs or crashes shardtrain (exit $code)" >&2
      status=1
    fi
    rm "$artifact"
  done
  local counters
  counters=$(grep -o 'Loaded 1 modules *([0-9]* inline' "$scratch/$name.log" | grep -o '[0-9]* inline' | grep -o '[0-9]*' || echo 0)
  if [ "$status" -eq 0 ] && [ -z "$(ls -A "$findings")" ]; then
    echo "$name: 0 crashes in ${seconds} s, $runs inputs run, $counters coverage counters, corpus grew to $(ls "$corpus" | wc -l) files; $timeouts hangs or crashes inside libhdf5, each an error exit in shardtrain"
  else
    echo "$name: FOUND A CRASH (exit $status): see $scratch/$name.log and $findings" >&2
    return 1
  fi
}

failed=0
running=0
for name in "${harnesses[@]}"; do
  run "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit $failed
