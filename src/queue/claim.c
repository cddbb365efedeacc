/*
 * claim - lease mails to one deliverer at a time; see spool.h.
 *
 * A claim is one IMMEDIATE transaction that picks a mail and marks it
 * in flight under our owner name, so two runners never take the same
 * mail. A mail left in flight by a process that is gone (crashed,
 * killed, or from before a reboot) is taken back at once: its owner name
 * holds the boot id, pid and process start time, which a living owner
 * still matches. Such a mail may have reached the server before its
 * owner died, so it becomes "uncertain", never silently "queued".
 */
#include "queue/spool_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

#define WAITING "state IN ('queued', 'deferred', 'uncertain')"

/* The statements of the listing of waiting mails (spool_waiting_each()),
 * named once for spool_warm_listing(). */
static const char sql_dead_select[] = "SELECT id, lease_owner FROM mail "
    "WHERE state = 'inflight' AND lease_owner IS NOT ?";
static const char sql_dead_update[] = "UPDATE mail SET state = "
    "'uncertain', uncertain = 1, lease_owner = NULL, lease_from = NULL, "
    "reason = 'the process delivering it stopped; it may have reached the "
    "server' WHERE id = ?";
static const char sql_each_waiting[] = "SELECT id, account, conffile, "
    "coalesce(snapshot, 0), next_attempt, state = 'uncertain' FROM mail "
    "WHERE " WAITING " AND account_is(account, ?1) ORDER BY created, id";
static const char sql_snapshot_text[] =
    "SELECT settings FROM snapshot WHERE id = ?";

static const char *const listing_sql[] = {
	sql_dead_select, sql_dead_update, sql_each_waiting, sql_snapshot_text
};

void spool_warm_listing(struct spool *sp)
{
	spool_warm(sp, listing_sql, sizeof(listing_sql) /
	    sizeof(listing_sql[0]));
}

/* owner_alive - whether the process named by a lease still runs. */
static int owner_alive(struct spool *sp, const char *owner)
{
	const char *mine = spool_my_owner(sp), *colon = strchr(owner, ':');
	unsigned long long want;
	long pid;

	if (colon == NULL || strncmp(owner, mine, (size_t)(colon - owner)) != 0)
		return 0;	/* another boot */
	if (sscanf(colon + 1, "%ld:%llu", &pid, &want) != 2)
		return 0;
	return spool_start_time(pid) == want;
}

/* release_dead - turn mails in flight under dead owners uncertain. */
static int release_dead(struct spool *sp, char **errstr)
{
	sqlite3_stmt *sel, *upd;
	int rc = EX_OK, err;
	char *owner;

	/* Our own leases are skipped in SQL: a runner holds many. */
	sel = spool_cached(sp, sql_dead_select, &rc, errstr);
	if (sel == NULL)
		return rc;
	sqlite3_bind_text(sel, 1, spool_my_owner(sp), -1, SQLITE_TRANSIENT);
	upd = spool_cached(sp, sql_dead_update, &rc, errstr);
	while (upd != NULL && (err = sqlite3_step(sel)) == SQLITE_ROW) {
		owner = spool_text(sel, 1);
		if (owner == NULL || !owner_alive(sp, owner)) {
			sqlite3_reset(upd);
			sqlite3_bind_text(upd, 1, (const char *)
			    sqlite3_column_text(sel, 0), -1, SQLITE_TRANSIENT);
			if ((err = sqlite3_step(upd)) != SQLITE_DONE)
				rc = spool_error(sp, err, "cannot take back a "
				    "mail", errstr);
		}
		free(owner);
		if (rc != EX_OK)
			break;
	}
	spool_release(upd);
	spool_release(sel);
	return rc;
}

/* The same test of a row found by its id. SQLite makes a list of more
 * than two constants a temporary b-tree, built at each run of the
 * statement (see sql/0009_check_lists.sql): worth it to search an
 * index, not to test one row. */
#define WAITING_ROW "(state = 'queued' OR state = 'deferred' OR " \
	"state = 'uncertain')"

/* pick_oldest - the id of the oldest due mail (of account, unless
 * NULL). */
static int pick_oldest(struct spool *sp, time_t now, const char *account,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "SELECT id FROM mail WHERE " WAITING " AND "
	    "next_attempt <= ?1 AND account_is(account, ?2) "
	    "ORDER BY created, id LIMIT 1", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (account != NULL)
		sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		snprintf(id, SPOOL_ID_LEN + 1, "%s", sqlite3_column_text(st, 0));
	else if (err == SQLITE_DONE)
		rc = EX_NOINPUT;
	else
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	spool_release(st);
	return rc;
}

/*
 * lease - mark the mail id in flight under our name if it waits (and,
 * with due, is due at now; with account, is of that account). The
 * UPDATE checks all that itself, with no SELECT before it. (RETURNING
 * the columns spool_load() reads saves nothing: SQLite fills a temporary
 * table for it, which costs what the second lookup would.)
 */
static int lease(struct spool *sp, const char *id, time_t now,
    const char *account, int due, const char *owner, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "UPDATE mail SET state = 'inflight', "
	    "lease_from = state, lease_owner = ?5, reason = CASE WHEN "
	    "state = 'uncertain' THEN reason END WHERE id = ?1 AND "
	    WAITING_ROW " AND (NOT ?4 OR next_attempt <= ?2) AND "
	    "account_is(account, ?3)", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (account != NULL)
		sqlite3_bind_text(st, 3, account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, due);
	sqlite3_bind_text(st, 5, owner, -1, SQLITE_STATIC);
	err = sqlite3_step(st);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot claim the mail", errstr);
	else if (sqlite3_changes(sp->db) == 0)
		rc = EX_NOINPUT;
	spool_release(st);
	return rc;
}

/* claim_in - the claim, inside the caller's transaction, which has taken
 * back the mails of dead owners (release_dead) first: the named mail if
 * id is not "", else the oldest due; loaded into m unless m is NULL.
 * owner is spool_my_owner(), which the caller asks once per transaction
 * (it costs a getpid()), and outlives it. */
static int claim_in(struct spool *sp, time_t now, const char *account,
    int due, const char *owner, char id[SPOOL_ID_LEN + 1],
    struct spool_mail *m, char **errstr)
{
	int rc = EX_OK;

	if (id[0] == '\0') {
		rc = pick_oldest(sp, now, account, id, errstr);
		due = 1;
	}
	if (rc == EX_OK)
		rc = lease(sp, id, now, account, due, owner, errstr);
	if (rc == EX_OK && m != NULL)
		rc = spool_load(sp, id, m, errstr);
	return rc;
}

/* claim - spool_claim(), or with due spool_claim_due(). */
static int claim(struct spool *sp, time_t now, const char *account, int due,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	int rc;

	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = release_dead(sp, errstr);
	if (rc == EX_OK)
		rc = claim_in(sp, now, account, due, spool_my_owner(sp), id,
		    NULL, errstr);
	if (rc == EX_OK)
		return spool_exec_cached(sp, "COMMIT", errstr);
	if (rc == EX_NOINPUT)
		rc = spool_exec_cached(sp, "COMMIT", errstr) == EX_OK ? EX_NOINPUT :
		    EX_TEMPFAIL;
	spool_rollback(sp);
	return rc;
}

int spool_claim(struct spool *sp, time_t now, const char *account,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	return claim(sp, now, account, 0, id, errstr);
}

int spool_claim_due(struct spool *sp, time_t now, const char *id,
    char **errstr)
{
	char buf[SPOOL_ID_LEN + 1];

	snprintf(buf, sizeof(buf), "%s", id);
	return claim(sp, now, NULL, 1, buf, errstr);
}

int spool_unclaim(struct spool *sp, const char *id, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "UPDATE mail SET state = coalesce(lease_from, "
	    "'queued'), lease_from = NULL, lease_owner = NULL WHERE id = ?1 "
	    "AND state = 'inflight' AND lease_owner = ?2", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, spool_my_owner(sp), -1, SQLITE_TRANSIENT);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot give back a mail", errstr);
	spool_release(st);
	return rc;
}

/* claim_next - a step's next mail, claimed and loaded; next becomes ""
 * when it cannot be had. */
static int claim_next(struct spool *sp, struct spool_step *st, time_t now,
    const char *owner, char **errstr)
{
	int rc;

	if (st->next[0] == '\0')
		return EX_OK;
	rc = claim_in(sp, now, NULL, st->due, owner, st->next, &st->mail,
	    errstr);
	if (rc == EX_OK)
		rc = spool_body_prefetch(sp, st->reader, st->next,
		    st->mail.size, &st->body, errstr);
	if (rc == EX_DATAERR) {		/* held in this transaction */
		spool_mail_free(&st->mail);
		st->damaged = *errstr;
		*errstr = NULL;
	}
	if (rc == EX_NOINPUT || rc == EX_DATAERR) {
		st->next[0] = '\0';
		return EX_OK;
	}
	return rc;
}

/* step_unload - what claim_next() loaded, after a failed commit. */
static void step_unload(struct spool_step *st)
{
	spool_mail_free(&st->mail);
	spool_body_close(st->body);
	st->body = NULL;
	st->next[0] = '\0';
	free(st->damaged);	/* its hold is rolled back too */
	st->damaged = NULL;
}

static int claims_any(const struct spool_step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (steps[i].next[0] != '\0')
			return 1;
	return 0;
}

int spool_record_claim(struct spool *sp, struct spool_step *steps,
    size_t n, time_t now, char **errstr)
{
	const char *owner = spool_my_owner(sp);
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		memset(&steps[i].mail, 0, sizeof(steps[i].mail));
		steps[i].body = NULL;
		steps[i].damaged = NULL;
	}
	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	/* Every record first: each is the outcome of a finished attempt. */
	for (i = 0; rc == EX_OK && i < n; i++)
		if (steps[i].id != NULL)
			rc = spool_record_in(sp, steps[i].id, steps[i].a, 0,
			    errstr);
	for (i = 0; rc == EX_OK && i < n; i++)
		if (steps[i].unclaim != NULL)
			rc = spool_unclaim(sp, steps[i].unclaim, errstr);
	/* Once per batch, not per claim: the scan reads every mail in
	 * flight, and the sessions keep many claimed ahead. */
	if (rc == EX_OK && claims_any(steps, n))
		rc = release_dead(sp, errstr);
	for (i = 0; rc == EX_OK && i < n; i++)
		rc = claim_next(sp, &steps[i], now, owner, errstr);
	if (rc == EX_OK)
		rc = spool_exec_cached(sp, "COMMIT", errstr);
	if (rc == EX_OK)
		return EX_OK;
	spool_rollback(sp);
	for (i = 0; i < n; i++)
		step_unload(&steps[i]);
	return rc;
}

/* select_waiting - the ids of every waiting mail, oldest first. */
static int select_waiting(struct spool *sp, const char *account,
    struct strlist *ids, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT id FROM mail WHERE " WAITING " AND "
	    "account_is(account, ?1) ORDER BY created, id", &rc, errstr);
	if (st == NULL)
		return rc;
	if (account != NULL)
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	while ((err = sqlite3_step(st)) == SQLITE_ROW)
		strlist_take(ids, spool_text(st, 0));
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_waiting(struct spool *sp, const char *account, struct strlist *ids,
    char **errstr)
{
	int rc;

	/* A mail whose deliverer died waits too (as uncertain): a flush
	 * must not leave it in flight for good. */
	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = release_dead(sp, errstr);
	if (rc == EX_OK)
		rc = select_waiting(sp, account, ids, errstr);
	if (rc == EX_OK)
		return spool_exec(sp, "COMMIT", errstr);
	spool_rollback(sp);
	return rc;
}

/* snapshot_text - the settings of snapshot id, "" if it has none. The
 * mails of an account come one after another with the same snapshot,
 * so the caller asks only when the id changes. */
static int snapshot_text(struct spool *sp, sqlite3_int64 id, char **text,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	free(*text);
	*text = NULL;
	st = spool_cached(sp, sql_snapshot_text, &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		*text = spool_text(st, 0);
	else if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	if (*text == NULL)
		*text = xstrdup("");
	spool_release(st);
	return rc;
}

/* each_waiting - every waiting mail with its snapshot, oldest first.
 * The texts are not sorted along (a flush of 10,000 mails would sort
 * 8 MB through a temporary file), only read as they change. */
static int each_waiting(struct spool *sp, const char *account,
    spool_waiting_fn fn, void *arg, char **errstr)
{
	struct spool_waiting_mail w;
	sqlite3_int64 held = -1;
	char *settings = NULL;
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, sql_each_waiting, &rc, errstr);
	if (st == NULL)
		return rc;
	if (account != NULL)
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	while ((err = sqlite3_step(st)) == SQLITE_ROW) {
		w.snapshot = sqlite3_column_int64(st, 3);
		if (w.snapshot != held &&
		    (rc = snapshot_text(sp, w.snapshot, &settings, errstr)) !=
		    EX_OK)
			break;
		held = w.snapshot;
		w.id = (const char *)sqlite3_column_text(st, 0);
		w.account = (const char *)sqlite3_column_text(st, 1);
		w.conffile = (const char *)sqlite3_column_text(st, 2);
		w.settings = settings;
		w.next_attempt = (time_t)sqlite3_column_int64(st, 4);
		w.uncertain = sqlite3_column_int(st, 5);
		if (w.account == NULL)
			w.account = "";
		fn(&w, arg);
	}
	if (rc == EX_OK && err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	spool_release(st);
	free(settings);
	return rc;
}

int spool_hold_uncertain(struct spool *sp, const char *id, const char *why,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "UPDATE mail SET state = 'held', reason = ?2 "
	    "WHERE id = ?1 AND state = 'uncertain'", &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, why);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot hold an uncertain mail",
		    errstr);
	else if (sqlite3_changes(sp->db) == 0)
		rc = EX_NOINPUT;
	spool_release(st);
	return rc;
}

int spool_waiting_each(struct spool *sp, const char *account,
    spool_waiting_fn fn, void *arg, char **errstr)
{
	int rc;

	/* As spool_waiting(): mails of dead deliverers wait again. */
	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = release_dead(sp, errstr);
	if (rc == EX_OK)
		rc = each_waiting(sp, account, fn, arg, errstr);
	if (rc == EX_OK)
		return spool_exec_cached(sp, "COMMIT", errstr);
	spool_rollback(sp);
	return rc;
}
