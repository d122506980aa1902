#!/usr/bin/env python3
"""Prints one SHA-256 over a model's or checkpoint's weights (every /model dataset, in name order,
as little-endian float32 bytes), so two runs can be compared bit for bit:
    /usr/bin/python3 scripts/weights-hash.py runs/fashion-mnist-mlp/model.h5 [MORE.h5 ...]
"""
import hashlib
import sys

import h5py
import numpy as np


def weights_hash(path):
    digest = hashlib.sha256()
    with h5py.File(path, "r") as f:
        names = []
        f["model"].visit(lambda name: names.append(name) if isinstance(f["model"][name], h5py.Dataset) else None)
        for name in sorted(names):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(f["model"][name][...], dtype="<f4").tobytes())
    return digest.hexdigest()


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"{weights_hash(path)}  {path}")
