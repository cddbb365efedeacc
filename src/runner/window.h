/*
 * window - how long the duplicate window of each sent mail lasted;
 * internal to src/runner, a measurement for bench/flush.py and the soak.
 *
 * A mail the server accepted (its final 250) can be sent again if the
 * runner dies before its record is committed (a crash), or before that
 * commit is fdatasync()ed (a power loss); see Durability in spool.h.
 * For each mail recorded sent, the window keeps two durations from the
 * moment its reply reached the session (on the loop, CLOCK_MONOTONIC):
 * to the return of the commit that recorded it (in the thread pool),
 * and to the end of the first fdatasync() (or fsynced commit) that
 * began after that commit. They go into two histograms of fixed size
 * (about 6% resolution; the maximum is exact), so a daemon's memory
 * does not grow with the mails it sends.
 *
 * It is off unless the environment has MSMTP_QUEUE_STATS=1 (a debug
 * switch, read once per drain: nothing is timed otherwise); then the
 * drain prints, when it ends, on stderr:
 *   msmtp-queue: window commit n=N p50_us=.. p99_us=.. max_us=..
 *   msmtp-queue: window fdatasync n=N p50_us=.. p99_us=.. max_us=..
 *
 * Ownership: window_new() returns NULL when off; every function takes
 * NULL and then does nothing. window_free() frees it.
 */
#ifndef RUNNER_WINDOW_H
#define RUNNER_WINDOW_H

#include <stdint.h>
#include <stdio.h>

struct window;

struct window *window_new(void);
void window_free(struct window *w);
/* window_now - CLOCK_MONOTONIC in ns; 0 when w is NULL (off). */
uint64_t window_now(const struct window *w);
/* window_committed - a mail whose final reply came at reply_ns was
 * recorded sent by a commit that returned at commit_ns. */
void window_committed(struct window *w, uint64_t reply_ns,
    uint64_t commit_ns);
/* window_sync_began - an fdatasync() of the WAL starts now. */
void window_sync_began(struct window *w);
/* window_synced - the fdatasync() begun last is over: the commits
 * before it began are durable. */
void window_synced(struct window *w);
/* window_durable - every commit that returned by at_ns is durable
 * since at_ns (a commit fsynced itself). */
void window_durable(struct window *w, uint64_t at_ns);
void window_print(const struct window *w, FILE *fp);

#endif
