// Element-wise kernels that C compilers vectorise and Swift did not: tanh and the logistic
// sigmoid over arrays, from one polynomial exp. Swift's loops called libm's tanhf/expf once
// per element and ran the tanh and sigmoid experiments at half the speed of ReLU.
#ifndef SHARDTRAIN_KERNELS_H
#define SHARDTRAIN_KERNELS_H

// Accuracy, against the exact value (libm in double): within 4.5 ulp where the exact value is
// at least 1e-7, within 1e-7 absolute below (sigmoid of inputs under -87 bottoms out with the
// exp clamp). Measured over 35 million inputs (every 61st float in [1e-30, 1e4], both signs,
// and [-20, 20] in steps of 1e-5): tanh at most 4.07 ulp (x = 0.517047167), sigmoid 4.06
// (x = -4.50419998), exp 3.00. Tests/ShardNetworkTests/ActivationKernelTests.swift asserts
// the same bound over a coarser sweep that includes those worst inputs.

/// x[i] = tanh(x[i]) for i in 0..<count; within 4.5 ulp (see above).
void shard_tanh_in_place(float *x, long count);

/// x[i] = 1 / (1 + exp(-x[i])) for i in 0..<count; never overflows; within 4.5 ulp (see above).
void shard_sigmoid_in_place(float *x, long count);

/// exp(x[i]) into y[i] (for tests against libm).
void shard_exp(const float *x, float *y, long count);

#endif
