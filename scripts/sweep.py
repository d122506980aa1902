#!/usr/bin/env python3
"""Runs an experiment over a grid of settings and writes one summary table.

  scripts/sweep.py EXPERIMENT KEY=V1,V2,... [KEY=V1,V2,...]... [--jobs N] [--out DIR] [--fresh]
                   [-- TRAIN ARGS...]

Every combination of the values runs as `shardtrain train EXPERIMENT --set KEY=V ...` in its
own run directory under DIR (default runs/sweep-<experiment>), its progress in train.log
there. A failed run is recorded and the sweep carries on. At the end DIR/summary.csv and
DIR/summary.md list every run: its settings, status, exit code, final test accuracy and
loss, the best epoch by validation with its validation figures, the test accuracy of the
model it chose, samples/s and wall time, read from each run's summary.json. Values are TOML,
so arrays work: model.hidden=[64,32],[128] (commas inside brackets stay in the value).

The winner (marked `*`, and printed last) is the run whose best epoch has the best
validation metric (`training.monitor`: the lowest validation_loss or the highest
validation_accuracy); it is never chosen by a test figure. Runs without validation data
(data.validation_fraction or data.validation_split) have no best epoch, so a sweep of them
names no winner.

--jobs N runs up to N configurations at once (default 1, one after another). The sweep's
cores (its CPU affinity) are split into N disjoint groups; each run is pinned to one group
(sched_setaffinity) and trains with training.workers set to the group's size, so runs never
share a core. A training.workers axis or --set still wins over that share.

Ctrl-C (SIGINT) or SIGTERM is passed on once to every running run, which saves a checkpoint
and exits 130 (143); runs not started yet stay pending; the sweep writes its tables and exits
130 (143). Running the same sweep line again skips the runs that completed, continues the
interrupted ones from their checkpoints (`train --resume`), and starts the others afresh.
A run directory whose settings, experiment file or train arguments differ from this line's
(DIR/<run>/sweep-run.json) starts afresh; so does every run with --fresh.

Example:
  scripts/sweep.py experiments/fashion-mnist-mlp.toml optimizer.learning_rate=0.01,0.05 \\
      model.hidden=[64],[128] --jobs 2 -- --set training.epochs=3
Exit code: 0 when every run completed, 1 when any failed, 64 for bad arguments,
130 (143) when stopped by SIGINT (SIGTERM).
"""
import csv
import glob
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time

# train flags a resumed run refuses (the run directory already fixes them).
NOT_ON_RESUME = {"--force": 0, "--init-from": 1, "--run-dir": 1, "--name": 1}


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
    print(f"sweep: {message}\nusage: scripts/sweep.py EXPERIMENT KEY=V1,V2... [--jobs N] [--out DIR] [--fresh] "
          "[-- TRAIN ARGS...]", file=sys.stderr)
    sys.exit(64)


def take_option(args, name):
    if name not in args:
        return None
    i = args.index(name)
    if i + 1 >= len(args):
        usage(f"{name} needs a value")
    value = args[i + 1]
    del args[i:i + 2]
    return value


def core_groups(jobs):
    """The sweep's cores in `jobs` disjoint, contiguous, nearly equal groups."""
    cores = sorted(os.sched_getaffinity(0))
    jobs = min(jobs, len(cores))
    size, extra = divmod(len(cores), jobs)
    groups, start = [], 0
    for i in range(jobs):
        end = start + size + (1 if i < extra else 0)
        groups.append(cores[start:end])
        start = end
    return groups


def describe_cores(cores):
    return ",".join(map(str, cores))


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_json(path, value):
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def resume_arguments(extra):
    """The train arguments after `--` that a resumed run accepts (--set, --workers, ...)."""
    kept, i = [], 0
    while i < len(extra):
        skip = NOT_ON_RESUME.get(extra[i])
        if skip is None:
            kept.append(extra[i])
            i += 1
        else:
            i += 1 + skip
    return kept


class Run:
    def __init__(self, number, combination, out, fingerprint):
        self.number = number
        self.combination = combination
        label = "_".join(f"{k.split('.')[-1]}={v}" for k, v in combination)
        self.label = "".join(c if c.isalnum() or c in "=._-" else "-" for c in label)
        self.run_dir = os.path.join(out, self.label)
        self.record_path = os.path.join(self.run_dir, "sweep-run.json")
        self.fingerprint = dict(fingerprint, settings=[list(pair) for pair in combination])
        self.code = None       # exit code; None while pending
        self.process = None
        self.started = None
        self.signals_sent = 0

    def plan(self, fresh):
        """'done', 'resume' or 'start', from what an earlier sweep left in the run directory."""
        record = read_json(self.record_path)
        if fresh or record.get("fingerprint") != self.fingerprint:
            return "start"
        if read_json(os.path.join(self.run_dir, "summary.json")).get("status") == "completed":
            return "done"
        if glob.glob(os.path.join(self.run_dir, "checkpoints", "step-*.h5")):
            return "resume"
        return "start"


def main():
    started = time.monotonic()
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    out = take_option(args, "--out")
    jobs_text = take_option(args, "--jobs") or "1"
    fresh = "--fresh" in args
    args = [a for a in args if a != "--fresh"]
    if not jobs_text.isdigit() or int(jobs_text) < 1:
        usage(f"--jobs needs a positive number, not '{jobs_text}'")
    if len(args) < 2:
        usage("give an experiment file and at least one KEY=V1,V2 axis")
    experiment, axes = args[0], []
    for axis in args[1:]:
        if "=" not in axis or axis.startswith("-"):
            usage(f"'{axis}' is not KEY=V1,V2,...")
        key, values = axis.split("=", 1)
        axes.append((key, split_values(values)))
    name = os.path.splitext(os.path.basename(experiment))[0]
    out = out or f"runs/sweep-{name}"
    binary = os.environ.get("SHARDTRAIN", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "shardtrain"))
    if not os.access(binary, os.X_OK):
        usage(f"no shardtrain binary at {binary}; build it with `swift build -c release` or set SHARDTRAIN")
    try:
        with open(experiment, "rb") as f:
            experiment_hash = hashlib.sha256(f.read()).hexdigest()
    except OSError as error:
        usage(f"cannot read the experiment file {experiment}: {error.strerror}")
    os.makedirs(out, exist_ok=True)

    combinations = list(itertools.product(*[[(k, v) for v in values] for k, values in axes]))
    fingerprint = {"experiment": os.path.abspath(experiment), "experiment_sha256": experiment_hash,
                   "train_arguments": extra}
    runs = [Run(number, combination, out, fingerprint) for number, combination in enumerate(combinations, 1)]
    jobs = min(int(jobs_text), len(runs))
    # --jobs 1 keeps the sweep as it always was: no pinning, the experiment's own worker count.
    groups = core_groups(jobs) if jobs > 1 else [None]
    free = list(range(len(groups)))
    pending = list(runs)
    running = []
    stop = {"signal": None, "count": 0}

    def pass_on(run):
        # Each running child gets every stop signal the sweep got, once.
        while run.signals_sent < stop["count"]:
            run.signals_sent += 1
            try:
                os.kill(run.process.pid, stop["signal"])
            except ProcessLookupError:
                pass

    def forward(number, frame):
        # The children run in their own sessions, so a terminal's Ctrl-C reaches only the
        # sweep, and each child gets it once from here (a second Ctrl-C, passed on too, makes
        # them exit at once, as `shardtrain train` does).
        if stop["signal"] is None:
            stop["signal"] = number
            print(f"sweep: {signal.Signals(number).name}: stopping every run with its checkpoint", file=sys.stderr, flush=True)
        stop["count"] += 1
        for run in running:
            pass_on(run)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    # A parent may have started us with these blocked (the mask survives exec): then they
    # would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    def launch(run, slot):
        cores = groups[slot]
        plan = run.plan(fresh)
        prefix = f"[{run.number}/{len(runs)}] {run.label}"
        if plan == "done":
            run.code = 0
            print(f"{prefix}: completed in an earlier sweep", file=sys.stderr, flush=True)
            return False
        share = ["--set", f"training.workers={len(cores)}"] if cores else []
        settings = [arg for k, v in run.combination for arg in ("--set", f"{k}={v}")]
        if plan == "resume":
            command = [binary, "train", "--resume", run.run_dir, "--quiet"] + share + settings + resume_arguments(extra)
        else:
            command = [binary, "train", experiment, "--run-dir", run.run_dir, "--force", "--quiet"] + share + settings + extra
        os.makedirs(run.run_dir, exist_ok=True)
        run.started = time.time()
        write_json(run.record_path, {"fingerprint": run.fingerprint, "cores": cores, "command": command,
                                     "started": run.started})
        log = open(os.path.join(run.run_dir, "train.log"), "a" if plan == "resume" else "w")
        pin = (lambda: os.sched_setaffinity(0, cores)) if cores else None
        run.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                                       preexec_fn=pin)
        log.close()
        run.slot = slot
        running.append(run)
        pass_on(run)  # a signal that came while it started
        where = f" on cores {describe_cores(cores)}" if cores else ""
        print(f"{prefix}: {'resuming from its checkpoint' if plan == 'resume' else 'started'}{where}",
              file=sys.stderr, flush=True)
        return True

    while pending or running:
        while pending and free and stop["signal"] is None:
            run = pending.pop(0)
            slot = free.pop(0)
            if not launch(run, slot):
                free.insert(0, slot)
        if not running:
            break
        time.sleep(0.05)
        for run in [r for r in running if r.process.poll() is not None]:
            running.remove(run)
            free.append(run.slot)
            free.sort()
            run.code = run.process.returncode
            record = read_json(run.record_path)
            record.update(finished=time.time(), exit_code=run.code)
            write_json(run.record_path, record)
            outcome = "completed" if run.code == 0 else f"exit code {run.code}"
            print(f"[{run.number}/{len(runs)}] {run.label}: {outcome} after {time.time() - run.started:.1f} s",
                  file=sys.stderr, flush=True)

    rows = [summary_row(run) for run in runs]
    winner, why = choose_winner(rows)
    write_tables(out, axes, rows)
    if winner:
        print(f"winner by {winner['monitor']}: {winner['run_dir']} (epoch {winner['best_epoch']}; test "
              f"accuracy of its model {winner['model_test_accuracy']}, for the record)", file=sys.stderr)
    else:
        print(f"no winner: {why}", file=sys.stderr)
    print(f"wrote {out}/summary.csv and {out}/summary.md; sweep wall time {time.monotonic() - started:.1f} s, "
          f"{len(groups)} run(s) at a time", file=sys.stderr)
    if stop["signal"] is not None:
        sys.exit(128 + stop["signal"])
    sys.exit(0 if all(r["exit_code"] == 0 for r in rows) else 1)


def summary_row(run):
    row = {k: v for k, v in run.combination}
    row["run_dir"] = run.run_dir
    if run.code is None:
        row.update(status="pending", exit_code=None)
        return row
    code = run.code
    summary = read_json(os.path.join(run.run_dir, "summary.json"))
    if code != 0 and summary.get("exit_code") != code:
        summary = {"status": "failed"}  # failed before training: no summary of its own
    final, best = summary.get("final") or {}, summary.get("best") or {}
    row.update({
        "status": summary.get("status", "failed") if code != 0 else "completed",
        "exit_code": code,
        "final_test_accuracy": final.get("test_accuracy"),
        "final_test_loss": final.get("test_loss"),
        "best_epoch": summary.get("best_epoch"),
        "best_validation_loss": best.get("validation_loss"),
        "best_validation_accuracy": best.get("validation_accuracy"),
        "model_test_accuracy": summary.get("test_accuracy") if best else None,
        "monitor": summary.get("monitor"),
        "samples_per_second": round(summary["samples_per_second"]) if summary.get("samples_per_second") else None,
        "wall_seconds": round(summary["wall_seconds"], 1) if summary.get("wall_seconds") else None,
    })
    if code != 0:
        with open(os.path.join(run.run_dir, "train.log")) as f:
            lines = [line.strip() for line in f if line.strip()]
        row["error"] = lines[-1] if lines else ""
        print(f"    {run.label}: {row['status']} with exit code {code}: {row['error']}", file=sys.stderr)
    return row


def choose_winner(rows):
    """The completed run with the best monitored validation metric, marked in its row; never
    chosen by a test figure. (None, why) when there is none."""
    chosen = [r for r in rows if r.get("exit_code") == 0 and r.get("monitor")
              and r.get("best_" + r["monitor"]) is not None]
    monitors = {r["monitor"] for r in chosen}
    if not monitors:
        return None, ("no run has validation data (the test split never chooses); "
                      "set data.validation_fraction or data.validation_split")
    if len(monitors) > 1:
        return None, "the runs monitor different validation metrics (training.monitor)"
    monitor = monitors.pop()
    sign = 1 if monitor == "validation_accuracy" else -1
    winner = max(chosen, key=lambda r: sign * r["best_" + monitor])
    winner["winner"] = "*"
    return winner, None


def write_tables(out, axes, rows):
    columns = [k for k, _ in axes] + ["status", "exit_code", "final_test_accuracy", "final_test_loss",
                                      "best_epoch", "best_validation_loss", "best_validation_accuracy",
                                      "model_test_accuracy", "samples_per_second", "wall_seconds",
                                      "winner", "run_dir", "error"]
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


if __name__ == "__main__":
    main()
