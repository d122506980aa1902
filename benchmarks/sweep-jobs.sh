#!/usr/bin/env bash
# A sweep of 8 small configurations run one at a time (--jobs 1, each run on all cores) and
# packed (--jobs N, each run pinned to its share of the cores), alternating for ROUNDS rounds
# so both see the same machine. Prints the median wall time of each and the ratio.
#   ./benchmarks/sweep-jobs.sh                 # 3 rounds, --jobs 1 vs --jobs 2, 2 epochs
#   ROUNDS=5 JOBS=2 EPOCHS=2 ./benchmarks/sweep-jobs.sh
# The 8 configurations: Fashion-MNIST, hidden [64] or [128], learning rate 0.02/0.05/0.1/0.2,
# batch 32 (small models and batches, which two workers speed up least).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
jobs=${JOBS:-$(nproc)}
epochs=${EPOCHS:-2}

./scripts/install-deps.sh
swift build -c release --product shardtrain >&2
[ -f datasets/fashion-mnist.h5 ] || .build/release/shardtrain import fashion-mnist >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sweep() {  # sweep JOBS -> wall seconds
  local start end
  start=$(date +%s.%N)
  scripts/sweep.py experiments/fashion-mnist-mlp.toml 'model.hidden=[64],[128]' \
    optimizer.learning_rate=0.02,0.05,0.1,0.2 --jobs "$1" --fresh --out "$out/jobs-$1" \
    -- --set training.epochs="$epochs" --set training.batch_size=32 >/dev/null 2>"$out/jobs-$1.log" \
    || { cat "$out/jobs-$1.log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')"
}
one=() many=()
for round in $(seq "$rounds"); do
  one+=("$(sweep 1)")
  many+=("$(sweep "$jobs")")
  echo "round $round of $rounds: --jobs 1 ${one[-1]} s, --jobs $jobs ${many[-1]} s" >&2
done
python3 - "$jobs" "${one[*]}" "${many[*]}" <<'PY'
import statistics, sys
jobs, one, many = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print("| sweep of 8 configurations | wall time, median (s) | min-max (s) |")
print("|---|---:|---:|")
for label, values in ((f"--jobs 1", one), (f"--jobs {jobs}", many)):
    print(f"| {label} | {statistics.median(values):.1f} | {min(values):.1f}-{max(values):.1f} |")
print(f"\n--jobs {jobs} took {statistics.median(many) / statistics.median(one):.2f}x the time of --jobs 1 "
      f"({len(one)} rounds).")
PY
