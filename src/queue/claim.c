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

/* owner_alive - whether the process named by a lease still runs. */
static int owner_alive(const char *owner)
{
	char mine[SPOOL_OWNER_LEN];
	const char *colon = strchr(owner, ':');
	unsigned long long want;
	long pid;

	spool_owner(mine);
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

	sel = spool_prepare(sp, "SELECT id, lease_owner FROM mail WHERE "
	    "state = 'inflight'", &rc, errstr);
	if (sel == NULL)
		return rc;
	upd = spool_prepare(sp, "UPDATE mail SET state = 'uncertain', "
	    "uncertain = 1, lease_owner = NULL, reason = 'the process delivering it "
	    "stopped; it may have reached the server' WHERE id = ?", &rc,
	    errstr);
	while (upd != NULL && (err = sqlite3_step(sel)) == SQLITE_ROW) {
		owner = spool_text(sel, 1);
		if (owner == NULL || !owner_alive(owner)) {
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
	sqlite3_finalize(upd);
	sqlite3_finalize(sel);
	return rc;
}

#define WAITING "state IN ('queued', 'deferred', 'uncertain')"

/* pick - the oldest due mail, or the named one if it waits. */
static int pick(struct spool *sp, time_t now, const char *account,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT id FROM mail WHERE " WAITING " AND "
	    "(CASE WHEN ?1 IS NULL THEN next_attempt <= ?2 ELSE id = ?1 END) "
	    "AND (?3 IS NULL OR account = ?3) ORDER BY created, id LIMIT 1",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	if (id[0] != '\0')
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (account != NULL)
		sqlite3_bind_text(st, 3, account, -1, SQLITE_STATIC);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		snprintf(id, SPOOL_ID_LEN + 1, "%s", sqlite3_column_text(st, 0));
	else if (err == SQLITE_DONE)
		rc = EX_NOINPUT;
	else
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* lease - mark the mail in flight under our name. */
static int lease(struct spool *sp, const char *id, char **errstr)
{
	char owner[SPOOL_OWNER_LEN];
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	spool_owner(owner);
	st = spool_prepare(sp, "UPDATE mail SET state = 'inflight', "
	    "lease_owner = ?, reason = CASE WHEN state = 'uncertain' THEN "
	    "reason END WHERE id = ?", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot claim the mail", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_claim(struct spool *sp, time_t now, const char *account,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	int rc;

	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = release_dead(sp, errstr);
	if (rc == EX_OK)
		rc = pick(sp, now, account, id, errstr);
	if (rc == EX_OK)
		rc = lease(sp, id, errstr);
	if (rc == EX_OK)
		return spool_exec(sp, "COMMIT", errstr);
	if (rc == EX_NOINPUT)
		rc = spool_exec(sp, "COMMIT", errstr) == EX_OK ? EX_NOINPUT :
		    EX_TEMPFAIL;
	spool_rollback(sp);
	return rc;
}

/* select_waiting - the ids of every waiting mail, oldest first. */
static int select_waiting(struct spool *sp, const char *account,
    struct strlist *ids, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT id FROM mail WHERE " WAITING " AND "
	    "(?1 IS NULL OR account = ?1) ORDER BY created, id", &rc, errstr);
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
