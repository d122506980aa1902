// zlib, for reading the gzip-compressed IDX files of Fashion-MNIST.
#ifndef SHARDTRAIN_CZLIB_SHIM_H
#define SHARDTRAIN_CZLIB_SHIM_H
#include <zlib.h>
#endif
