#!/usr/bin/env python3
"""Turns the JSON files of benchmarks/run.sh into the Markdown table of BENCHMARKS.md."""
import glob
import json
import os
import statistics
import sys

folder = sys.argv[1]
ours = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "shardtrain-*.json")))]
theirs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "pytorch-*.json")))]


def collect(runs, key):
    table = {}
    for run in runs:
        for r in run["results"]:
            table.setdefault((r["batch_size"], r[key]), []).extend(r["passes"])
    return table


shard = collect(ours, "workers")
torch = collect(theirs, "threads")
parameters = ours[0]["parameters"]
one = statistics.median(c["one_thread"] for run in ours for c in run["sgemm_gflops"])
most = ours[0]["sgemm_gflops"][0]["threads"]
all_threads = statistics.median(c["all_threads"] for run in ours for c in run["sgemm_gflops"])
rss = [(r["resident_before"], r["resident_after"]) for run in ours for r in run["results"]]
peak = max(run["peak_resident"] for run in ours)


def fmt(values):
    return f"{statistics.median(values) / 1000:.1f}k ({min(values) / 1000:.0f}-{max(values) / 1000:.0f}k)"


print(f"Rounds: {len(ours)} (one pass of each configuration per round, ShardTrain and PyTorch alternating); "
      f"BLAS core {ours[0]['blas_core']}; PyTorch {theirs[0]['torch']}.")
print(f"sgemm ceiling (128x784.784x256): {one:.0f} GFLOP/s on 1 thread, {all_threads:.0f} on {most} threads at once (medians).")
print()
print("| batch | workers | ShardTrain samples/s (min-max) | speed-up | GFLOP/s | of sgemm ceiling | PyTorch samples/s (min-max) | ShardTrain / PyTorch |")
print("|---:|---:|---|---:|---:|---:|---|---:|")
for (batch, workers) in sorted(shard):
    values = shard[(batch, workers)]
    rate = statistics.median(values)
    base = statistics.median(shard[(batch, min(w for b, w in shard if b == batch))])
    gflops = rate * 6 * parameters / 1e9
    ceiling = one if workers == 1 else all_threads if workers == most else one * workers
    reference = torch.get((batch, workers))
    ratio = f"{rate / statistics.median(reference):.2f}x" if reference else "-"
    print(f"| {batch} | {workers} | {fmt(values)} | {rate / base:.2f}x | {gflops:.0f} | "
          f"{100 * gflops / ceiling:.0f}% | {fmt(reference) if reference else '-'} | {ratio} |")
print()
print(f"Resident memory before the first timed pass -> after the last, per process: "
      f"{min(b for b, _ in rss) >> 20}-{max(b for b, _ in rss) >> 20} MiB -> "
      f"{min(a for _, a in rss) >> 20}-{max(a for _, a in rss) >> 20} MiB; peak {peak >> 20} MiB.")
