/*
 * stmtcache - prepared statements kept for the life of a spool
 * connection; see spool_impl.h.
 *
 * Why: a runner flushing thousands of mails runs the same dozen
 * statements for each (claim, load, record), and preparing them again
 * each time was a third of its CPU. Statements are found by the address
 * of their SQL text, a string literal of the caller's, so a lookup costs
 * a few pointer compares. A statement is reset when it is handed out
 * and when it is released, so none holds a read transaction (a stale
 * snapshot would make the next write fail with SQLITE_BUSY_SNAPSHOT).
 */
#include "queue/spool_impl.h"

#include <stdlib.h>
#include <sysexits.h>

#include "util/xalloc.h"

struct spool_stmt {
	const char		*sql;
	sqlite3_stmt		*st;
	struct spool_stmt	*next;
};

sqlite3_stmt *spool_cached(struct spool *sp, const char *sql, int *rc,
    char **errstr)
{
	struct spool_stmt *c;
	sqlite3_stmt *st = NULL;
	int err;

	for (c = sp->cache; c != NULL; c = c->next)
		if (c->sql == sql) {
			spool_release(c->st);
			return c->st;
		}
	err = sqlite3_prepare_v3(sp->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL);
	if (err != SQLITE_OK) {
		*rc = spool_error(sp, err, "cannot read the spool", errstr);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->sql = sql;
	c->st = st;
	c->next = sp->cache;
	sp->cache = c;
	return st;
}

void spool_warm(struct spool *sp, const char *const *sql, size_t n)
{
	char *errstr = NULL;
	size_t i;
	int rc;

	/* A statement that fails now fails again where it is used, and is
	 * told there. */
	for (i = 0; i < n; i++) {
		(void)spool_cached(sp, sql[i], &rc, &errstr);
		free(errstr);
		errstr = NULL;
	}
}

void spool_release(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int spool_exec_cached(struct spool *sp, const char *sql, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, sql, &rc, errstr);
	if (st == NULL)
		return rc;
	err = sqlite3_step(st);
	spool_release(st);
	if (err != SQLITE_DONE)
		return spool_error(sp, err, "cannot update the spool", errstr);
	return EX_OK;
}

void spool_cache_free(struct spool *sp)
{
	struct spool_stmt *c, *next;

	for (c = sp->cache; c != NULL; c = next) {
		next = c->next;
		sqlite3_finalize(c->st);
		free(c);
	}
	sp->cache = NULL;
}
