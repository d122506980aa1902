#!/usr/bin/env python3
"""Runs an experiment over a grid of settings and writes one summary table.

  scripts/sweep.py EXPERIMENT KEY=V1,V2,... [KEY=V1,V2,...]... [--out DIR] [-- TRAIN ARGS...]

Every combination of the values runs as `shardtrain train EXPERIMENT --set KEY=V ...` in its
own run directory under DIR (default runs/sweep-<experiment>), its progress in train.log
there. A failed run is recorded and the sweep carries on. At the end DIR/summary.csv and
DIR/summary.md list every run: its settings, status, exit code, final and best test
accuracy and loss, samples/s and wall time, read from each run's summary.json. Values are
TOML, so arrays work: model.hidden=[64,32],[128] (commas inside brackets stay in the value).

Example:
  scripts/sweep.py experiments/fashion-mnist-mlp.toml optimizer.learning_rate=0.01,0.05 \\
      training.workers=1,2 -- --set training.epochs=3
Exit code: 0 when every run completed, 1 when any failed, 64 for bad arguments.
"""
import csv
import itertools
import json
import os
import subprocess
import sys


def split_values(text):
    """Splits on commas outside brackets and quotes."""
    values, depth, quote, current = [], 0, None, ""
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current)
            current = ""
            continue
        current += char
    values.append(current)
    return [v.strip() for v in values if v.strip()]


def usage(message):
    print(f"sweep: {message}\nusage: scripts/sweep.py EXPERIMENT KEY=V1,V2... [--out DIR] [-- TRAIN ARGS...]", file=sys.stderr)
    sys.exit(64)


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    out = None
    if "--out" in args:
        i = args.index("--out")
        if i + 1 >= len(args):
            usage("--out needs a folder")
        out = args[i + 1]
        del args[i:i + 2]
    if len(args) < 2:
        usage("give an experiment file and at least one KEY=V1,V2 axis")
    experiment, axes = args[0], []
    for axis in args[1:]:
        if "=" not in axis:
            usage(f"'{axis}' is not KEY=V1,V2,...")
        key, values = axis.split("=", 1)
        axes.append((key, split_values(values)))
    name = os.path.splitext(os.path.basename(experiment))[0]
    out = out or f"runs/sweep-{name}"
    binary = os.environ.get("SHARDTRAIN", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "shardtrain"))
    if not os.access(binary, os.X_OK):
        usage(f"no shardtrain binary at {binary}; build it with `swift build -c release` or set SHARDTRAIN")
    os.makedirs(out, exist_ok=True)

    rows = []
    combinations = list(itertools.product(*[[(k, v) for v in values] for k, values in axes]))
    for number, combination in enumerate(combinations, 1):
        label = "_".join(f"{k.split('.')[-1]}={v}" for k, v in combination)
        label = "".join(c if c.isalnum() or c in "=._-" else "-" for c in label)
        run_dir = os.path.join(out, label)
        command = [binary, "train", experiment, "--run-dir", run_dir, "--force", "--quiet"]
        for key, value in combination:
            command += ["--set", f"{key}={value}"]
        command += extra
        print(f"[{number}/{len(combinations)}] {label}", file=sys.stderr, flush=True)
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "train.log"), "w") as log:
            code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=log)
        summary = {}
        try:
            with open(os.path.join(run_dir, "summary.json")) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            pass
        if code != 0 and summary.get("exit_code") != code:
            summary = {"status": "failed"}  # failed before training: no summary of its own
        final, best = summary.get("final") or {}, summary.get("best") or {}
        row = {k: v for k, v in combination}
        row.update({
            "status": summary.get("status", "failed") if code != 0 else "completed",
            "exit_code": code,
            "final_test_accuracy": final.get("test_accuracy"),
            "final_test_loss": final.get("test_loss"),
            "best_test_accuracy": best.get("test_accuracy"),
            "best_epoch": best.get("epoch"),
            "samples_per_second": round(summary["samples_per_second"]) if summary.get("samples_per_second") else None,
            "wall_seconds": round(summary["wall_seconds"], 1) if summary.get("wall_seconds") else None,
            "run_dir": run_dir,
        })
        if code != 0:
            with open(os.path.join(run_dir, "train.log")) as f:
                lines = [l.strip() for l in f if l.strip()]
            row["error"] = lines[-1] if lines else ""
            print(f"    failed with exit code {code}: {row['error']}", file=sys.stderr)
        rows.append(row)

    columns = [k for k, _ in axes] + ["status", "exit_code", "final_test_accuracy", "final_test_loss",
                                      "best_test_accuracy", "best_epoch", "samples_per_second",
                                      "wall_seconds", "run_dir", "error"]
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in columns})
    with open(os.path.join(out, "summary.md"), "w") as f:
        shown = [c for c in columns if c not in ("run_dir", "error")]
        f.write("| " + " | ".join(shown) + " |\n|" + "---|" * len(shown) + "\n")
        for row in rows:
            f.write("| " + " | ".join("" if row.get(c) is None else str(row[c]) for c in shown) + " |\n")
    with open(os.path.join(out, "summary.md")) as f:
        print(f.read(), end="")
    print(f"wrote {out}/summary.csv and {out}/summary.md", file=sys.stderr)
    sys.exit(0 if all(r["exit_code"] == 0 for r in rows) else 1)


if __name__ == "__main__":
    main()
