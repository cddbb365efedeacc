/*
 * spool - the durable outgoing queue, in one SQLite database.
 *
 * This module and its siblings in src/queue/ are the only code that
 * speaks SQL. The schema lives in sql/ and is applied as ordered
 * migrations on open (PRAGMA user_version).
 *
 * Durability. The database runs in WAL mode. An enqueue -- the mail row,
 * its recipients and its bytes -- is one transaction whose commit is
 * fsynced before spool_enqueue_commit() returns EX_OK, so the mail then
 * survives a crash or a power loss: only then may msmtp exit 0 (or send
 * it). msmtp's own record of its attempt is made durable the same way
 * (spool.c: spool_commit_durable(), one fsync where synchronous=FULL
 * took two when a checkpoint followed); claims and the management
 * commands commit with synchronous=FULL. The runner's records (its batch connection) are
 * committed, and so safe from any crash of the runner, before its
 * session goes on, but not fsynced: within SPOOL_SYNC_MS of a commit the
 * runner fdatasync()s the WAL behind it (spool_wal_open(), while the
 * next commits go on), which makes every commit before durable; or, if
 * it cannot, fsyncs a commit that often itself. A record lost to a power
 * loss only ever means a mail sent again (a duplicate) or retried, never
 * a lost one, so the window in which a power loss can cause a duplicate
 * is bounded by that interval -- Postfix makes the same trade for its
 * delivered queue files -- while an fsync per mail would halve the
 * runner's speed. The WAL is emptied into
 * the database by the commit that finds it holding more than a few
 * mails (not on every close, which would cost each msmtp more fsyncs),
 * so it stays small however many short-lived msmtp processes queue mail.
 *
 * Concurrency. Front ends and runners may open the spool at once; a
 * writer waits up to SPOOL_BUSY_MS for another's transaction, then gives
 * up with EX_TEMPFAIL. A mail being delivered is leased: its lease_owner
 * names the process (boot id, pid and start time), so a runner can tell
 * at once whether the owner is gone and take the mail back.
 *
 * Files. The spool directory is created 0700 and the database 0600; a
 * directory that others may write (/tmp included), or a database, -wal,
 * -shm or -journal file that is a symbolic link or owned by another user
 * is refused with EX_CANTCREAT before SQLite opens anything; one of our
 * own files that others may read or write is made 0600.
 *
 * Errors: every function returns a sysexits code and, on failure, sets
 * *errstr to a new message the caller frees. EX_TEMPFAIL means waiting
 * may help (locked, disk full), EX_CANTCREAT that the spool cannot be
 * created, EX_IOERR that it cannot be read or written (damaged, not a
 * spool, I/O error), EX_NOINPUT an unknown mail id.
 *
 * Ownership: struct spool, struct spool_writer and struct spool_body are
 * opaque and freed by their close/commit/abort functions; struct
 * spool_mail is the caller's and released with spool_mail_free().
 */
#ifndef QUEUE_SPOOL_H
#define QUEUE_SPOOL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "util/strlist.h"

#define SPOOL_ID_LEN	12
#define SPOOL_BUSY_MS	10000
/* The runner makes its commits durable at least this often (see
 * Durability). */
#define SPOOL_SYNC_MS	25

struct spool;
struct spool_writer;
struct spool_body;

/* Where the spool is: queue/spoolpath.h. */
int spool_open(const char *path, struct spool **out, char **errstr);
void spool_close(struct spool *sp);
/* spool_batch - this connection will commit many times (the runner's
 * records): let the WAL grow larger between checkpoints, empty it on
 * close, and commit without an fsync of its own (see Durability) until
 * spool_set_durable(). */
void spool_batch(struct spool *sp);
/* spool_set_durable - whether this connection's next commits are
 * fsynced (synchronous=FULL) or not (NORMAL). */
void spool_set_durable(struct spool *sp, int durable);
const char *spool_path(const struct spool *sp);
/* spool_account_alias - name and other are one account (msmtprc's
 * "account default : provider", whose mails are spooled as "default"):
 * from now on, a filter by account (the account argument of the
 * functions below) naming either selects the mails of both. NULL: no
 * alias. */
void spool_account_alias(struct spool *sp, const char *name,
    const char *other);
/* spool_wal_open - a new descriptor of the spool's write-ahead log, for
 * fdatasync(): the commits made without an fsync of their own are
 * durable once an fdatasync() that began after them has returned. The
 * caller closes it (SQLite holds no lock on that file for close() to
 * drop). EX_IOERR when it cannot be opened (no WAL yet, or no
 * descriptor left). */
int spool_wal_open(const struct spool *sp, int *fd, char **errstr);

/* spool_owner - this process's lease owner name: boot id, pid and
 * process start time, so that a reused pid is never mistaken for us. */
#define SPOOL_OWNER_LEN	96
void spool_owner(char buf[SPOOL_OWNER_LEN]);

/* What an enqueue records besides the bytes. */
struct spool_envelope {
	const char		*account;	/* "" for --host */
	const char		*conffile;	/* NULL: command line */
	const char		*settings;	/* snapshot_dump() text */
	const char		*envelope_from;
	const char		*message_id;	/* NULL if unknown */
	const struct strlist	*rcpts;
	int			 claim;		/* enqueue leased to us */
	time_t			 now;
	const char		*bounce_of;	/* a bounce: this mail's
						   recipients are marked
						   bounced in the same
						   transaction */
};

int spool_enqueue_begin(struct spool *sp, const struct spool_envelope *env,
    struct spool_writer **out, char **errstr);
int spool_enqueue_write(struct spool_writer *w, const char *data,
    size_t len, char **errstr);
/* spool_enqueue_commit - make the mail durable; id receives its id.
 * The writer is freed whatever the result. */
int spool_enqueue_commit(struct spool_writer *w,
    char id[SPOOL_ID_LEN + 1], char **errstr);
void spool_enqueue_abort(struct spool_writer *w);

/* A mail loaded for delivery: only its recipients still pending. */
struct spool_mail {
	char		 id[SPOOL_ID_LEN + 1];
	char		*account;
	char		*conffile;
	char		*envelope_from;
	char		*message_id;
	struct strlist	 rcpts;		/* pending recipients, in order */
	int		*rcpt_idx;	/* their index in the mail */
	long long	 size;
	int		 attempts;
	time_t		 created;
	time_t		 first_attempt;	/* 0: never reached the server */
	int		 uncertain;	/* it may have been sent already */
};

/*
 * spool_load - the mail id, leased to us, for delivery. A mail that
 * cannot be sent as stored -- no recipient left to send to, a sender or
 * recipient that is no longer an address (not text, cut by a NUL, a
 * control character in it), a negative size -- is damaged: it is held
 * with the reason (in the caller's transaction, if any) and EX_DATAERR
 * returned, *errstr saying so.
 */
int spool_load(struct spool *sp, const char *id, struct spool_mail *m,
    char **errstr);
/*
 * spool_prepare_attempt - parse ahead the statements of a delivery
 * attempt (spool_load(), the body's reader, spool_waiting_each(),
 * spool_record()), kept until spool_close(). None is run, and none
 * holds a lock or a snapshot afterwards: this only moves work. msmtp
 * calls it while its delivery engine is still loading, so that the
 * attempt, once the engine is in, parses no SQL before its mail is on
 * the wire or before its record. Errors are left to those uses.
 */
void spool_prepare_attempt(struct spool *sp);
/* spool_hold_damaged - hold the mail id, damaged as what says, if it
 * waits or is leased to us, and return EX_DATAERR with *errstr saying
 * so; EX_NOINPUT (no message) if it does neither, or the spool's
 * error. */
int spool_hold_damaged(struct spool *sp, const char *id, const char *what,
    char **errstr);
void spool_mail_free(struct spool_mail *m);

/* The mail's bytes, read in order; spool_body_read fits smtp_read_fn.
 * The chunks must follow one another from 0 and add up to the mail's
 * size: otherwise a read fails with EX_DATAERR ("mail ... is damaged"),
 * before the bytes that would be wrong, so a damaged mail never goes
 * out whole (its DATA is never ended). A sent mail's bytes, which may
 * have been dropped, are read as they are. */
int spool_body_open(struct spool *sp, const char *id,
    struct spool_body **out, char **errstr);
/* spool_body_prefetch - spool_body_open() of a mail of size bytes
 * whose first chunk (most mails whole) is read now on sp, the rest later
 * on reader: a runner reads a claimed mail on the connection, and in the
 * thread, that claimed it. If that chunk shows damage, the mail is held
 * (spool_hold_damaged()) and EX_DATAERR returned. */
int spool_body_prefetch(struct spool *sp, struct spool *reader,
    const char *id, long long size, struct spool_body **out,
    char **errstr);
ssize_t spool_body_read(void *body, char *buf, size_t len, char **errstr);
void spool_body_close(struct spool_body *b);

/* What every program says of an uncertain mail. */
#define UNCERTAIN_NOTE	"the connection was lost after the mail's data " \
	"went out: the server may have it, so a duplicate is possible"

enum spool_rcpt_state { RCPT_PENDING, RCPT_SENT, RCPT_DEFERRED,
    RCPT_FAILED };
enum spool_mail_state { MAIL_QUEUED, MAIL_INFLIGHT, MAIL_DEFERRED,
    MAIL_HELD, MAIL_UNCERTAIN, MAIL_SENT, MAIL_FAILED };

/* One recipient's outcome in an attempt. */
struct spool_rcpt_result {
	int			 idx;		/* spool_mail.rcpt_idx[i] */
	enum spool_rcpt_state	 state;
	int			 code;
	const char		*enh;
	const char		*text;
};

/* One attempt's outcome, recorded in one transaction. */
struct spool_attempt {
	time_t				 now;
	int				 reached;	/* the server answered */
	enum spool_mail_state		 state;		/* the mail's new state */
	time_t				 next_attempt;
	int				 code;
	const char			*enh;
	const char			*text;
	const char			*cls;		/* smtp_class_name() */
	const char			*reason;	/* held/failed/uncertain */
	const char			*hint;		/* held, failed: how to
							   fix it (delivery/
							   advice.h) */
	const char			*queued_as;
	int				 uncertain;	/* the server may have
							   it (also when held:
							   queue_uncertain) */
	const struct spool_rcpt_result	*rcpts;
	size_t				 nrcpts;
	int				 bounce;	/* recipients failing for
							   good now owe a DSN
							   (spool_bounce_each) */
};

int spool_record(struct spool *sp, const char *id,
    const struct spool_attempt *a, char **errstr);
/* spool_rcpt_owes_bounce - whether spool_record() makes recipient r of
 * attempt a owe its sender a bounce: a->bounce is set, and r failed for
 * good, or was not sent in a mail that failed (its lifetime is over).
 * Pure; one already owed or settled stays as it is. */
int spool_rcpt_owes_bounce(const struct spool_attempt *a,
    const struct spool_rcpt_result *r);

/* A mail that owes its sender a bounce, with the recipients concerned;
 * valid during the callback only. */
struct spool_bounce_rcpt {
	const char	*address;
	int		 failed;	/* refused for good; 0: gave up */
	int		 code;
	const char	*enh;
	const char	*text;
};
struct spool_bounce {
	const char			*id;
	const char			*account;
	const char			*conffile;
	const char			*settings;
	const char			*envelope_from;
	time_t				 created;
	const struct spool_bounce_rcpt	*rcpts;
	size_t				 nrcpts;
};
/*
 * spool_bounce_each - each mail with recipients that owe a bounce
 * (spool_attempt.bounce), oldest first. fn enqueues the bounce with
 * bounce_of set, which settles them; its error stops the walk. Those of
 * a mail with the null sender are settled without fn: nobody is told.
 */
typedef int (*spool_bounce_fn)(struct spool *sp, const struct spool_bounce *b,
    void *arg, char **errstr);
int spool_bounce_each(struct spool *sp, spool_bounce_fn fn, void *arg,
    char **errstr);

/*
 * spool_claim - lease a waiting mail to this process: the one named by
 * id if id is not "", else the oldest that is due at now (of one
 * account unless account is NULL), its id then written to id. Mails
 * left in flight by dead processes are taken back first, as uncertain.
 * EX_NOINPUT: no such mail waits.
 */
int spool_claim(struct spool *sp, time_t now, const char *account,
    char id[SPOOL_ID_LEN + 1], char **errstr);
/* spool_waiting - the ids of every waiting mail, oldest first (a
 * flush's work list: each is tried once), after taking back the mails
 * of dead deliverers as spool_claim() does. */
int spool_waiting(struct spool *sp, const char *account, struct strlist *ids,
    char **errstr);

/* One waiting mail as a runner plans its work: the strings are valid
 * during the callback only. settings is the account snapshot
 * (snapshot_dump()), stored once and named by snapshot, so mails with equal
 * account, conffile and snapshot can share a session. */
struct spool_waiting_mail {
	const char	*id;
	const char	*account;
	const char	*conffile;	/* NULL: command line */
	const char	*settings;
	long long	 snapshot;	/* equal settings, equal numbers */
	time_t		 next_attempt;
	int		 uncertain;	/* in state uncertain: its outcome is
					   unknown and no one has decided */
};
typedef void (*spool_waiting_fn)(const struct spool_waiting_mail *w,
    void *arg);
/* spool_waiting_each - spool_waiting(), with each mail's snapshot and
 * next attempt time, oldest first. */
int spool_waiting_each(struct spool *sp, const char *account,
    spool_waiting_fn fn, void *arg, char **errstr);
/* spool_hold_uncertain - hold the mail id, with the reason why, if it
 * is still in state uncertain (queue_uncertain hold: a mail taken back
 * from a deliverer that died); EX_NOINPUT if it is not. */
int spool_hold_uncertain(struct spool *sp, const char *id, const char *why,
    char **errstr);
/* spool_unclaim - give back this process's claim of id, unused: the
 * mail returns to the state the claim took it from, untried, so that a
 * claim for an attempt that never started is not taken later for one a
 * dead deliverer left (uncertain). Nothing happens when id is not in
 * flight for this process. */
int spool_unclaim(struct spool *sp, const char *id, char **errstr);
/* spool_claim_due - spool_claim() of the mail id, only if it is due at
 * now: a runner that planned its work a moment ago does not take a mail
 * that another runner has tried (and deferred) since. EX_NOINPUT: it is
 * no longer waiting, or not due. */
int spool_claim_due(struct spool *sp, time_t now, const char *id,
    char **errstr);
/*
 * spool_record_claim - for each step, all in one transaction: the record
 * of its mail's attempt (spool_record(), if id is not NULL, except that
 * a sent mail's bytes are left for spool_drop_sent_bytes()); the claim
 * named by unclaim given back unused (if not NULL: the mail returns to
 * the state the claim took it from); then the claim of the mail next
 * (spool_claim_due() if due, else spool_claim() by id; nothing if next
 * is ""), loaded into mail and body (spool_load(), and
 * spool_body_prefetch() with reader). A runner's sessions go from one
 * mail to the next with one commit, and so one fsync, for all the
 * attempts that ended at the same moment, instead of two per mail. next
 * is set to "" when that mail could not be claimed (another runner has
 * it, or it is no longer waiting or due). mail and body are then the
 * caller's, to free with spool_mail_free() and spool_body_close().
 * A next mail found damaged (spool_load(), spool_body_prefetch()) is
 * held in the same transaction instead; next is then "" and damaged
 * the message saying so, the caller's to free.
 * On failure nothing is recorded, given back or claimed.
 */
struct spool_step {
	const char			*id;
	const struct spool_attempt	*a;
	const char			*unclaim;
	char				 next[SPOOL_ID_LEN + 1];
	int				 due;
	struct spool			*reader;
	struct spool_mail		 mail;		/* out: next, loaded */
	struct spool_body		*body;		/* out */
	char				*damaged;	/* out: held */
};
int spool_record_claim(struct spool *sp, struct spool_step *steps,
    size_t n, time_t now, char **errstr);
/* spool_drop_sent_bytes - the bytes of every sent mail, which a runner
 * keeps until its pass ends: a transaction for a thousand mails costs
 * less than one delete in each record (and one for a million would fill
 * the WAL with all their pages), and a runner that died before its
 * pass ended has its leftovers dropped by the next. The bytes are
 * overwritten, in the database and its WAL, before it returns (as
 * spool_record() does for a mail it records sent, and spool_manage()
 * for deleted ones). */
int spool_drop_sent_bytes(struct spool *sp, char **errstr);

/* spool_prune_sent - forget the sent mails whose record has been kept
 * long enough: a sent mail's next_attempt is when it goes (the
 * attempt's now plus the account's queue_keep_sent). A runner calls it
 * at the end of each pass. */
int spool_prune_sent(struct spool *sp, time_t now, char **errstr);

/* spool_held_each - fn for each held mail (of account, unless NULL):
 * its id, its account snapshot (snapshot_dump()) and since, when it was
 * last tried or else queued (queue/expire.c says why). The mails are
 * read first, so fn may write; its error stops the walk. */
typedef int (*spool_held_fn)(struct spool *sp, const char *id,
    const char *settings, time_t since, void *arg, char **errstr);
int spool_held_each(struct spool *sp, const char *account,
    spool_held_fn fn, void *arg, char **errstr);
/* spool_expire_held - the held mail id fails, its lifetime over; its
 * recipients not sent owe their sender a bounce if bounce is set
 * (spool_bounce_each()). A mail no longer held (released since) is left
 * alone. */
int spool_expire_held(struct spool *sp, const char *id, time_t now,
    int bounce, char **errstr);

/* One mail as a listing shows it; valid during the walk callback. */
struct spool_entry {
	char		 id[SPOOL_ID_LEN + 1];
	time_t		 created;
	long long	 size;
	char		*account;
	char		*envelope_from;
	char		*state;
	int		 attempts;
	time_t		 next_attempt;
	char		*last_text;
	char		*reason;
	char		*hint;		/* held, failed: how to fix it,
					   lines "\n" apart; NULL: none */
	char		*subject;	/* NULL: none known */
	struct strlist	 rcpts;
	struct strlist	 rcpt_states;
	struct strlist	 rcpt_texts;	/* each one's last reply, "" if none */
};

typedef void (*spool_walk_fn)(const struct spool_entry *e, void *arg);
/* spool_walk - the mail id (any state), or every mail not yet sent,
 * oldest first, of one account unless account is NULL. */
int spool_walk(struct spool *sp, const char *id, const char *account,
    spool_walk_fn fn, void *arg, char **errstr);
/* spool_counts - how many mails not yet sent (of account, unless NULL)
 * are held, failed, or waiting (any other state: a runner will try them
 * by itself, or has them in flight), and the earliest next attempt of
 * those waiting and not in flight (0: none). */
struct spool_counts {
	long long	 waiting;
	long long	 held;
	long long	 failed;
	time_t		 next;
};
int spool_counts(struct spool *sp, const char *account,
    struct spool_counts *c, char **errstr);
/* spool_walk_sent - every sent mail still on record (see
 * spool_prune_sent()), oldest first; its next_attempt is when the record
 * goes. */
int spool_walk_sent(struct spool *sp, const char *account, spool_walk_fn fn,
    void *arg, char **errstr);

/* What the user may do to queued mail. */
enum spool_action {
	SPOOL_HOLD,	/* waiting mail: keep it until released */
	SPOOL_RELEASE,	/* held mail: queue it again, due now */
	SPOOL_RETRY,	/* waiting or failed mail: due now, all
			   recipients not yet sent tried again */
	SPOOL_DELETE	/* any mail not in flight: gone for good */
};

/*
 * spool_manage - apply an action to the mail id (or to every mail when id
 * is NULL), of one account unless account is NULL; *count gets how many
 * mails changed. Mails in flight are left alone.
 */
int spool_manage(struct spool *sp, enum spool_action action, const char *id,
    const char *account, time_t now, int *count, char **errstr);
/*
 * Renewing mails' snapshots (msmtp-queue --release and --retry re-read
 * each mail's account from its file; account/reread.h).
 *
 * spool_targets - the mails spool_manage(action, id, account) would
 * change, oldest first, each with its account, file (NULL: the command
 * line) and snapshot ("" if none); the strings live until fn returns.
 * spool_manage_renewed - spool_manage() of each v[i].id in one
 * transaction, each first given its new snapshot (settings; NULL keeps
 * the old one); a mail with refused set is not changed, except that a
 * held one gets refused as its reason. Snapshots no mail names any more
 * are dropped. *count: how many mails the action changed.
 */
struct spool_target {
	char		 id[SPOOL_ID_LEN + 1];
	const char	*account;
	const char	*conffile;
	const char	*settings;
};
typedef void (*spool_target_fn)(const struct spool_target *t, void *arg);
int spool_targets(struct spool *sp, enum spool_action action, const char *id,
    const char *account, spool_target_fn fn, void *arg, char **errstr);

/* spool_snapshot_of - mail id's account, file (NULL: the command line)
 * and snapshot ("" if none), newly allocated; EX_NOINPUT when there is
 * no such mail. */
int spool_snapshot_of(struct spool *sp, const char *id, char **account,
    char **conffile, char **settings, char **errstr);

struct spool_renewal {
	const char	*id;
	const char	*settings;	/* new snapshot; NULL: keep */
	const char	*refused;	/* not renewed: why, or NULL */
};
int spool_manage_renewed(struct spool *sp, enum spool_action action,
    const struct spool_renewal *v, size_t n, time_t now, int *count,
    char **errstr);

/*
 * spool_json - the mail id (any state), or every mail not yet sent, as a
 * JSON array of objects with their recipients; *json is new.
 */
int spool_json(struct spool *sp, const char *id, const char *account,
    char **json, char **errstr);
/* spool_json_each - every mail not yet sent, or (sent) spool_walk_sent()'s
 * mails, each as one JSON object (spool_json()'s) handed to fn as it is
 * read, so that memory stays the same whatever the queue's length; obj
 * is valid only during the call. Each object gets a "spool" member when
 * label is not NULL. */
typedef void (*spool_json_fn)(const char *obj, size_t len, void *arg);
int spool_json_each(struct spool *sp, const char *account, int sent,
    const char *label, spool_json_fn fn, void *arg, char **errstr);

const char *spool_mail_state_name(enum spool_mail_state s);
const char *spool_rcpt_state_name(enum spool_rcpt_state s);

#endif
