/*
 * manage - the user's hand on the queue: hold, release, retry, delete,
 * and the views that show a mail whole or as JSON; see spool.h.
 *
 * Every change is one transaction. A mail in flight under a living
 * runner is never changed under its feet: its row is skipped and counted
 * as busy.
 */
#include "queue/spool_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* Which mails an action applies to (where), and what it does to them. */
static const struct {
	enum spool_action	 action;
	const char		*sql;
	const char		*where;
} actions[] = {
	{ SPOOL_HOLD, "UPDATE mail SET state = 'held', reason = 'held by the "
	    "user'", "state IN ('queued', 'deferred', 'uncertain')" },
	{ SPOOL_RELEASE, "UPDATE mail SET state = 'queued', next_attempt = ?3, "
	    "reason = NULL, hint = NULL", "state = 'held'" },
	{ SPOOL_RETRY, "UPDATE mail SET state = CASE state WHEN 'failed' THEN "
	    "'queued' ELSE state END, next_attempt = ?3, reason = CASE state "
	    "WHEN 'failed' THEN NULL ELSE reason END, hint = CASE state WHEN "
	    "'failed' THEN NULL ELSE hint END", "state IN "
	    "('queued', 'deferred', 'uncertain', 'failed')" },
	/* ALL leaves the records of sent mails, which go by themselves
	 * (queue_keep_sent): it deletes, and counts, the mails that wait. */
	{ SPOOL_DELETE, "DELETE FROM mail", "state <> 'inflight' AND "
	    "(?1 IS NOT NULL OR state <> 'sent')" },
};

/* retry_rcpts - a retried failed mail tries its failed recipients too. */
static int retry_rcpts(struct spool *sp, const char *id, const char *account,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "UPDATE rcpt SET state = 'pending' WHERE "
	    "state = 'failed' AND mail_id IN (SELECT id FROM mail WHERE "
	    "(?1 IS NULL OR id = ?1) AND account_is(account, ?2) AND "
	    "state IN ('queued', 'deferred', 'uncertain', 'failed'))", &rc,
	    errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, account);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot change the queue", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* apply - one action on the selected mails; *count gets how many. */
static int apply(struct spool *sp, enum spool_action action, const char *id,
    const char *account, time_t now, int *count, char **errstr)
{
	sqlite3_stmt *st;
	char *sql;
	int rc = EX_OK, err;

	sql = xasprintf("%s WHERE %s AND (?1 IS NULL OR id = ?1) AND "
	    "account_is(account, ?2)", actions[action].sql,
	    actions[action].where);
	st = spool_prepare(sp, sql, &rc, errstr);
	free(sql);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, account);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot change the queue", errstr);
	*count = sqlite3_changes(sp->db);
	sqlite3_finalize(st);
	return rc;
}

/* in_transaction - spool_manage()'s one transaction. */
static int in_transaction(struct spool *sp, enum spool_action action,
    const char *id, const char *account, time_t now, int *count,
    char **errstr)
{
	int rc;

	*count = 0;
	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK && action == SPOOL_RETRY)
		rc = retry_rcpts(sp, id, account, errstr);
	if (rc == EX_OK)
		rc = apply(sp, action, id, account, now, count, errstr);
	if (rc == EX_OK && action == SPOOL_DELETE && *count > 0)
		rc = spool_drop_orphan_snapshots(sp, errstr);
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}

int spool_manage(struct spool *sp, enum spool_action action, const char *id,
    const char *account, time_t now, int *count, char **errstr)
{
	int rc, deleting = action == SPOOL_DELETE;

	/* A deleted mail leaves nothing readable in the spool's files. */
	if (deleting)
		spool_zero_freed(sp, 1);
	rc = in_transaction(sp, action, id, account, now, count, errstr);
	if (deleting)
		spool_zero_freed(sp, 0);
	if (deleting && rc == EX_OK && *count > 0)
		spool_empty_wal(sp);
	return rc;
}

int spool_drop_orphan_snapshots(struct spool *sp, char **errstr)
{
	/* A snapshot goes with the last mail that named it. */
	return spool_exec(sp, "DELETE FROM snapshot WHERE id NOT IN "
	    "(SELECT snapshot FROM mail WHERE snapshot IS NOT NULL)", errstr);
}

int spool_targets(struct spool *sp, enum spool_action action, const char *id,
    const char *account, spool_target_fn fn, void *arg, char **errstr)
{
	struct spool_target t;
	sqlite3_stmt *st;
	char *sql;
	int rc = EX_OK, err;

	sql = xasprintf("SELECT m.id, m.account, m.conffile, coalesce("
	    "s.settings, '') FROM mail AS m LEFT JOIN snapshot AS s ON s.id = "
	    "m.snapshot WHERE %s AND (?1 IS NULL OR m.id = ?1) AND "
	    "account_is(m.account, ?2) ORDER BY m.created, m.id",
	    actions[action].where);
	st = spool_prepare(sp, sql, &rc, errstr);
	free(sql);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, account);
	while ((err = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(t.id, sizeof(t.id), "%s", sqlite3_column_text(st, 0));
		t.account = (const char *)sqlite3_column_text(st, 1);
		t.conffile = (const char *)sqlite3_column_text(st, 2);
		t.settings = (const char *)sqlite3_column_text(st, 3);
		fn(&t, arg);
	}
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_snapshot_of(struct spool *sp, const char *id, char **account,
    char **conffile, char **settings, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	*account = *conffile = *settings = NULL;
	st = spool_prepare(sp, "SELECT m.account, m.conffile, coalesce("
	    "s.settings, '') FROM mail AS m LEFT JOIN snapshot AS s ON s.id = "
	    "m.snapshot WHERE m.id = ?", &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW) {
		*account = spool_text(st, 0);
		*conffile = spool_text(st, 1);
		*settings = spool_text(st, 2);
	} else if (err == SQLITE_DONE) {
		*errstr = xasprintf("no mail %s in the queue", id);
		rc = EX_NOINPUT;
	} else {
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	}
	sqlite3_finalize(st);
	return rc;
}

/* set_column - UPDATE mail SET sql's column for id (?1) to value (?2). */
static int set_column(struct spool *sp, const char *sql, const char *id,
    const char *text, sqlite3_int64 num, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, sql, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	if (text != NULL)
		spool_bind_text(st, 2, text);
	else
		sqlite3_bind_int64(st, 2, num);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot change the queue", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* renew_one - one mail's part of spool_manage_renewed(). */
static int renew_one(struct spool *sp, enum spool_action action,
    const struct spool_renewal *r, time_t now, int *count, char **errstr)
{
	sqlite3_int64 snap;
	int rc = EX_OK, n = 0;

	*count = 0;
	if (r->refused != NULL)
		return set_column(sp, "UPDATE mail SET reason = ?2 WHERE id = "
		    "?1 AND state = 'held'", r->id, r->refused, 0, errstr);
	if (r->settings != NULL) {
		rc = spool_snapshot_id(sp, r->settings, &snap, errstr);
		if (rc == EX_OK)
			rc = set_column(sp, "UPDATE mail SET snapshot = ?2 "
			    "WHERE id = ?1 AND state <> 'inflight'", r->id,
			    NULL, snap, errstr);
	}
	if (rc == EX_OK && action == SPOOL_RETRY)
		rc = retry_rcpts(sp, r->id, NULL, errstr);
	if (rc == EX_OK)
		rc = apply(sp, action, r->id, NULL, now, &n, errstr);
	*count = n;
	return rc;
}

int spool_manage_renewed(struct spool *sp, enum spool_action action,
    const struct spool_renewal *v, size_t n, time_t now, int *count,
    char **errstr)
{
	size_t i;
	int rc, one;

	*count = 0;
	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	for (i = 0; rc == EX_OK && i < n; i++) {
		rc = renew_one(sp, action, &v[i], now, &one, errstr);
		*count += one;
	}
	if (rc == EX_OK)
		rc = spool_drop_orphan_snapshots(sp, errstr);
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}

/* The queue as JSON, one object a row, built by SQLite's JSON functions:
 * ?3 = 0 the mails not yet sent, ?3 = 1 the sent ones (any mail named
 * by ?1). The rows are handed out one by one, never gathered: a million
 * mails make a 450 MB array. json_object() writes them minified already:
 * a json() around each (as json_group_array() needed) parsed every
 * object again, a third of the time. */
#define JSON_SQL(account) \
	"SELECT CASE WHEN ?4 IS NULL THEN m ELSE " \
	"json_insert(m, '$.spool', ?4) END FROM (SELECT json_object(" \
	"'id', id, 'created', created, 'size', size, 'account', account, " \
	"'envelope_from', envelope_from, 'message_id', message_id, " \
	"'subject', subject, " \
	"'state', state, 'attempts', attempts, 'next_attempt', next_attempt, " \
	"'last_attempt', last_attempt, 'last_code', last_code, " \
	"'last_enhanced', last_enh, 'last_reply', last_text, " \
	"'class', last_class, 'reason', reason, 'hint', hint, " \
	"'possible_duplicate', json(CASE uncertain WHEN 1 THEN 'true' " \
	"ELSE 'false' END), " \
	"'recipients', (SELECT json_group_array(json_object('address', " \
	"address, 'state', state, 'code', last_code, 'enhanced', last_enh, " \
	"'reply', last_text)) FROM (SELECT * FROM rcpt WHERE mail_id = " \
	"mail.id ORDER BY idx))) AS m, created, id FROM mail " \
	"WHERE (?1 IS NULL OR id = ?1) AND " account " " \
	"AND (?1 IS NOT NULL OR (state = 'sent') = ?3)) ORDER BY created, id"

/* json_rows - each row of JSON_SQL to fn; sent: ?3, label: ?4. */
static int json_rows(struct spool *sp, const char *id, const char *account,
    int sent, const char *label, spool_json_fn fn, void *arg,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, account ? JSON_SQL(SPOOL_ACCOUNT_IN(2, 5)) :
	    JSON_SQL("1"), &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_account(sp, st, 2, 5, account);
	sqlite3_bind_int(st, 3, sent);
	spool_bind_text(st, 4, label);
	while ((err = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), arg);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* gather - a spool_json_fn: the objects into one array (a buf). */
static void gather(const char *obj, size_t len, void *arg)
{
	struct buf *b = arg;

	if (b->len > 1)		/* past the '[' */
		buf_putc(b, ',');
	buf_append(b, obj, len);
}

int spool_json(struct spool *sp, const char *id, const char *account,
    char **json, char **errstr)
{
	struct buf b;
	int rc;

	buf_init(&b);
	buf_putc(&b, '[');
	rc = json_rows(sp, id, account, 0, NULL, gather, &b, errstr);
	if (rc != EX_OK) {
		buf_free(&b);
		return rc;
	}
	buf_putc(&b, ']');
	*json = buf_steal(&b);
	return EX_OK;
}

int spool_json_each(struct spool *sp, const char *account, int sent,
    const char *label, spool_json_fn fn, void *arg, char **errstr)
{
	return json_rows(sp, NULL, account, sent, label, fn, arg, errstr);
}
