// Element-wise kernels that C compilers vectorise and Swift did not: tanh and the logistic
// sigmoid over arrays, from one polynomial exp. Swift's loops called libm's tanhf/expf once
// per element and ran the tanh and sigmoid experiments at half the speed of ReLU.
#ifndef SHARDTRAIN_KERNELS_H
#define SHARDTRAIN_KERNELS_H

/// x[i] = tanh(x[i]) for i in 0..<count; within 2 ulp of libm's tanhf.
void shard_tanh_in_place(float *x, long count);

/// x[i] = 1 / (1 + exp(-x[i])) for i in 0..<count; never overflows; within 2 ulp of libm.
void shard_sigmoid_in_place(float *x, long count);

/// exp(x[i]) into y[i] (for tests against libm).
void shard_exp(const float *x, float *y, long count);

#endif
