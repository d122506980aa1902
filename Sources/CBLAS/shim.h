// OpenBLAS, pthread flavour (libopenblas-dev's default): the only Debian flavour measured to be
// exact under concurrent callers with its own threading set to 1.
#ifndef SHARDTRAIN_CBLAS_SHIM_H
#define SHARDTRAIN_CBLAS_SHIM_H
#include <cblas.h>

// CPU features that decide which OpenBLAS kernel family this machine can run.
static inline int shard_cpu_supports_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

static inline int shard_cpu_supports_avx2_fma(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
#endif
