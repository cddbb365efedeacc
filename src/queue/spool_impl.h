/*
 * spool_impl - what the files of src/queue/ share; not for other modules.
 */
#ifndef QUEUE_SPOOL_IMPL_H
#define QUEUE_SPOOL_IMPL_H

#include <sqlite3.h>

#include "queue/spool.h"

struct spool_stmt;

struct spool {
	sqlite3			*db;
	char			*path;
	struct spool_stmt	*cache;		/* stmtcache.c */
	int			 wal_max_frames; /* see truncate_wal() */
	int			 durable;	/* synchronous=FULL */
	int			 sync_deferred;	/* NORMAL until the commit
						   (spool_begin_durable()) */
	int			 wal_copied;	/* by truncate_wal(), this
						   commit */
	char			 owner[SPOOL_OWNER_LEN]; /* spool_owner(), */
	pid_t			 owner_pid;	/* for this pid */
	char			*alias[2];	/* one account, two names
						   (alias.c) */
};

/* spool_register_account_is - the SQL function account_is(account,
 * filter) of every account filter (alias.c); EX_OK or the error. */
int spool_register_account_is(struct spool *sp, char **errstr);

/* spool_vfs - the name of the VFS spool_open() opens the database with:
 * the default one, except that an existing -wal is opened without
 * SQLITE_OPEN_CREATE, which spares every connection a directory fsync
 * (walvfs.c says why that is safe); NULL (the default VFS) if it could
 * not be registered. */
const char *spool_vfs(void);
/*
 * SPOOL_ACCOUNT_IN(a, b) - the filter by account as SQL over two
 * parameters bound by spool_bind_account(): what account_is() says,
 * but in a form SQLite can search the mail_account index with, where
 * the opaque function made it read every mail. For the statements whose
 * filter is not NULL; the others leave the filter out.
 */
#define SPOOL_ACCOUNT_IN(a, b)	"account IN (?" #a ", ?" #b ")"
/* spool_bind_account - bind the filter (col) and its other name (other:
 * the filter again when it has none); nothing for a NULL filter. */
void spool_bind_account(struct spool *sp, sqlite3_stmt *st, int col,
    int other, const char *filter);

/* spool_make_private - create the spool's directory (0700) and database
 * (0600) if missing, and check them and the -wal, -shm and -journal
 * files SQLite would open (private.c): EX_CANTCREAT with a message
 * saying what is wrong and how to fix it. */
int spool_make_private(const char *path, char **errstr);
/*
 * spool_zero_freed - whether this connection's deletions overwrite every
 * page they free with zeros (all: secure_delete ON, for the transactions
 * that delete mail bytes) or only what they write anyway (FAST, the
 * default set by spool_open()). spool_empty_wal - after a commit that
 * deleted mail bytes: copy the WAL into the database and truncate it, so
 * that neither the old pages in the database nor the frames of the WAL
 * (the enqueue's, the freed pages' before they were zeroed) keep them.
 * Best effort: a reader still on an older snapshot, for more than
 * SPOOL_EMPTY_WAL_MS, leaves it to a later commit (truncate_wal()).
 */
#define SPOOL_EMPTY_WAL_MS	250
void spool_zero_freed(struct spool *sp, int all);
void spool_empty_wal(struct spool *sp);
/* spool_begin_durable, spool_commit_durable - BEGIN IMMEDIATE and
 * COMMIT of a transaction as durable as the connection's commits are
 * (spool_set_durable()) once spool_commit_durable() returns EX_OK, but
 * with fewer fsyncs than SQLite's own (spool.c says how); with empty,
 * the WAL is then emptied (spool_empty_wal()). On failure of either the
 * caller rolls back (spool_rollback()). */
int spool_begin_durable(struct spool *sp, char **errstr);
int spool_commit_durable(struct spool *sp, int empty, char **errstr);
/* spool_drop_orphan_snapshots - delete the account snapshots no mail
 * names any more, inside the caller's transaction. */
int spool_drop_orphan_snapshots(struct spool *sp, char **errstr);
/* spool_my_owner - spool_owner() of this process, read from /proc once
 * per connection (and again after a fork). */
const char *spool_my_owner(struct spool *sp);
/* spool_error - map SQLite's last error to a sysexits code and message
 * ("<path>: <what>: <sqlite message>"). */
int spool_error(struct spool *sp, int rc, const char *what, char **errstr);
/* spool_exec - run SQL without results. */
int spool_exec(struct spool *sp, const char *sql, char **errstr);
/* spool_prepare - a statement, or NULL with *errstr set. */
sqlite3_stmt *spool_prepare(struct spool *sp, const char *sql, int *rc,
    char **errstr);
/* spool_rollback - end a failed transaction, keeping the first error. */
void spool_rollback(struct spool *sp);
/* spool_text - a column as a new string, NULL for SQL NULL. */
char *spool_text(sqlite3_stmt *st, int col);
/* spool_text_nn - a NOT NULL column as a new string: "" where a damaged
 * row holds NULL (or a type SQLite cannot give as text), so that what
 * reads it never meets a NULL the schema promised away. */
char *spool_text_nn(sqlite3_stmt *st, int col);
/* spool_bind_text - bind a string that outlives the statement's step,
 * or SQL NULL for a NULL pointer. */
void spool_bind_text(sqlite3_stmt *st, int col, const char *s);
/* spool_start_time - when process pid started (clock ticks since boot),
 * 0 if it does not exist: with the boot id, it names a process for good. */
unsigned long long spool_start_time(long pid);
/* spool_cached - the statement for sql (a string literal: it is found
 * by its address), prepared once per connection and reset; the caller
 * gives it back with spool_release(), never sqlite3_finalize(). For the
 * statements a runner runs for every mail. */
sqlite3_stmt *spool_cached(struct spool *sp, const char *sql, int *rc,
    char **errstr);
/* spool_warm - spool_cached() of each of the n statements, parsed ahead
 * of their use; errors are left for the use to tell. */
void spool_warm(struct spool *sp, const char *const *sql, size_t n);
/* spool_warm_listing - spool_warm() of spool_waiting_each()'s. */
void spool_warm_listing(struct spool *sp);
/* spool_release - reset a cached statement: no lock, no bindings. */
void spool_release(sqlite3_stmt *st);
/* spool_exec_cached - spool_exec() of a cached statement (BEGIN, COMMIT). */
int spool_exec_cached(struct spool *sp, const char *sql, char **errstr);
/* spool_cache_free - finalize them all, before the connection closes. */
void spool_cache_free(struct spool *sp);
/* spool_record_in - spool_record() inside the caller's transaction; a
 * sent mail's bytes are dropped with drop, else left for
 * spool_drop_sent_bytes(). */
int spool_record_in(struct spool *sp, const char *id,
    const struct spool_attempt *a, int drop, char **errstr);
/* spool_snapshot_id - the id of the snapshot settings, stored if new:
 * the mails of one account share it. */
int spool_snapshot_id(struct spool *sp, const char *settings,
    sqlite3_int64 *id, char **errstr);

#endif
