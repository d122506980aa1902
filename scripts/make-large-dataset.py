#!/usr/bin/env python3
"""Writes a synthetic, learnable uint8 dataset of any size in bounded memory, for streaming
benchmarks: N x 784 images, 10 classes, each a class prototype (a random smooth pattern) plus
uniform noise, clipped to 0-255; labels int32; a 10,000-row test split. Chunked like
`shardtrain import` writes (1,337 rows of 784 bytes, about 1 MB, uncompressed), so the
streaming reader's blocks are whole chunks. Memory stays near 100 MB whatever the row count.

    /usr/bin/python3 scripts/make-large-dataset.py --rows 10000000 --out datasets/synthetic-10m.h5

The file takes rows x 788 bytes (7.9 GB for 10,000,000 rows): delete it when done.
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np

WIDTH = 784
CLASSES = 10


def prototypes(rng):
    # Smooth 28 x 28 patterns: a few random Gaussian bumps per class, scaled to 0-200.
    yy, xx = np.mgrid[0:28, 0:28]
    patterns = np.zeros((CLASSES, 28, 28))
    for c in range(CLASSES):
        for _ in range(4):
            cy, cx = rng.uniform(4, 24, 2)
            patterns[c] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * rng.uniform(2, 5) ** 2))
    patterns /= patterns.reshape(CLASSES, -1).max(axis=1)[:, None, None]
    return (patterns.reshape(CLASSES, WIDTH) * 200).astype(np.int16)


def write_split(group, rows, rng, protos, block, progress):
    chunk_rows = max(1, min(rows, (1 << 20) // WIDTH))
    x = group.create_dataset("x", shape=(rows, WIDTH), dtype=np.uint8, chunks=(chunk_rows, WIDTH))
    x.attrs["scale"] = 1.0 / 255.0
    y = group.create_dataset("y", shape=(rows,), dtype=np.int32, chunks=(min(rows, 65536),))
    # Blocks of whole chunks, so every chunk is written once.
    block = max(chunk_rows, block // chunk_rows * chunk_rows)
    for start in range(0, rows, block):
        n = min(block, rows - start)
        labels = rng.integers(0, CLASSES, n, dtype=np.int32)
        values = protos[labels] + rng.integers(-90, 91, (n, WIDTH), dtype=np.int16)
        np.clip(values, 0, 255, out=values)
        x[start:start + n] = values.astype(np.uint8)
        y[start:start + n] = labels
        progress(n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="train rows (default 10,000,000)")
    parser.add_argument("--test-rows", type=int, default=10_000)
    parser.add_argument("--out", default="datasets/synthetic-10m.h5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--block", type=int, default=32_768, help="rows generated at a time (memory ~ block x 2.4 KB)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    protos = prototypes(rng)
    total = args.rows + args.test_rows
    done = [0]
    started = time.time()

    def progress(n):
        done[0] += n
        if sys.stderr.isatty():
            sys.stderr.write(f"\rwriting {args.out}: {done[0] * 100 // total}% ({time.time() - started:.0f} s)")

    temporary = args.out + f".tmp-{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with h5py.File(temporary, "w") as f:
        f.attrs["format"] = "shardtrain-dataset"
        f.attrs["version"] = 1
        f.attrs["source"] = f"scripts/make-large-dataset.py --rows {args.rows} --seed {args.seed}"
        f.attrs["classes"] = [f"pattern {c}" for c in range(CLASSES)]
        write_split(f.create_group("train"), args.rows, rng, protos, args.block, progress)
        write_split(f.create_group("test"), args.test_rows, rng, protos, args.block, progress)
    os.replace(temporary, args.out)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"wrote {args.out}: {args.rows} train and {args.test_rows} test rows in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
