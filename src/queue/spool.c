/*
 * spool - open, create and migrate the spool database; see spool.h.
 *
 * SECURITY: the spool holds mail and account settings (never passwords).
 * Its directory and files are checked, and created private (0700/0600),
 * by spool_make_private() before SQLite opens any of them, so another
 * user can neither read our mail nor make us deliver theirs.
 */
#include "queue/spool_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "queue/migrations.h"

#include "util/xalloc.h"

/* Frames (pages written) the WAL may hold before a commit empties it: a
 * few small mails for msmtp; more for a runner, whose many commits on
 * one connection would otherwise checkpoint every other mail. */
#define WAL_MAX_FRAMES		32
#define WAL_MAX_FRAMES_BATCH	2048

/*
 * The page size of a new spool. A mail's bytes are rows of chunk; a row
 * that does not fit in what is left of a page starts a new page, so at
 * SQLite's 4 KB a 2.2 KB mail took a page of its own, 4.4 KB of file for
 * 2 KB of mail. 16 KB pages hold seven such rows. An existing spool keeps
 * its pages (changing them is a VACUUM: the whole file rewritten).
 */
#ifndef SPOOL_PAGE_SIZE
#define SPOOL_PAGE_SIZE		"16384"
#endif

/* Marks our databases: 'msmq'. */
#define SPOOL_APPLICATION_ID	0x6d736d71

static void restore_sync(struct spool *sp);

const char *spool_path(const struct spool *sp)
{
	return sp->path;
}

int spool_wal_open(const struct spool *sp, int *fd, char **errstr)
{
	char *wal = xasprintf("%s-wal", sp->path);

	*fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		*errstr = xasprintf("%s: %s", wal, strerror(errno));
	free(wal);
	return *fd < 0 ? EX_IOERR : EX_OK;
}

int spool_error(struct spool *sp, int rc, const char *what, char **errstr)
{
	const char *msg = sp->db ? sqlite3_errmsg(sp->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*errstr = xasprintf("%s: %s: the spool is busy (%s); try "
		    "again later", sp->path, what, msg);
		return EX_TEMPFAIL;
	case SQLITE_FULL:
		*errstr = xasprintf("%s: %s: %s; free some space and try "
		    "again", sp->path, what, msg);
		return EX_TEMPFAIL;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		*errstr = xasprintf("%s: %s: %s", sp->path, what, msg);
		return EX_CANTCREAT;
	case SQLITE_NOMEM:
		*errstr = xasprintf("%s: %s: %s", sp->path, what, msg);
		return EX_OSERR;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		*errstr = xasprintf("%s: %s: the spool is damaged or not a "
		    "spool (%s)", sp->path, what, msg);
		return EX_IOERR;
	}
	*errstr = xasprintf("%s: %s: %s", sp->path, what, msg);
	return EX_IOERR;
}

int spool_exec(struct spool *sp, const char *sql, char **errstr)
{
	int rc = sqlite3_exec(sp->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return spool_error(sp, rc, "cannot update the spool", errstr);
	return EX_OK;
}

sqlite3_stmt *spool_prepare(struct spool *sp, const char *sql, int *rc,
    char **errstr)
{
	sqlite3_stmt *st = NULL;
	int err = sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL);

	if (err != SQLITE_OK) {
		*rc = spool_error(sp, err, "cannot read the spool", errstr);
		return NULL;
	}
	return st;
}

void spool_rollback(struct spool *sp)
{
	if (!sqlite3_get_autocommit(sp->db))
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	restore_sync(sp);
}

char *spool_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? xstrdup((const char *)s) : NULL;
}

char *spool_text_nn(sqlite3_stmt *st, int col)
{
	char *s = spool_text(st, col);

	return s != NULL ? s : xstrdup("");
}

void spool_zero_freed(struct spool *sp, int all)
{
	sqlite3_exec(sp->db, all ? "PRAGMA secure_delete = ON" :
	    "PRAGMA secure_delete = FAST", NULL, NULL, NULL);
}

/* empty_wal - spool_empty_wal(); whether every frame of the WAL is now
 * in the database and the database fsynced (a checkpoint that copies
 * anything fsyncs the WAL first, then the database). */
static int empty_wal(struct spool *sp)
{
	int log = -1, copied = -1, err;

	sqlite3_busy_timeout(sp->db, SPOOL_EMPTY_WAL_MS);
	err = sqlite3_wal_checkpoint_v2(sp->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
	sqlite3_busy_timeout(sp->db, SPOOL_BUSY_MS);
	return err == SQLITE_OK && log >= 0 && log == copied;
}

void spool_empty_wal(struct spool *sp)
{
	(void)empty_wal(sp);
}

/* sync_wal - fdatasync() the WAL through SQLite's own descriptor: every
 * commit before is durable once it returns. */
static int sync_wal(struct spool *sp, char **errstr)
{
	sqlite3_file *wal = NULL;
	int err;

	err = sqlite3_file_control(sp->db, "main",
	    SQLITE_FCNTL_JOURNAL_POINTER, &wal);
	if (err == SQLITE_OK && (wal == NULL || wal->pMethods == NULL))
		err = SQLITE_IOERR;
	if (err == SQLITE_OK)
		err = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
	if (err != SQLITE_OK)
		return spool_error(sp, err, "cannot make the spool durable",
		    errstr);
	return EX_OK;
}

/* defer_sync - on a durable connection, commit without SQLite's fsyncs
 * (synchronous may change only outside a transaction); restore_sync
 * undoes it. */
static void defer_sync(struct spool *sp)
{
	if (!sp->durable)
		return;
	sqlite3_exec(sp->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	sp->sync_deferred = 1;
}

static void restore_sync(struct spool *sp)
{
	if (!sp->sync_deferred)
		return;
	sp->sync_deferred = 0;
	spool_set_durable(sp, 1);
}

/*
 * spool_begin_durable, spool_commit_durable - a transaction whose
 * commit is durable when spool_commit_durable() returns EX_OK, if the
 * connection's are (spool_set_durable()), with the fewest fsyncs.
 *
 * Why not synchronous=FULL: it fsyncs the WAL at the commit, and a
 * checkpoint right after (the WAL hook's every few mails, or msmtp's
 * spool_empty_wal() once its mail is sent) fsyncs the WAL again before
 * copying it. Here the transaction commits under NORMAL, which SQLite
 * keeps consistent through any crash (the last commits may be lost,
 * never damaged), then one fsync makes it durable: the checkpoint's,
 * when one copied the whole WAL (it fsyncs the WAL first, this commit's
 * frames included, and the database after), else our own fdatasync()
 * of the WAL. (The fsync of a new WAL's header before its first frame,
 * which SQLite makes in either mode against out-of-order writes after a
 * WAL restart, stays where the WAL was restarted in place; walvfs.c
 * leaves it out for a WAL emptied by a truncating checkpoint.)
 */
int spool_begin_durable(struct spool *sp, char **errstr)
{
	int rc;

	defer_sync(sp);
	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	if (rc != EX_OK)
		restore_sync(sp);
	return rc;
}

int spool_commit_durable(struct spool *sp, int empty, char **errstr)
{
	int rc, deferred = sp->sync_deferred, copied;

	sp->wal_copied = 0;
	rc = spool_exec_cached(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		return rc;	/* the caller rolls back */
	restore_sync(sp);
	copied = sp->wal_copied;
	if (empty)
		copied = empty_wal(sp) || copied;
	if (deferred && !copied)
		rc = sync_wal(sp, errstr);
	return rc;
}

/* int_pragma - the integer value of a PRAGMA query. */
static int int_pragma(struct spool *sp, const char *sql, int *value,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	if ((st = spool_prepare(sp, sql, &rc, errstr)) == NULL)
		return rc;
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		*value = sqlite3_column_int(st, 0);
	else
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* check_foreign - refuse a database that is not one of ours. */
static int check_foreign(struct spool *sp, char **errstr)
{
	int app = 0, tables = 0, rc;

	rc = int_pragma(sp, "PRAGMA application_id", &app, errstr);
	if (rc == EX_OK && app == SPOOL_APPLICATION_ID)
		return EX_OK;	/* ours: the usual case, one query */
	if (rc == EX_OK)
		rc = int_pragma(sp, "SELECT count(*) FROM sqlite_master",
		    &tables, errstr);
	if (rc != EX_OK)
		return rc;
	if (app != SPOOL_APPLICATION_ID && (app != 0 || tables != 0)) {
		*errstr = xasprintf("%s: this database is not a msmtp spool",
		    sp->path);
		return EX_IOERR;
	}
	return EX_OK;
}

/* migrate - bring the schema up to date, in one transaction. */
static int migrate(struct spool *sp, char **errstr)
{
	char sql[128];
	int version = 0, rc, i;

	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = int_pragma(sp, "PRAGMA user_version", &version, errstr);
	if (rc == EX_OK && version == 0)
		rc = check_foreign(sp, errstr);
	for (i = version; rc == EX_OK && i < spool_nmigrations; i++)
		rc = spool_exec(sp, spool_migrations[i], errstr);
	if (rc == EX_OK && version < spool_nmigrations) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; "
		    "PRAGMA application_id = %d", spool_nmigrations,
		    SPOOL_APPLICATION_ID);
		rc = spool_exec(sp, sql, errstr);
	}
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}

/*
 * truncate_wal - the WAL hook, after each commit: past WAL_MAX_FRAMES,
 * checkpoint and empty the WAL, unless someone is in the way right now.
 *
 * Why not SQLite's own ways: a checkpoint on every close costs each
 * short-lived msmtp three more fsyncs and a WAL file created and
 * removed; with no checkpoint, the WAL left behind is read whole by every
 * opener's recovery and, since recovery forgets what was copied back,
 * never restarts and grows with every mail. A small WAL emptied every
 * few mails keeps both opens and commits cheap. A busy checkpoint is
 * skipped (the next commit tries again): the mail is committed already
 * and must not wait on a reader. A batch writer (the runner) restarts
 * its WAL instead, and truncates it only on close: its next frames then
 * overwrite blocks the file has, where a truncated WAL would grow again
 * block by block, each one allocated by the file system (a tenth of the
 * runner's time).
 */
static int truncate_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct spool *sp = arg;
	int log = -1, copied = -1, err;

	if (frames < sp->wal_max_frames)
		return SQLITE_OK;
	sqlite3_busy_timeout(db, 0);
	err = sqlite3_wal_checkpoint_v2(db, name, sp->wal_max_frames >
	    WAL_MAX_FRAMES ? SQLITE_CHECKPOINT_RESTART :
	    SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
	sqlite3_busy_timeout(db, SPOOL_BUSY_MS);
	/* For spool_commit_durable(): the WAL was fsynced, and all of it
	 * copied into the database, fsynced too. */
	sp->wal_copied = err == SQLITE_OK && log >= 0 && log == copied;
	return SQLITE_OK;
}

/* configure - per-connection settings, then the schema if needed. */
static int configure(struct spool *sp, char **errstr)
{
	int version = 0, rc;

	sqlite3_db_config(sp->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sp->wal_max_frames = WAL_MAX_FRAMES;
	sp->durable = 1;	/* synchronous = FULL, below */
	sqlite3_wal_hook(sp->db, truncate_wal, sp);
	sqlite3_busy_timeout(sp->db, SPOOL_BUSY_MS);
	rc = spool_register_account_is(sp, errstr);
	if (rc != EX_OK)
		return rc;
	/* Before anything writes (journal_mode is persistent): another
	 * application's database is refused untouched, whatever its
	 * user_version says. */
	rc = check_foreign(sp, errstr);
	if (rc == EX_OK)
		rc = int_pragma(sp, "PRAGMA user_version", &version, errstr);
	if (rc != EX_OK)
		return rc;
	if (version > spool_nmigrations) {
		*errstr = xasprintf("%s: the spool was made by a newer "
		    "version (schema %d, this one knows %d)", sp->path,
		    version, spool_nmigrations);
		return EX_IOERR;
	}
	/* Only an empty database takes it, before WAL mode (which fixes
	 * the page size) and before its first table. */
	if (version == 0)
		rc = spool_exec(sp, "PRAGMA page_size = " SPOOL_PAGE_SIZE,
		    errstr);
	if (rc == EX_OK && version < spool_nmigrations) {
		rc = spool_exec(sp, "PRAGMA journal_mode = WAL", errstr);
		if (rc == EX_OK)
			rc = migrate(sp, errstr);
		if (rc != EX_OK)
			return rc;
	}
	/* Debian builds SQLite to zero every deleted byte. FAST zeroes
	 * only what is written anyway: freed pages keep their bytes until
	 * reused. That is fine for the records, which hold no mail; the
	 * deletions of mail bytes switch to zeroing all for their
	 * transaction (spool_zero_freed()) and then empty the WAL
	 * (spool_empty_wal()), so that no sent or deleted mail stays
	 * readable in the spool's files. */
	return spool_exec(sp, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; PRAGMA secure_delete = FAST", errstr);
}

int spool_open(const char *path, struct spool **out, char **errstr)
{
	struct spool *sp;
	int rc, err;
	mode_t old;

	*out = NULL;
	rc = spool_make_private(path, errstr);
	if (rc != EX_OK)
		return rc;
	sp = xcalloc(1, sizeof(*sp));
	sp->path = xstrdup(path);
	/* SQLite counts every allocation under one global mutex unless told
	 * not to before its first use; nothing here reads the counts, and
	 * the lock was a tenth of a runner's CPU in SQLite. Later calls are
	 * refused by SQLite, harmlessly. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* The -wal and -shm files are created as we go: keep them private. */
	old = umask(077);
	err = sqlite3_open_v2(path, &sp->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, spool_vfs());
	rc = err == SQLITE_OK ? configure(sp, errstr) :
	    spool_error(sp, err, "cannot open the spool", errstr);
	umask(old);
	if (rc != EX_OK) {
		spool_close(sp);
		return rc;
	}
	*out = sp;
	return EX_OK;
}

void spool_batch(struct spool *sp)
{
	sp->wal_max_frames = WAL_MAX_FRAMES_BATCH;
	spool_set_durable(sp, 0);
}

void spool_set_durable(struct spool *sp, int durable)
{
	sp->durable = durable;
	sqlite3_exec(sp->db, durable ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_cache_free(sp);
	/* A batch writer leaves the WAL empty for the next short-lived
	 * opener (whose recovery would read it whole). */
	if (sp->wal_max_frames > WAL_MAX_FRAMES) {
		sqlite3_busy_timeout(sp->db, 0);
		sqlite3_wal_checkpoint_v2(sp->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	sqlite3_close(sp->db);
	spool_account_alias(sp, NULL, NULL);
	free(sp->path);
	free(sp);
}

/* read_small_file - the first line of a small file, or "". */
static void read_small_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

void spool_bind_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
}

unsigned long long spool_start_time(long pid)
{
	char line[1024], path[64], *p;
	unsigned long long t = 0;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	read_small_file(path, line, sizeof(line));
	p = strrchr(line, ')');	/* the command name may hold spaces */
	if (p == NULL)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

const char *spool_my_owner(struct spool *sp)
{
	/* A fork (msmtp -odb's child) is another owner. */
	if (sp->owner_pid != getpid()) {
		spool_owner(sp->owner);
		sp->owner_pid = getpid();
	}
	return sp->owner;
}

void spool_owner(char buf[SPOOL_OWNER_LEN])
{
	char boot[64];

	read_small_file("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	snprintf(buf, SPOOL_OWNER_LEN, "%.40s:%ld:%llu", boot, (long)getpid(),
	    spool_start_time((long)getpid()));
}

static const char *const mail_states[] = {
	"queued", "inflight", "deferred", "held", "uncertain", "sent",
	"failed"
};
static const char *const rcpt_states[] = {
	"pending", "sent", "deferred", "failed"
};

const char *spool_mail_state_name(enum spool_mail_state s)
{
	return mail_states[s];
}

const char *spool_rcpt_state_name(enum spool_rcpt_state s)
{
	return rcpt_states[s];
}
