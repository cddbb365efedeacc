/*
 * tlssession - TLS sessions kept in the spool; see tlssession.h.
 */
#include "queue/tlssession.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "queue/spool_impl.h"
#include "util/xalloc.h"

int spool_tls_load(struct spool *sp, const char *key, time_t now,
    unsigned char **data, size_t *len, char **errstr)
{
	sqlite3_stmt *st;
	const void *blob;
	int rc = EX_OK, err, n;

	*data = NULL;
	*len = 0;
	st = spool_cached(sp, "SELECT data FROM tls_session WHERE key = ? "
	    "AND expires > ? AND data IS NOT NULL", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW) {
		blob = sqlite3_column_blob(st, 0);
		n = sqlite3_column_bytes(st, 0);
		if (blob != NULL && n > 0) {
			*data = xmalloc((size_t)n);
			memcpy(*data, blob, (size_t)n);
			*len = (size_t)n;
		} else
			rc = EX_NOINPUT;
	} else if (err == SQLITE_DONE)
		rc = EX_NOINPUT;
	else
		rc = spool_error(sp, err, "cannot read a TLS session", errstr);
	spool_release(st);
	return rc;
}

/* drop_expired - no session data is kept past its time. */
static int drop_expired(struct spool *sp, time_t now, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "UPDATE tls_session SET data = NULL "
	    "WHERE data IS NOT NULL AND expires <= ?", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot drop TLS sessions", errstr);
	spool_release(st);
	return rc;
}

/* keep - the row for key: new data (or none: the old stays), and the
 * handshake counted. */
static int keep(struct spool *sp, const char *key, const unsigned char *data,
    size_t len, time_t expires, int full, int resumed, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	/* No new data keeps the old (a resumed TLS 1.2 session gives the
	 * same; a server may give no new ticket). */
	st = spool_cached(sp, "INSERT INTO tls_session (key, data, expires, "
	    "full, resumed) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (key) DO UPDATE SET "
	    "data = coalesce(excluded.data, data), "
	    "expires = CASE WHEN excluded.data IS NULL THEN expires "
	    "ELSE excluded.expires END, "
	    "full = full + excluded.full, resumed = resumed + excluded.resumed",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (data != NULL && len > 0)
		sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)expires);
	sqlite3_bind_int(st, 4, full);
	sqlite3_bind_int(st, 5, resumed);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot keep a TLS session", errstr);
	spool_release(st);
	return rc;
}

/* sync_level - the connection's PRAGMA synchronous (2: FULL). */
static int sync_level(struct spool *sp)
{
	sqlite3_stmt *st;
	int rc = EX_OK, level = 2;
	char *err = NULL;

	st = spool_cached(sp, "PRAGMA synchronous", &rc, &err);
	free(err);
	if (st == NULL)
		return level;
	if (sqlite3_step(st) == SQLITE_ROW)
		level = sqlite3_column_int(st, 0);
	spool_release(st);
	return level;
}

/*
 * The session is kept without an fsync of its own: losing it to a power
 * cut costs one full handshake, and a front end's next durable commit
 * (its delivery record) makes it durable anyway. So the commit runs
 * with synchronous NORMAL (no fsync in WAL mode), then the connection's
 * own level is back.
 */
int spool_tls_store(struct spool *sp, const char *key,
    const unsigned char *data, size_t len, time_t expires, int full,
    int resumed, time_t now, char **errstr)
{
	int level, rc;

	if (!sqlite3_get_autocommit(sp->db))	/* never inside another's */
		return EX_TEMPFAIL;
	level = sync_level(sp);
	if (level > 1)
		spool_set_durable(sp, 0);
	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = drop_expired(sp, now, errstr);
	if (rc == EX_OK)
		rc = keep(sp, key, data, len, expires, full, resumed,
		    errstr);
	if (rc == EX_OK)
		rc = spool_exec_cached(sp, "COMMIT", errstr);
	else
		spool_rollback(sp);
	if (level > 1)
		spool_set_durable(sp, 1);
	return rc;
}

int spool_tls_counts(struct spool *sp, long long *full, long long *resumed,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	*full = *resumed = 0;
	st = spool_cached(sp, "SELECT total(full), total(resumed) "
	    "FROM tls_session", &rc, errstr);
	if (st == NULL)
		return rc;
	if ((err = sqlite3_step(st)) == SQLITE_ROW) {
		*full = sqlite3_column_int64(st, 0);
		*resumed = sqlite3_column_int64(st, 1);
	} else
		rc = spool_error(sp, err, "cannot read TLS sessions", errstr);
	spool_release(st);
	return rc;
}
