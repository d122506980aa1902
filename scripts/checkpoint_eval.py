#!/usr/bin/python3
"""Evaluates a ShardTrain checkpoint or model file with h5py and numpy alone: reads the
weights at /model/dense<i>/{weight,bias} and the resolved experiment stored with them, runs
the forward pass z = x.W + b over the test split, and prints one JSON object with the
accuracy and mean loss, the figures `shardtrain eval --json` prints.

  /usr/bin/python3 scripts/checkpoint_eval.py runs/fashion-mnist-mlp/checkpoints/step-000009380.h5
"""
import argparse
import json
import tomllib

import h5py
import numpy as np


def activation(name, z):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    return z


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a checkpoint or model file written by shardtrain")
    parser.add_argument("--data", help="dataset file (default: the experiment's data.path)")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()

    with h5py.File(args.file, "r") as f:
        experiment = tomllib.loads(f.attrs["experiment"])
        hidden = f.attrs["hidden_activation"]
        output = f.attrs["output_activation"]
        loss_name = f.attrs["loss"]
        layers = sorted(f["model"], key=lambda name: int(name.removeprefix("dense")))
        params = [(f["model"][n]["weight"][...], f["model"][n]["bias"][...]) for n in layers]

    data = experiment["data"]
    with h5py.File(args.data or data["path"], "r") as f:
        group = f[args.split]
        x_set = group[data["features"]]
        x = x_set[...].reshape(x_set.shape[0], -1)
        if x.dtype == np.uint8:
            x = x.astype(np.float64) * float(x_set.attrs.get("scale", 1 / 255))
        x = x.astype(np.float32)
        y = group[data["targets"]][...]

    a = x
    for i, (w, b) in enumerate(params):
        z = a @ w + b
        last = i == len(params) - 1
        a = z if (last and loss_name == "cross_entropy") else activation(output if last else hidden, z)
    a = a.astype(np.float64)
    result = {"samples": int(x.shape[0])}
    if np.issubdtype(y.dtype, np.integer):
        result["accuracy"] = float((a.argmax(axis=1) == y).mean())
        if loss_name == "cross_entropy":
            shifted = a - a.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            result["loss"] = float(-log_probs[np.arange(len(y)), y].mean())
        else:
            result["loss"] = float((0.5 * ((a - np.eye(a.shape[1])[y]) ** 2).sum(axis=1)).mean())
    else:
        t = y.reshape(len(y), -1)
        result["loss"] = float((0.5 * ((a - t) ** 2).sum(axis=1)).mean())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
