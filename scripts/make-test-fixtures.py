#!/usr/bin/python3
"""Writes the committed test fixtures in Tests/Fixtures with h5py and numpy.

  oracle-two-layer.h5   a 5-3-4 network's parameters, inputs and targets, and the forward
                        outputs, mean loss and mean gradients computed here with numpy, for
                        tanh + softmax cross-entropy and for sigmoid + MSE (identity output).
  h5py-dataset.h5       a dataset in ShardTrain's layout written the way other tools write
                        them: gzip level 7, float64 x, int64 y, odd chunk shapes, a
                        fixed-length class-name attribute.

Not written here: checkpoint-version-1.h5, a checkpoint `shardtrain train` wrote before the
checkpoint format's version 2 (kept to show that old checkpoints still read).

Run from the repository root: /usr/bin/python3 scripts/make-test-fixtures.py
"""
import h5py
import numpy as np

rng = np.random.default_rng(20261126)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def two_layer_case(group, hidden, loss):
    n, d, h, k = 6, 5, 3, 4
    x = rng.normal(size=(n, d))
    w1 = rng.normal(scale=0.7, size=(d, h))
    b1 = rng.normal(scale=0.1, size=h)
    w2 = rng.normal(scale=0.7, size=(h, k))
    b2 = rng.normal(scale=0.1, size=k)
    labels = rng.integers(0, k, size=n)
    # Round everything through float32 first, so numpy sees exactly what ShardTrain reads.
    x, w1, b1, w2, b2 = (a.astype(np.float32).astype(np.float64) for a in (x, w1, b1, w2, b2))

    z1 = x @ w1 + b1
    a1 = np.tanh(z1) if hidden == "tanh" else 1 / (1 + np.exp(-z1))
    z2 = a1 @ w2 + b2
    onehot = np.eye(k)[labels]
    if loss == "cross_entropy":
        out = softmax(z2)
        mean_loss = -np.log(out[np.arange(n), labels]).mean()
        dz2 = (out - onehot) / n
    else:
        out = z2
        mean_loss = (0.5 * ((out - onehot) ** 2).sum(axis=1)).mean()
        dz2 = (out - onehot) / n
    dw2 = a1.T @ dz2
    db2 = dz2.sum(axis=0)
    da1 = dz2 @ w2.T
    dz1 = da1 * (1 - a1 ** 2) if hidden == "tanh" else da1 * a1 * (1 - a1)
    dw1 = x.T @ dz1
    db1 = dz1.sum(axis=0)

    group.attrs["hidden_activation"] = hidden
    group.attrs["loss"] = loss
    group.attrs["loss_value"] = mean_loss
    for name, value in dict(x=x, w1=w1, b1=b1, w2=w2, b2=b2, output=out, dw1=dw1, db1=db1,
                            dw2=dw2, db2=db2).items():
        group.create_dataset(name, data=value.astype(np.float64))
    group.create_dataset("labels", data=labels.astype(np.int64))


with h5py.File("Tests/Fixtures/oracle-two-layer.h5", "w") as f:
    two_layer_case(f.create_group("tanh_cross_entropy"), "tanh", "cross_entropy")
    two_layer_case(f.create_group("sigmoid_mse"), "sigmoid", "mse")

with h5py.File("Tests/Fixtures/h5py-dataset.h5", "w") as f:
    f.attrs["classes"] = np.array([b"circle", b"square", b"triangle"], dtype="S8")
    for split, rows in (("train", 37), ("test", 11)):
        g = f.create_group(split)
        i = np.arange(rows)[:, None]
        j = np.arange(7)[None, :]
        x = i * 0.5 + j * 0.25  # a formula the Swift test re-computes
        g.create_dataset("x", data=x.astype(np.float64), chunks=(5, 3), compression="gzip",
                         compression_opts=7)
        g.create_dataset("y", data=(np.arange(rows) % 3).astype(np.int64), chunks=(4,),
                         compression="gzip")
print("wrote Tests/Fixtures/oracle-two-layer.h5 and Tests/Fixtures/h5py-dataset.h5")
