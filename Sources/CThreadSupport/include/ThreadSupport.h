// The CPU's spin-wait hint, which Swift cannot spell: it tells the core (and its hyperthread
// sibling) that this thread is busy-waiting, saving power and memory-order flushes.
#ifndef SHARDTRAIN_THREAD_SUPPORT_H
#define SHARDTRAIN_THREAD_SUPPORT_H

static inline void shard_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
