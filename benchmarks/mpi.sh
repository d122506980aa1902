#!/usr/bin/env bash
# What training on MPI ranks costs on one machine, measured side by side in one invocation:
#   1x2        one process, 2 worker threads (no MPI), train split in memory
#   1x2 stream one process, 2 worker threads, train split streamed (ranks always stream it,
#              each reading only its own rows: this row separates the reader's share)
#   2x1 shm    2 ranks x 1 worker, Open MPI over shared memory (--mca btl self,vader)
#   2x1 tcp    2 ranks x 1 worker, Open MPI over loopback TCP (--mca btl self,tcp)
#   1x2 base   (only with BASELINE=path/to/an/older/shardtrain) the same 1x2 run by another
#              binary, e.g. main's, to show a run without MPI is as fast as before
# ROUNDS rounds, each running every configuration once in turn, so all see the same machine;
# prints the Markdown table of BENCHMARKS.md: median training samples/s (min-max), the ratio
# to 1x2, what rank 0 sent per step and its milliseconds in MPI per step (waiting for the
# other rank included), and checks that every configuration trained the same weights.
#   ./benchmarks/mpi.sh                                   # 7 rounds, batch 128, 2 epochs
#   ROUNDS=9 BATCH=512 EPOCHS=3 ./benchmarks/mpi.sh
#   BASELINE=/work/main/.build/release/shardtrain ./benchmarks/mpi.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-7}
batch=${BATCH:-128}
epochs=${EPOCHS:-2}
# One micro-shard per rank (and per worker): the automatic size on 2 processors, fixed here
# so every configuration trains the same model.
shard_rows=${SHARD_ROWS:-$(( (batch + 1) / 2 ))}

./scripts/install-deps.sh
if [ -z "${SHARDTRAIN:-}" ]; then swift build -c release --product shardtrain >&2; fi
binary=${SHARDTRAIN:-$PWD/.build/release/shardtrain}   # SHARDTRAIN=path: another build
[ -f datasets/fashion-mnist.h5 ] || "$binary" import fashion-mnist >&2

as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-run-as-root)
out=$(mktemp -d)
train=(train experiments/fashion-mnist-mlp.toml --set "training.epochs=$epochs"
       --set "training.batch_size=$batch" --set "training.shard_rows=$shard_rows" --json --quiet --force)

configurations=("1x2" "1x2-stream" "2x1-shm" "2x1-tcp")
[ -z "${BASELINE:-}" ] || configurations+=("1x2-base")
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  for name in "${configurations[@]}"; do
    run=("${train[@]}" --run-dir "$out/run-$name")
    case $name in
      1x2)      "$binary" "${run[@]}" --workers 2 ;;
      1x2-stream) "$binary" "${run[@]}" --workers 2 --set 'data.loading="stream"' ;;
      1x2-base) "$BASELINE" "${run[@]}" --workers 2 ;;
      2x1-shm)  mpirun "${as_root[@]}" -np 2 --bind-to core --mca btl self,vader "$binary" "${run[@]}" --workers 1 ;;
      2x1-tcp)  mpirun "${as_root[@]}" -np 2 --bind-to core --mca btl self,tcp "$binary" "${run[@]}" --workers 1 ;;
    esac > "$out/$name-$round.json"
  done
done

/usr/bin/python3 - "$out" "$batch" "${configurations[@]}" <<'PY'
import glob, hashlib, json, statistics, sys
import h5py
folder, batch, names = sys.argv[1], sys.argv[2], sys.argv[3:]
labels = {"1x2": "1 process x 2 workers", "1x2-stream": "1 process x 2 workers, train split streamed", "2x1-shm": "2 ranks x 1 worker, shared memory",
          "2x1-tcp": "2 ranks x 1 worker, TCP loopback", "1x2-base": "1 process x 2 workers, BASELINE binary"}
runs = {name: [json.load(open(path)) for path in sorted(glob.glob(f"{folder}/{name}-[0-9]*.json"))] for name in names}
def median(values): return statistics.median(values)
reference = median([r["samples_per_second"] for r in runs["1x2"]])
print(f"Batch {batch}, {len(runs['1x2'])} rounds, medians (min-max); bytes and MPI time are rank 0's per step.\n")
print("| layout | samples/s | vs 1x2 | bytes sent/step | MPI ms/step | ns per byte |")
print("|---|---|---|---|---|---|")
for name in names:
    rates = [r["samples_per_second"] for r in runs[name]]
    row = f"| {labels[name]} | {median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f}) | {median(rates) / reference:.2f}x |"
    if "mpi_bytes_per_step" in runs[name][0]:
        sent = median([r["mpi_bytes_per_step"] for r in runs[name]])
        seconds = median([r["mpi_seconds_per_step"] for r in runs[name]])
        row += f" {sent:,.0f} | {seconds * 1e3:.3f} | {seconds / sent * 1e9:.2f} |"
    else:
        row += " - | - | - |"
    print(row)
def weights(path):
    digest = hashlib.sha256()
    with h5py.File(path, "r") as f:
        f["model"].visititems(lambda name, item: digest.update(name.encode() + item[()].astype("<f4").tobytes())
                              if isinstance(item, h5py.Dataset) else None)
    return digest.hexdigest()
hashes = {name: weights(f"{folder}/run-{name}/model.h5") for name in names}
print("\nweights identical across layouts:", "yes" if len(set(hashes.values())) == 1 else f"NO: {hashes}")
PY
