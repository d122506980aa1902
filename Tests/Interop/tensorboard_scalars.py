"""Reads a run's TensorBoard event files with TensorBoard's own EventAccumulator and prints
{tag: [[step, value], ...]} as one JSON line.

  tensorboard_scalars.py RUN_DIR/tensorboard

Needs the tensorboard package (scripts/install-test-deps.sh).
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator

accumulator = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={event_accumulator.SCALARS: 0})
accumulator.Reload()
print(json.dumps({tag: [[e.step, e.value] for e in accumulator.Scalars(tag)]
                  for tag in accumulator.Tags()["scalars"]}))
