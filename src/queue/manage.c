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

#include "util/xalloc.h"

/* Which mails an action applies to, and what it does to them. */
static const struct {
	enum spool_action	 action;
	const char		*sql;
} actions[] = {
	{ SPOOL_HOLD, "UPDATE mail SET state = 'held', reason = 'held by the "
	    "user' WHERE state IN ('queued', 'deferred', 'uncertain')" },
	{ SPOOL_RELEASE, "UPDATE mail SET state = 'queued', next_attempt = ?3, "
	    "reason = NULL WHERE state = 'held'" },
	{ SPOOL_RETRY, "UPDATE mail SET state = CASE state WHEN 'failed' THEN "
	    "'queued' ELSE state END, next_attempt = ?3, reason = CASE state "
	    "WHEN 'failed' THEN NULL ELSE reason END WHERE state IN "
	    "('queued', 'deferred', 'uncertain', 'failed')" },
	{ SPOOL_DELETE, "DELETE FROM mail WHERE state <> 'inflight'" },
};

/* retry_rcpts - a retried failed mail tries its failed recipients too. */
static int retry_rcpts(struct spool *sp, const char *id, const char *account,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "UPDATE rcpt SET state = 'pending' WHERE "
	    "state = 'failed' AND mail_id IN (SELECT id FROM mail WHERE "
	    "(?1 IS NULL OR id = ?1) AND (?2 IS NULL OR account = ?2) AND "
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

	sql = xasprintf("%s AND (?1 IS NULL OR id = ?1) AND "
	    "(?2 IS NULL OR account = ?2)", actions[action].sql);
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

int spool_manage(struct spool *sp, enum spool_action action, const char *id,
    const char *account, time_t now, int *count, char **errstr)
{
	int rc;

	*count = 0;
	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK && action == SPOOL_RETRY)
		rc = retry_rcpts(sp, id, account, errstr);
	if (rc == EX_OK)
		rc = apply(sp, action, id, account, now, count, errstr);
	/* A snapshot goes with the last mail that named it. */
	if (rc == EX_OK && action == SPOOL_DELETE && *count > 0)
		rc = spool_exec(sp, "DELETE FROM snapshot WHERE id NOT IN "
		    "(SELECT snapshot FROM mail WHERE snapshot IS NOT NULL)",
		    errstr);
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}

/* The queue as JSON, built by SQLite's JSON functions. */
static const char json_sql[] =
	"SELECT json_group_array(json(m)) FROM (SELECT json_object("
	"'id', id, 'created', created, 'size', size, 'account', account, "
	"'envelope_from', envelope_from, 'message_id', message_id, "
	"'state', state, 'attempts', attempts, 'next_attempt', next_attempt, "
	"'last_attempt', last_attempt, 'last_code', last_code, "
	"'last_enhanced', last_enh, 'last_reply', last_text, "
	"'class', last_class, 'reason', reason, "
	"'possible_duplicate', json(CASE uncertain WHEN 1 THEN 'true' "
	"ELSE 'false' END), "
	"'recipients', (SELECT json_group_array(json_object('address', "
	"address, 'state', state, 'code', last_code, 'enhanced', last_enh, "
	"'reply', last_text)) FROM (SELECT * FROM rcpt WHERE mail_id = "
	"mail.id ORDER BY idx))) AS m FROM mail "
	"WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR account = ?2) "
	"AND (?1 IS NOT NULL OR state <> 'sent') ORDER BY created, id)";

int spool_json(struct spool *sp, const char *id, const char *account,
    char **json, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, json_sql, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, account);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		*json = spool_text(st, 0);
	else
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}
