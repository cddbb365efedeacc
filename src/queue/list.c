/*
 * list - walk the spool for listings; see spool.h.
 */
#include "queue/spool_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

static void free_entry(struct spool_entry *e)
{
	free(e->account);
	free(e->envelope_from);
	free(e->state);
	free(e->last_text);
	free(e->reason);
	free(e->hint);
	free(e->subject);
	strlist_free(&e->rcpts);
	strlist_free(&e->rcpt_states);
	strlist_free(&e->rcpt_texts);
	memset(e, 0, sizeof(*e));
}

/* reply_of - a recipient's last reply (the text holds its code), or
 * "". */
static char *reply_of(sqlite3_stmt *st)
{
	char *text = spool_text(st, 2);

	return text ? text : xstrdup("");
}

/* entry_rcpts - every recipient of the entry with its state. */
static int entry_rcpts(struct spool *sp, sqlite3_stmt *st,
    struct spool_entry *e, char **errstr)
{
	int err;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
	while ((err = sqlite3_step(st)) == SQLITE_ROW) {
		strlist_take(&e->rcpts, spool_text_nn(st, 0));
		strlist_take(&e->rcpt_states, spool_text_nn(st, 1));
		strlist_take(&e->rcpt_texts, reply_of(st));
	}
	if (err != SQLITE_DONE)
		return spool_error(sp, err, "cannot read the spool", errstr);
	return EX_OK;
}

static void read_entry(sqlite3_stmt *st, struct spool_entry *e)
{
	const unsigned char *id = sqlite3_column_text(st, 0);

	/* A damaged row may hold NULL where the schema says NOT NULL. */
	snprintf(e->id, sizeof(e->id), "%s", id ? (const char *)id : "");
	e->created = (time_t)sqlite3_column_int64(st, 1);
	e->size = sqlite3_column_int64(st, 2);
	e->account = spool_text_nn(st, 3);
	e->envelope_from = spool_text_nn(st, 4);
	e->state = spool_text_nn(st, 5);
	e->attempts = sqlite3_column_int(st, 6);
	e->next_attempt = (time_t)sqlite3_column_int64(st, 7);
	e->last_text = spool_text(st, 8);
	e->reason = spool_text(st, 9);
	e->subject = spool_text(st, 10);
	e->hint = spool_text(st, 11);
	strlist_init(&e->rcpts);
	strlist_init(&e->rcpt_states);
	strlist_init(&e->rcpt_texts);
}

#define WALK_SQL(account, which) "SELECT id, created, size, account, " \
	"envelope_from, state, attempts, next_attempt, last_text, reason, " \
	"subject, hint " \
	"FROM mail WHERE (?1 IS NULL OR id = ?1) AND " account " AND " \
	which " ORDER BY created, id"

/* walk - the mails the statement sql (WALK_SQL, all accounts) or
 * account_sql (its filter by account) selects. */
static int walk(struct spool *sp, const char *sql, const char *account_sql,
    const char *id, const char *account, spool_walk_fn fn, void *arg,
    char **errstr)
{
	sqlite3_stmt *st, *rst;
	struct spool_entry e;
	int rc = EX_OK, err;

	st = spool_prepare(sp, account ? account_sql : sql, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_account(sp, st, 2, 3, account);
	rst = spool_prepare(sp, "SELECT address, state, last_text FROM rcpt "
	    "WHERE "
	    "mail_id = ? ORDER BY idx", &rc, errstr);
	while (rst != NULL && (err = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		read_entry(st, &e);
		rc = entry_rcpts(sp, rst, &e, errstr);
		if (rc == EX_OK)
			fn(&e, arg);
		free_entry(&e);
		if (rc != EX_OK)
			break;
	}
	if (rst != NULL && rc == EX_OK && err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(rst);
	sqlite3_finalize(st);
	return rc;
}

int spool_walk(struct spool *sp, const char *id, const char *account,
    spool_walk_fn fn, void *arg, char **errstr)
{
#define UNSENT	"(?1 IS NOT NULL OR state <> 'sent')"
	return walk(sp, WALK_SQL("1", UNSENT),
	    WALK_SQL(SPOOL_ACCOUNT_IN(2, 3), UNSENT), id, account, fn, arg,
	    errstr);
}

int spool_walk_sent(struct spool *sp, const char *account, spool_walk_fn fn,
    void *arg, char **errstr)
{
	return walk(sp, WALK_SQL("1", "state = 'sent'"),
	    WALK_SQL(SPOOL_ACCOUNT_IN(2, 3), "state = 'sent'"), NULL, account,
	    fn, arg, errstr);
}

/*
 * The counts by state. A status bar asks often, and walking every mail
 * with its recipients took 2 s at a million. Without a filter each count
 * is a range of the mail_due index (state, next_attempt), and each
 * earliest attempt its first entry: a million mails in 30 ms. With a
 * filter, "+state" keeps SQLite on the mail_account index instead, which
 * holds only that account's mails. The earliest next attempt is that of
 * the mails a runner will try by itself (in flight ones have none).
 */
#define COUNT_OF(states, account) "(SELECT count(*) FROM mail WHERE " \
	states " AND " account ")"
#define EARLIEST(state, account) "SELECT min(next_attempt) AS t FROM " \
	"mail WHERE " state " AND " account
#define COUNTS_SQL(st, account) "SELECT " \
	COUNT_OF(st "state = 'held'", account) ", " \
	COUNT_OF(st "state = 'failed'", account) ", " \
	COUNT_OF(st "state IN ('queued', 'inflight', 'deferred', " \
	"'uncertain')", account) ", " \
	"(SELECT min(t) FROM (" \
	EARLIEST(st "state = 'queued'", account) " UNION ALL " \
	EARLIEST(st "state = 'deferred'", account) " UNION ALL " \
	EARLIEST(st "state = 'uncertain'", account) "))"

int spool_counts(struct spool *sp, const char *account,
    struct spool_counts *c, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	memset(c, 0, sizeof(*c));
	st = spool_prepare(sp, account ? COUNTS_SQL("+",
	    SPOOL_ACCOUNT_IN(1, 2)) : COUNTS_SQL("", "1"), &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_account(sp, st, 1, 2, account);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW) {
		c->held = sqlite3_column_int64(st, 0);
		c->failed = sqlite3_column_int64(st, 1);
		c->waiting = sqlite3_column_int64(st, 2);
		c->next = (time_t)sqlite3_column_int64(st, 3);
	} else {
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	}
	sqlite3_finalize(st);
	return rc;
}
