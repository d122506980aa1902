#!/usr/bin/env python3
"""The time-per-step model of docs/scale-out.md: N nodes, one rank per node, each with CORES
worker threads, a global batch B, ShardTrain's fixed-order exchange against a ring allreduce.

    t_step(N)  = t_compute + t_comm
    t_compute  = (B / N) * 6 * P / (CORES * FLOPS_PER_CORE)         (forward 2P + backward 4P)
    bytes/rank = 4 * P * (N - 1) / N * (M / N + 1)                  (exchange + ring allgather)
    ring       = 4 * P * 2 * (N - 1) / N
    chain      = 4 * P * 2                                          (ordered running sum 0 -> N-1, then the weights back)
    t_comm     = bytes / bandwidth + LATENCY * (N + 1)               (ring steps, one exchange round;
                                                                     the chain: 2 N hops)
    M          = ceil(B / shard_rows), shard_rows = max(16, ceil(B / (N * CORES))) (the automatic size)

Rerun with the per-byte cost measured by benchmarks/mpi.sh (its "ns per byte" column gives the
shared-memory and loopback figures; a network's is 8 / (Gbit/s) ns at line rate):
    /usr/bin/python3 benchmarks/scale_out_model.py [--cores 32] [--gflops-per-core 90] [--latency-us 20]
"""
import argparse
import math

MODELS = {"Fashion-MNIST MLP 784-256-128-10": 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10,
          "wide MLP 784-4096-4096-10": 784 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10}


def step_times(parameters, batch, nodes, gbits, cores, flops, latency):
    shard_rows = max(16, math.ceil(batch / (nodes * cores)))
    shards = math.ceil(batch / shard_rows)
    compute = batch / nodes * 6 * parameters / (cores * flops)
    per_byte = 8 / (gbits * 1e9)
    ours = 4 * parameters * (nodes - 1) / nodes * (shards / nodes + 1)
    ring = 4 * parameters * 2 * (nodes - 1) / nodes
    chain = 4 * parameters * 2
    return (compute, ours * per_byte + latency * (nodes + 1), ring * per_byte + latency * (nodes + 1), shards,
            chain * per_byte + latency * 2 * nodes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cores", type=int, default=32)
    parser.add_argument("--gflops-per-core", type=float, default=90)
    parser.add_argument("--latency-us", type=float, default=20)
    arguments = parser.parse_args()
    flops, latency = arguments.gflops_per_core * 1e9, arguments.latency_us * 1e-6
    for name, parameters in MODELS.items():
        print(f"\n### {name}: {parameters:,} parameters ({4 * parameters / 1e6:.1f} MB of gradient)\n")
        print("| batch | nodes | micro-shards | compute ms | exchange ms at 10 / 25 / 100 Gbit/s | its share at 25 | ordered chain ms at 25 | ring allreduce ms at 25 |")
        print("|---|---|---|---|---|---|---|---|")
        for batch in (128, 1024, 8192):
            for nodes in (2, 4, 8, 16, 32, 64):
                rows = [step_times(parameters, batch, nodes, gbits, arguments.cores, flops, latency)
                        for gbits in (10, 25, 100)]
                compute, shards = rows[0][0], rows[0][3]
                ours = " / ".join(f"{row[1] * 1e3:.2f}" for row in rows)
                share = rows[1][1] / (rows[1][1] + compute)
                print(f"| {batch} | {nodes} | {shards} | {compute * 1e3:.3f} | {ours} | {share:.0%} | "
                      f"{rows[1][4] * 1e3:.2f} | {rows[1][2] * 1e3:.2f} |")


if __name__ == "__main__":
    main()
