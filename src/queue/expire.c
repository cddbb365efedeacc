/*
 * expire - held mails whose time is over; see spool_held_each() and
 * spool_expire_held() in spool.h.
 *
 * A held mail waits for its user, and may wait for one who never comes
 * (a password changed on a machine nobody logs into). Its lifetime is
 * its account's queue_lifetime, counted from when it was last tried
 * (when it was held) or else queued: never from its first attempt, as
 * for a deferred mail, since a mail held at its first attempt has no
 * attempt that reached the server to count from.
 */
#include "queue/spool_impl.h"

#include <stdlib.h>
#include <sysexits.h>

#include "util/xalloc.h"

struct held {
	char		*id;
	char		*settings;
	time_t		 since;
	struct held	*next;
};

static void held_free(struct held *h)
{
	struct held *next;

	for (; h != NULL; h = next) {
		next = h->next;
		free(h->id);
		free(h->settings);
		free(h);
	}
}

/* collect - every held mail, read whole before any callback writes. */
static int collect(struct spool *sp, const char *account, struct held **head,
    char **errstr)
{
	struct held **tail = head, *h;
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT m.id, coalesce(s.settings, ''), "
	    "max(m.created, coalesce(m.last_attempt, 0)) FROM mail m "
	    "LEFT JOIN snapshot s ON s.id = m.snapshot WHERE m.state = 'held' "
	    "AND account_is(m.account, ?1) ORDER BY m.created, m.id",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, account);
	while ((err = sqlite3_step(st)) == SQLITE_ROW) {
		h = xcalloc(1, sizeof(*h));
		h->id = spool_text(st, 0);
		h->settings = spool_text(st, 1);
		h->since = (time_t)sqlite3_column_int64(st, 2);
		*tail = h;
		tail = &h->next;
	}
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_held_each(struct spool *sp, const char *account,
    spool_held_fn fn, void *arg, char **errstr)
{
	struct held *head = NULL, *h;
	int rc;

	rc = collect(sp, account, &head, errstr);
	for (h = head; rc == EX_OK && h != NULL; h = h->next)
		rc = fn(sp, h->id, h->settings, h->since, arg, errstr);
	held_free(head);
	return rc;
}

/* step - one statement on id (?1), with now and bounce bound as ?2
 * and ?3 where it names them; EX_NOINPUT when it changed no row. */
static int step(struct spool *sp, const char *sql, const char *id,
    time_t now, int bounce, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, sql, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int(st, 3, bounce);
	err = sqlite3_step(st);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot expire the mail", errstr);
	else if (sqlite3_changes(sp->db) == 0)
		rc = EX_NOINPUT;
	sqlite3_finalize(st);
	return rc;
}

int spool_expire_held(struct spool *sp, const char *id, time_t now,
    int bounce, char **errstr)
{
	int rc;

	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	if (rc != EX_OK)
		return rc;
	/* Still held: a --release since the walk wins. */
	rc = step(sp, "UPDATE mail SET state = 'failed', next_attempt = ?2, "
	    "reason = 'held for longer than queue_lifetime' || "
	    "coalesce(' (' || reason || ')', '') WHERE id = ?1 AND "
	    "state = 'held'", id, now, bounce, errstr);
	/* Those not sent owe their sender a bounce, as the recipients of a
	 * deferred mail whose lifetime is over do (spool_record()); a mail
	 * with none left to tell changes no row there. */
	if (rc == EX_OK) {
		rc = step(sp, "UPDATE rcpt SET bounce = CASE WHEN ?3 AND "
		    "bounce = 0 THEN 1 ELSE bounce END WHERE mail_id = ?1 AND "
		    "state != 'sent'", id, now, bounce, errstr);
		if (rc == EX_NOINPUT)
			rc = EX_OK;
	}
	if (rc == EX_NOINPUT) {
		spool_rollback(sp);
		return EX_OK;
	}
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}
