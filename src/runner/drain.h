/*
 * drain - the runner's work on one libuv loop; internal to src/runner.
 *
 * A drain is one pass over the spool: drain_plan() reads the waiting
 * mails (every one for --flush, the due ones otherwise) and groups them
 * by account snapshot -- account name, config file and settings, so
 * that every mail of a group can go through the same session (the
 * rules: plan.h). Each group
 * starts one session (worker.c); once that one has logged in, more
 * start, up to the account's queue_max_connections, while unclaimed
 * mail is left. A group whose server could not be reached at all is
 * "down": its other mails are skipped without spending attempts (the
 * circuit breaker), and drain_plan() of a later pass of the same drain
 * (the daemon) skips the group until the breaker's time is over, unless
 * that pass is a flush (drain.flush: the network came up); see
 * breaker.h.
 *
 * The sessions' spool writes are committed together (group commit),
 * each batch in libuv's thread pool on a second connection while the
 * loop goes on with the sessions; what is queued meanwhile makes up the
 * next batch. A session queues the record of each attempt as soon as it
 * ends, and keeps a few mails claimed (and loaded, by the same commits)
 * ahead of the one it sends, so it seldom waits for the spool while
 * there is mail to send. The batches are not fsynced: the syncer
 * fdatasync()s the WAL behind them within SPOOL_SYNC_MS, and the pass's
 * last write (dropping the sent mails' bytes) is fsynced.
 *
 * When the last session of a pass has ended, on_idle runs (from within
 * drain_plan() itself when the pass had nothing to do). drain_stop()
 * asks every session to finish the transaction in progress and quit.
 * A failure of the spool itself stops the pass too; drain.rc and
 * drain.errstr keep the first one.
 */
#ifndef RUNNER_DRAIN_H
#define RUNNER_DRAIN_H

#include <time.h>
#include <uv.h>

#include "delivery/attempt.h"
#include "delivery/tlscache.h"
#include "runner/breaker.h"
#include "runner/progress.h"
#include "runner/runner.h"
#include "runner/syncer.h"
#include "runner/window.h"

struct drain;
struct worker;
struct commit_job;

/* The ids a group will try, side by side: a million mails take 13 MB
 * here, against 48 MB as a strlist (a pointer and a heap block each). */
struct idvec {
	char		(*v)[SPOOL_ID_LEN + 1];
	size_t		 n;
	size_t		 cap;
};

/* The mails of one account snapshot, and the sessions that carry them. */
struct group {
	struct drain	*d;
	struct account	*acc;		/* the snapshot, plus the password
					   from its configuration file;
					   NULL: damaged, its mails are held */
	char		*password_hint;	/* or NULL: why that file's
					   password is not used */
	char		*damage;	/* why acc is NULL */
	char		*key;		/* account \n conffile \n snapshot */
	struct idvec	 ids;		/* to try, in enqueue order */
	struct strlist	 to_hold;	/* uncertain under queue_uncertain
					   hold: held, not tried */
	struct strlist	 untried;	/* claimed, then given back
					   unsent because it went down */
	size_t		 next;		/* the next of ids to claim */
	int		 sessions;	/* workers alive */
	int		 opened;	/* one logged in: more may start */
	int		 down;		/* its server cannot be reached */
	int		 sent;		/* mails delivered in this pass */
	int		 finishing;	/* workers past their last mail */
	struct worker	*parked;	/* connected, kept for ETRN */
	struct group	*next_group;
};

typedef void (*drain_idle_fn)(struct drain *d);

struct drain {
	uv_loop_t		*loop;
	struct spool		*sp;
	const struct runner_opts *o;
	struct group		*groups;
	struct breaker		*breakers;	/* breaker.h */
	struct progress		 prog;
	size_t			 workers;	/* alive, all groups */
	/* Spool steps (records, claims, claims given back) wait in queued
	 * for the next commit; the commit in progress runs in libuv's
	 * thread pool on its own connection (wsp; NULL: commits run on the
	 * loop, on sp), so that its fsync does not stop the sessions. */
	struct commit_job	*queued;
	size_t			 nqueued, queued_cap;
	uv_idle_t		 commit;	/* runs worker_commit() */
	struct spool		*wsp;
	uv_work_t		 work;
	int			 committing;
	struct commit_job	*batch;
	struct spool_step	*steps;
	size_t			 nsteps;
	int			 batch_durable;	/* fsync this commit */
	int			 batch_rc;
	char			*batch_err;
	struct syncer		 sync;		/* of wsp's commits */
	struct tlscache		 tls;		/* TLS sessions to resume,
						   written at the pass's
						   end */
	struct window		*win;		/* NULL: not measured */
	uint64_t		 batch_done_ns;	/* the batch's commit returned
						   (window.h; 0: off) */
	int			 stopping;	/* finish, then quit */
	int			 flush;		/* this pass tries every
						   waiting mail, as --flush,
						   and forgets the breakers
						   (the daemon's, when the
						   network came up) */
	int			 planning;	/* in drain_plan() */
	time_t			 earliest;	/* the next mail or breaker
						   due after this pass; 0:
						   none */
	int			 rc;		/* the first spool error */
	char			*errstr;
	drain_idle_fn		 on_idle;
	void			*arg;		/* the caller's */
};

void drain_init(struct drain *d, uv_loop_t *loop, struct spool *sp,
    const struct runner_opts *o);
/* drain_plan - read the spool and start the pass's sessions. */
int drain_plan(struct drain *d, char **errstr);
void drain_stop(struct drain *d);
/* drain_forced - whether this pass ignores the mails' retry times. */
int drain_forced(const struct drain *d);
/* drain_close - close the drain's handle, so that the loop can end. */
void drain_close(struct drain *d);
/* drain_commit_later - run worker_commit() at the loop's next turn. */
void drain_commit_later(struct drain *d);
/* drain_fail - keep the first spool error and stop the pass. */
void drain_fail(struct drain *d, int rc, char *errstr);
/* drain_tell_drained - when the pass that just ended sent mail and none
 * waits now, the "drained" event (delivery/notify.h): once per
 * queue_notify command, naming the accounts that sent (drained.c). */
void drain_tell_drained(struct drain *d);
/* drain_free - everything a drain holds; the pass must be over. */
void drain_free(struct drain *d);

/* group_may_grow - whether another session may start for g: the pass
 * goes on, g is not down, one of its sessions has logged in, fewer than
 * the account's queue_max_connections run, and some of its mails are
 * still unclaimed. Pure. */
int group_may_grow(const struct group *g);
/* group_grow - start sessions while the group may have more. */
void group_grow(struct group *g);
/* group_down - the group's server is unreachable: stop it, and keep it
 * from later passes until the account's first retry is due. */
void group_down(struct group *g, time_t now);
/* worker_ended - a session of g is over. */
void group_worker_ended(struct group *g);

/* worker_start - a new session for g: it claims and sends g's mails,
 * one after another, until none is left, the drain stops, the server is
 * down, or 3 transactions in a row failed. */
void worker_start(struct group *g);
/* worker_commit - commit what the sessions queued, then let each go on. */
void worker_commit(struct drain *d);

#endif
