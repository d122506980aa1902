#!/usr/bin/env bash
# Two builds of shardtrain side by side: ROUNDS rounds, each one timed pass of every
# configuration by the first binary, then by the second, alternating so both see the same
# machine. Prints each one's medians and the ratio (second / first) per configuration.
#   benchmarks/compare.sh OLD_BINARY [NEW_BINARY]        # NEW defaults to this tree's release build
#   ROUNDS=9 BATCHES=128 benchmarks/compare.sh /tmp/old/shardtrain
set -euo pipefail
cd "$(dirname "$0")/.."

old=${1:?usage: benchmarks/compare.sh OLD_BINARY [NEW_BINARY]}
new=${2:-.build/release/shardtrain}
rounds=${ROUNDS:-7}
steps=${STEPS:-200}
batches=${BATCHES:-32,128,512}
workers=${WORKERS:-$(seq -s, 1 "$(nproc)")}

[ "$new" != .build/release/shardtrain ] || swift build -c release --product shardtrain >&2
[ -f datasets/fashion-mnist.h5 ] || "$new" import fashion-mnist >&2

out=$(mktemp -d)
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  for side in old new; do
    binary=${!side}
    "$binary" bench --passes 1 --steps "$steps" --batch-sizes "$batches" --workers "$workers" --json \
      > "$out/$side-$round.json"
  done
done
/usr/bin/python3 - "$out" "$old" "$new" <<'PY'
import glob, json, os, statistics, sys
folder, old, new = sys.argv[1:4]
def collect(side):
    table = {}
    for path in sorted(glob.glob(os.path.join(folder, f"{side}-*.json"))):
        for r in json.load(open(path))["results"]:
            table.setdefault((r["batch_size"], r["workers"]), []).extend(r["passes"])
    return table
a, b = collect("old"), collect("new")
rounds = len(glob.glob(os.path.join(folder, "old-*.json")))
print(f"{rounds} rounds, alternating; first: {old}; second: {new}")
print()
print("| batch | workers | first samples/s (min-max) | second samples/s (min-max) | second / first |")
print("|---:|---:|---|---|---:|")
for key in sorted(a):
    x, y = a[key], b.get(key, [])
    fmt = lambda v: f"{statistics.median(v) / 1000:.1f}k ({min(v) / 1000:.0f}-{max(v) / 1000:.0f}k)"
    ratio = statistics.median(yy / xx for xx, yy in zip(x, y)) if y else float("nan")
    print(f"| {key[0]} | {key[1]} | {fmt(x)} | {fmt(y) if y else '-'} | {ratio:.3f} |")
PY
