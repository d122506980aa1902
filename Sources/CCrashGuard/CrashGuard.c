#include "CrashGuard.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static int guard_depth = 0;
static char guard_message[1024];
static size_t guard_length = 0;
static volatile int guard_exit_code = 1;
static struct sigaction previous_segv, previous_bus, previous_fpe;

static void shard_crash_guard_handler(int signal_number) {
    (void)signal_number;
    ssize_t ignored = write(2, guard_message, guard_length);
    (void)ignored;
    _exit(guard_exit_code);
}

void shard_crash_guard_begin(const char *message, int exit_code) {
    pthread_mutex_lock(&guard_lock);
    size_t length = strlen(message);
    if (length > sizeof guard_message - 1) length = sizeof guard_message - 1;
    memcpy(guard_message, message, length);
    guard_length = length;
    guard_exit_code = exit_code;
    if (guard_depth++ == 0) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = shard_crash_guard_handler;
        sigemptyset(&action.sa_mask);
        sigaction(SIGSEGV, &action, &previous_segv);
        sigaction(SIGBUS, &action, &previous_bus);
        sigaction(SIGFPE, &action, &previous_fpe);
    }
    pthread_mutex_unlock(&guard_lock);
}

void shard_crash_guard_end(void) {
    pthread_mutex_lock(&guard_lock);
    if (guard_depth > 0 && --guard_depth == 0) {
        sigaction(SIGSEGV, &previous_segv, NULL);
        sigaction(SIGBUS, &previous_bus, NULL);
        sigaction(SIGFPE, &previous_fpe, NULL);
    }
    pthread_mutex_unlock(&guard_lock);
}
