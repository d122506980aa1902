#!/usr/bin/env bash
# ShardTrain beside PyTorch, measured in one invocation: ROUNDS rounds, each one timed pass of
# every configuration by `shardtrain bench`, then one by the PyTorch reference, alternating so
# both see the same machine. Prints the Markdown table of BENCHMARKS.md (medians, min-max).
#   ./benchmarks/run.sh                      # 7 rounds, batches 32,128,512, workers 1..cores
#   ROUNDS=9 STEPS=300 BATCHES=128 ./benchmarks/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-7}
steps=${STEPS:-200}
batches=${BATCHES:-32,128,512}
workers=${WORKERS:-$(seq -s, 1 "$(nproc)")}

./scripts/install-deps.sh
swift build -c release --product shardtrain >&2
[ -f datasets/fashion-mnist.h5 ] || .build/release/shardtrain import fashion-mnist >&2
python3 -c "import torch, h5py" 2>/dev/null || python3 -m pip install --quiet torch h5py >&2

out=$(mktemp -d)
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  .build/release/shardtrain bench --passes 1 --steps "$steps" --batch-sizes "$batches" \
    --workers "$workers" --json > "$out/shardtrain-$round.json"
  python3 benchmarks/pytorch_reference.py --passes 1 --steps "$steps" --batch-sizes "$batches" \
    --threads "$workers" > "$out/pytorch-$round.json"
done
python3 benchmarks/summarize.py "$out"
