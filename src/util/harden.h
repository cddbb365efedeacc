/*
 * harden - what a process that holds secrets does about them.
 *
 * msmtp, msmtp-queue and msmtpd hold passwords, OAuth tokens and AUTH
 * exchanges in memory. harden_process(), called first thing in each
 * main(), makes sure no core dump (or ptrace by another process of the
 * same user) can take them out of it; wipe_free() overwrites a secret
 * before its memory goes back to the allocator.
 *
 * Reading /proc/self (readlink of /proc/self/exe) still works in a
 * non-dumpable process: the kernel's ptrace check always lets a process
 * see itself, and the start time in another process's /proc/PID/stat
 * (lease liveness, see spool.h) is readable by anyone.
 */
#ifndef UTIL_HARDEN_H
#define UTIL_HARDEN_H

#include <stddef.h>

/* harden_process - no core dump, in any case: RLIMIT_CORE 0 (inherited
 * by the children we start, such as a passwordeval command, which may
 * well hold the secret too) and PR_SET_DUMPABLE 0 (which also covers a
 * core_pattern pipe, which ignores RLIMIT_CORE, and ptrace attaches).
 * Best effort: a failure cannot be helped and never stops the mail. */
void harden_process(void);

/* wipe - overwrite len bytes at p, in a way the compiler keeps. */
void wipe(void *p, size_t len);

/* wipe_free - wipe the string s (NULL is fine), then free it. */
void wipe_free(char *s);

#endif
