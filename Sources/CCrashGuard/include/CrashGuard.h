#ifndef SHARD_CRASH_GUARD_H
#define SHARD_CRASH_GUARD_H

/// Turns a crash (SIGSEGV, SIGBUS, SIGFPE) inside a third-party library's read of a damaged
/// file into a one-line message and an exit code, for the span between begin and end. HDF5
/// 1.10.8 overruns a buffer (a memcpy inside H5HG_read) reading a string attribute whose global
/// heap is corrupt, and divides by zero (H5D__chunk_set_info) opening a dataset whose chunk
/// layout is; the process cannot continue after that, but it can say what happened.
/// Nested and repeated spans on one thread are fine; the message of the innermost one is used.
/// `message` is copied (at most 1023 bytes) and written as is by the signal handler, which
/// uses only async-signal-safe calls (write, _exit).
void shard_crash_guard_begin(const char *message, int exit_code);
void shard_crash_guard_end(void);

#endif
