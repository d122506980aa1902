#!/usr/bin/env python3
"""Stream vs memory, side by side in one invocation: for each pass, trains EXPERIMENT on DATA once
per mode (alternating, page cache warmed first) under /usr/bin/time -v, and prints the Markdown
rows of BENCHMARKS.md's streaming table: samples/s (training time; a stream's first window
wait included), the time to the first step (from opening the data to the end of step 1),
peak resident memory, the data's memory (both splits, or the readers' rings) and the steps
that waited for the reader. Medians over the passes, min-max in brackets.

    /usr/bin/python3 benchmarks/streaming.py datasets/fashion-mnist.h5 --epochs 5 --passes 5
    /usr/bin/python3 benchmarks/streaming.py datasets/synthetic-1m.h5 --epochs 2 --passes 3
    /usr/bin/python3 benchmarks/streaming.py datasets/synthetic-10m.h5 --modes stream --epochs 1 --passes 1
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, experiment, data, mode, epochs, extra, run_dir):
    command = ["/usr/bin/time", "-v", binary, "train", experiment, "--json", "--quiet", "--force",
               "--run-dir", run_dir, "--set", f'data.path="{data}"', "--set", f'data.loading="{mode}"',
               "--set", f"training.epochs={epochs}"]
    for item in extra:
        command += ["--set", item]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) * 1024
    return {"samples": report["samples_per_second"], "first": report["first_step_seconds"], "peak": peak,
            "data": report["data_memory_bytes"], "waits": report.get("stream_waits"),
            "accuracy": report.get("test_accuracy")}


def cell(values, fmt):
    values = sorted(values)
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(values[0])}-{fmt(values[-1])})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--experiment", default=os.path.join(ROOT, "experiments/fashion-mnist-mlp.toml"))
    parser.add_argument("--modes", default="memory,stream")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/shardtrain"))
    parser.add_argument("--set", action="append", default=[], help="more experiment overrides")
    args = parser.parse_args()
    modes = args.modes.split(",")
    # Warm the page cache: the comparison is of the pipelines, not of the disk.
    with open(args.data, "rb") as f:
        while f.read(64 << 20):
            pass
    results = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.passes):
            for mode in (modes if number % 2 == 0 else modes[::-1]):
                print(f"pass {number + 1} of {args.passes}: {mode}", file=sys.stderr)
                results[mode].append(run(args.binary, args.experiment, args.data, mode, args.epochs,
                                         args.set, os.path.join(folder, mode)))
    name = os.path.basename(args.data)
    print("| data | mode | samples/s | vs memory | first step (s) | peak resident (MB) | data in memory (MB) | waits | test accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    memory = statistics.median(r["samples"] for r in results["memory"]) if "memory" in results else None
    for mode in modes:
        rows = results[mode]
        ratio = f"{statistics.median(r['samples'] for r in rows) / memory:.2f}x" if memory else "-"
        waits = "-" if rows[0]["waits"] is None else cell([r["waits"] for r in rows], str)
        print(f"| {name} | {mode} | {cell([r['samples'] for r in rows], lambda v: f'{v / 1000:.1f}k')} | {ratio} "
              f"| {cell([r['first'] for r in rows], lambda v: f'{v:.2f}')} "
              f"| {cell([r['peak'] for r in rows], lambda v: f'{v / 1e6:.0f}')} "
              f"| {rows[0]['data'] / 1e6:.0f} | {waits} | {rows[0]['accuracy']:.4f} |")


if __name__ == "__main__":
    main()
