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

# libhdf5 is not instrumented: ASan sees its memory errors only in the interceptors it calls
# (memcpy, memmove, ...). Those reports are HDF5 1.10.8's own bugs on damaged files, which no
# caller can prevent; they are kept out of the run (each such input is still replayed below
# when it ends in a crash or hang), and every report left must come from ShardTrain's code.
export ASAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/asan-libhdf5.supp:${ASAN_OPTIONS:-}"

# Replays `artifact` on the harness alone, keeps the report next to it, and prints where it
# happened: "libhdf5" when the first frame outside the sanitizer, libFuzzer and libc is
# inside libhdf5 (or the report is a hang whose stack is in libhdf5), else that frame.
where() {
  local binary=$1 artifact=$2
  timeout -s KILL 120 "$binary" "$artifact" -timeout=20 -rss_limit_mb=4096 -malloc_limit_mb=4096 \
    > "$artifact.txt" 2>&1 || true
  local frame
  frame=$(grep -E '^ +#[0-9]+ 0x' "$artifact.txt" \
    | grep -v -E 'compiler-rt|sysdeps|libc\.so|libstdc\+\+|FuzzerMain|sanitizer|libFuzzer|fuzzer::|__asan|__interceptor|/libc-| in (malloc|calloc|realloc|free|memcpy|memset|memmove) ' \
    | head -1 || true)
  if [ -z "$frame" ]; then
    echo "no-report"
  elif echo "$frame" | grep -q libhdf5; then
    echo "libhdf5"
  else
    echo "$frame" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //'
  fi
}

run() {
  local name=$1 corpus="$scratch/corpus/$1" findings="$scratch/findings/$1"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  cp Tests/Fuzz/corpus/"$name"/* "$corpus"/
  # libFuzzer stops itself at -max_total_time; the outer KILL is the backstop for a hang.
  local status=0
  # Fork mode goes on past a hang or a crash: HDF5 1.10.8 loops forever, or overruns a
  # buffer, reading some damaged files. Every artifact is replayed and located below: a crash
  # in ShardTrain's own code fails the run; one inside libhdf5 must end, in shardtrain, with
  # an error (exit 65), never a signal or a hang. (Leaks inside libhdf5 are not counted.)
  timeout -s KILL $((seconds + 120)) "$binaries/$name" "$corpus" -max_total_time="$seconds" \
    -fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=1 -detect_leaks=0 \
    -rss_limit_mb=4096 -malloc_limit_mb=4096 -timeout=20 -artifact_prefix="$findings/" -print_final_stats=1 \
    > "$scratch/$name.log" 2>&1 || status=$?
  # Fork mode that went on past crashes, hangs or running out of memory exits with their code
  # (1, 70 for a timeout, 77, ...) when it ends: those inputs are judged below. Only the outer
  # KILL (137, libFuzzer itself hung) or a run that never got going is a failure here.
  if [ "$status" -ne 0 ] && [ "$status" -ne 137 ] && grep -q '^INFO: fuzzed for' "$scratch/$name.log"; then status=0; fi
  local runs
  # Fork mode's progress lines start with the inputs run so far: "#10030: cov: 80 ...".
  runs=$(grep -o '^#[0-9]*: cov' "$scratch/$name.log" | tail -1 | grep -o '[0-9]*' || echo "?")
  local inHDF5=0 ours=0 unreproduced=0 artifact place
  for artifact in "$findings"/crash-* "$findings"/timeout-* "$findings"/oom-* "$findings"/leak-*; do
    [ -e "$artifact" ] || continue
    case "$artifact" in *.txt) continue ;; esac
    place=$(where "$binaries/$name" "$artifact")
    # What a user meets: shardtrain reading the same bytes as a data file or a model.
    local code=0 experiment="$artifact.toml"
    printf '[data]\npath = "%s"\n[training]\nepochs = 1\n' "$artifact" > "$experiment"
    if [ "$name" = FuzzDataset ]; then
      SHARDTRAIN_HDF5_STALL_SECONDS=2 timeout 60 "$shardtrain" train "$experiment" --run-dir "$artifact.run" \
        >/dev/null 2>&1 || code=$?
    else
      SHARDTRAIN_HDF5_STALL_SECONDS=2 timeout 60 "$shardtrain" inspect "$artifact" >/dev/null 2>&1 || code=$?
    fi
    if [ "$code" -eq 124 ] || [ "$code" -ge 128 ]; then
      echo "$name: $artifact hangs or crashes shardtrain (exit $code)" >&2
      status=1
    fi
    rm -rf "$experiment" "$artifact.run"
    case "$place" in
      libhdf5) inHDF5=$((inHDF5 + 1)); mkdir -p "$findings/libhdf5"; mv "$artifact" "$artifact.txt" "$findings/libhdf5/" ;;
      no-report) unreproduced=$((unreproduced + 1)); mkdir -p "$findings/unreproduced"; mv "$artifact" "$artifact.txt" "$findings/unreproduced/" ;;
      *) ours=$((ours + 1)); echo "$name: $artifact: a finding in ShardTrain's code at $place (report: $artifact.txt)" >&2 ;;
    esac
  done
  [ "$ours" -eq 0 ] || status=1
  # What libhdf5 did, by kind of report and the first libhdf5 function named in it.
  local kinds=""
  if [ -d "$findings/libhdf5" ]; then
    kinds=$(for report in "$findings"/libhdf5/*.txt; do
        # The sanitizer's own name for it (SEGV, allocation-size-too-big, timeout, ...).
        kind=$(grep -o -m1 -E 'SUMMARY: [A-Za-z]+: [A-Za-z][A-Za-z-]*' "$report" | sed -E 's/SUMMARY: [A-Za-z]+: //' || true)
        [ -n "$kind" ] || ! grep -q 'leaked in' "$report" || kind=leak
        [ -n "$kind" ] || kind=other
        function=$(grep -o -m1 -E 'in H5[A-Za-z0-9_]+ \(/[^ ]*libhdf5' "$report" | grep -o -E 'H5[A-Za-z0-9_]+' || echo "?")
        echo "$kind in $function"
      done | sort | uniq -c | sort -rn | awk '{count=$1; $1=""; sub(/^ /, ""); printf "%s%s x%s", (NR > 1 ? "; " : ""), $0, count}')
  fi
  local counters
  counters=$(grep -o 'Loaded 1 modules *([0-9]* inline' "$scratch/$name.log" | grep -o '[0-9]* inline' | grep -o '[0-9]*' || echo 0)
  if [ "$status" -eq 0 ]; then
    echo "$name: 0 crashes in ShardTrain's code in ${seconds} s, $runs inputs run, $counters coverage counters, corpus grew to $(ls "$corpus" | wc -l) files; $inHDF5 reports inside libhdf5 (${kinds:-none}) and $unreproduced not reproduced on replay, each input an error exit (not a signal or hang) in shardtrain; reports kept in $findings"
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
