/*
 * syncer - makes a runner's commits durable in the background; internal
 * to src/runner.
 *
 * The runner's batch connection commits without an fsync, so that a
 * session goes on as soon as its record is in the WAL (see Durability
 * in spool.h). The syncer bounds how long a commit may stay at the mercy
 * of a power loss: within SPOOL_SYNC_MS of a commit it fdatasync()s the
 * WAL in libuv's thread pool, while the next commits go on. (A commit
 * that fsynced itself held up the claims of every session for the 2 to
 * 8 ms the fsync took, and a pipelining session runs out of claimed
 * mails in less.)
 *
 * When the WAL cannot be opened or an fdatasync() fails, the syncer
 * gives up for the pass and syncer_wants_fsync() asks the caller to
 * fsync a commit every SPOOL_SYNC_MS itself, through SQLite, which
 * reports any I/O error as the commit's.
 *
 * Ownership: the struct is the caller's; syncer_close() before the loop
 * ends closes its handle and, once no fdatasync() is in flight, the
 * descriptor.
 */
#ifndef RUNNER_SYNCER_H
#define RUNNER_SYNCER_H

#include <stdint.h>
#include <uv.h>

struct spool;
struct window;

struct syncer {
	uv_loop_t		*loop;
	const struct spool	*sp;
	uv_timer_t		 timer;		/* the next fdatasync() */
	uv_fs_t			 req;
	int			 fd;		/* the WAL; -1: not open */
	int			 failed;	/* no fdatasync() this pass */
	int			 syncing;	/* req in flight */
	int			 dirty;		/* commits it does not cover */
	int			 closing;
	uint64_t		 began_ms;	/* of the last one started */
	uint64_t		 synced_ms;	/* all before this is durable */
	struct window		*win;		/* told of each fdatasync();
						   NULL: none (window.h) */
};

void syncer_init(struct syncer *s, uv_loop_t *loop, const struct spool *sp);
/* syncer_wants_fsync - whether the next commit must fsync itself. */
int syncer_wants_fsync(const struct syncer *s);
/* syncer_committed - a commit has returned, fsynced (durable) or not. */
void syncer_committed(struct syncer *s, int durable);
void syncer_close(struct syncer *s);

#endif
