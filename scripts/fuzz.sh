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

run() {
  local name=$1 corpus="$scratch/corpus/$1" findings="$scratch/findings/$1"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  cp Tests/Fuzz/corpus/"$name"/* "$corpus"/
  # libFuzzer stops itself at -max_total_time; the outer KILL is the backstop for a hang.
  local status=0
  timeout -s KILL $((seconds + 120)) "$binaries/$name" "$corpus" -max_total_time="$seconds" \
    -rss_limit_mb=4096 -timeout=30 -artifact_prefix="$findings/" -print_final_stats=1 \
    > "$scratch/$name.log" 2>&1 || status=$?
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$name.log" | grep -o '[0-9]*$' || echo "?")
  local counters
  counters=$(grep -o 'Loaded 1 modules *([0-9]* inline' "$scratch/$name.log" | grep -o '[0-9]* inline' | grep -o '[0-9]*' || echo 0)
  if [ "$status" -eq 0 ] && [ -z "$(ls -A "$findings")" ]; then
    echo "$name: 0 crashes in ${seconds} s, $runs inputs run, $counters coverage counters, corpus grew to $(ls "$corpus" | wc -l) files"
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
