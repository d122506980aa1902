// OpenBLAS, pthread flavour (libopenblas-dev's default): the only Debian flavour measured to be
// exact under concurrent callers with its own threading set to 1.
#ifndef SHARDTRAIN_CBLAS_SHIM_H
#define SHARDTRAIN_CBLAS_SHIM_H
#include <cblas.h>
#endif
