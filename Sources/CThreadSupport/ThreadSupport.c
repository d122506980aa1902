// Everything lives in include/ThreadSupport.h as static inline functions; SwiftPM needs one
// source file for a C target.
#include "ThreadSupport.h"
