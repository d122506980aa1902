#!/usr/bin/env python3
"""PyTorch reference for `shardtrain bench`: the same 784-256-128-10 ReLU MLP, softmax
cross-entropy, plain SGD at a constant rate, on the same Fashion-MNIST file, with the data
preloaded as tensors and batches taken by index from a shuffled order. Prints one JSON object
with the samples/s of each timed pass, per batch size and thread count.

  python3 benchmarks/pytorch_reference.py --data datasets/fashion-mnist.h5 \
      --batch-sizes 32,128,512 --threads 1,2 --steps 200 --warmup 30 --passes 1
"""
import argparse
import json
import time

import h5py
import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="datasets/fashion-mnist.h5")
    parser.add_argument("--batch-sizes", default="32,128,512")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--passes", type=int, default=1)
    args = parser.parse_args()

    with h5py.File(args.data, "r") as f:
        x = torch.from_numpy(f["train/x"][...].astype(np.float32) / 255.0)
        y = torch.from_numpy(f["train/y"][...].astype(np.int64))
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(1))

    results = []
    configs = [(int(b), int(t)) for b in args.batch_sizes.split(",") for t in args.threads.split(",")]
    models = {}
    for batch, threads in configs:
        torch.manual_seed(1)
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        models[(batch, threads)] = (model, optimizer)
        results.append({"batch_size": batch, "threads": threads, "passes": []})

    cursor = 0

    def run(model, optimizer, batch, steps):
        nonlocal cursor
        loss_fn = torch.nn.functional.cross_entropy
        for _ in range(steps):
            if cursor + batch > order.shape[0]:
                cursor = 0
            index = order[cursor:cursor + batch]
            cursor += batch
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()

    for (batch, threads), (model, optimizer) in models.items():
        torch.set_num_threads(threads)
        run(model, optimizer, batch, args.warmup)
    for _ in range(args.passes):
        for result in results:
            batch, threads = result["batch_size"], result["threads"]
            model, optimizer = models[(batch, threads)]
            torch.set_num_threads(threads)
            start = time.perf_counter()
            run(model, optimizer, batch, args.steps)
            result["passes"].append(args.steps * batch / (time.perf_counter() - start))
    print(json.dumps({"torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
