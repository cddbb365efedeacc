/*
 * bounces - the mails whose recipients owe their sender a bounce; see
 * spool_bounce_each() in spool.h.
 *
 * The walk reads every such mail first and calls back afterwards: the
 * callback enqueues, which writes, and SQLite must not be writing under
 * a statement still being stepped.
 */
#include "queue/spool_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

struct pending {
	struct spool_bounce		 b;
	struct spool_bounce_rcpt	*rcpts;
	size_t				 n;
	struct pending			*next;
};

static void pending_free(struct pending *p)
{
	struct pending *next;
	size_t i;

	for (; p != NULL; p = next) {
		next = p->next;
		free((char *)p->b.id);
		free((char *)p->b.account);
		free((char *)p->b.conffile);
		free((char *)p->b.settings);
		free((char *)p->b.envelope_from);
		for (i = 0; i < p->n; i++) {
			free((char *)p->rcpts[i].address);
			free((char *)p->rcpts[i].enh);
			free((char *)p->rcpts[i].text);
		}
		free(p->rcpts);
		free(p);
	}
}

/* add_rcpt - one row of the walk into its mail's entry. */
static struct pending *add_rcpt(struct pending *last, sqlite3_stmt *st,
    struct pending **head)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	struct spool_bounce_rcpt *r;
	struct pending *p = last;

	if (p == NULL || strcmp(p->b.id, id) != 0) {
		p = xcalloc(1, sizeof(*p));
		p->b.id = xstrdup(id);
		p->b.account = spool_text(st, 1);
		p->b.conffile = spool_text(st, 2);
		p->b.settings = spool_text(st, 3);
		p->b.envelope_from = spool_text(st, 4);
		p->b.created = (time_t)sqlite3_column_int64(st, 5);
		if (last != NULL)
			last->next = p;
		else
			*head = p;
	}
	p->rcpts = xreallocarray(p->rcpts, p->n + 1, sizeof(*p->rcpts));
	r = &p->rcpts[p->n++];
	r->address = spool_text(st, 6);
	r->failed = strcmp((const char *)sqlite3_column_text(st, 7),
	    "failed") == 0;
	r->code = sqlite3_column_int(st, 8);
	r->enh = spool_text(st, 9);
	r->text = spool_text(st, 10);
	return p;
}

/* collect - every mail that owes a bounce, with its recipients. */
static int collect(struct spool *sp, struct pending **head, char **errstr)
{
	struct pending *last = NULL;
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT m.id, m.account, m.conffile, "
	    "coalesce(s.settings, ''), m.envelope_from, m.created, "
	    "r.address, r.state, r.last_code, r.last_enh, r.last_text "
	    "FROM rcpt r JOIN mail m ON m.id = r.mail_id LEFT JOIN snapshot "
	    "s ON s.id = m.snapshot WHERE r.bounce = 1 ORDER BY m.created, "
	    "m.id, r.idx", &rc, errstr);
	if (st == NULL)
		return rc;
	while ((err = sqlite3_step(st)) == SQLITE_ROW)
		last = add_rcpt(last, st, head);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_bounce_each(struct spool *sp, spool_bounce_fn fn, void *arg,
    char **errstr)
{
	struct pending *head = NULL, *p;
	int rc;

	/* Nobody to tell for a null sender (a bounce itself): settled. */
	rc = spool_exec(sp, "UPDATE rcpt SET bounce = 2 WHERE bounce = 1 AND "
	    "mail_id IN (SELECT id FROM mail WHERE envelope_from = '')",
	    errstr);
	if (rc == EX_OK)
		rc = collect(sp, &head, errstr);
	for (p = head; rc == EX_OK && p != NULL; p = p->next) {
		p->b.rcpts = p->rcpts;
		p->b.nrcpts = p->n;
		rc = fn(sp, &p->b, arg, errstr);
	}
	pending_free(head);
	return rc;
}
