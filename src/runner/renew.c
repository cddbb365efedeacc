/*
 * renew - --release and --retry: each mail's account is read again from
 * its own configuration file, as it is now, and becomes the settings
 * the mail is sent with (account/reread.h), so that fixing the account
 * un-sticks its held mail. A mail whose file or account cannot be read
 * is not released (nor retried) and keeps the reason why; one whose
 * account came from msmtp's command line keeps its settings.
 *
 * What it did is said once per account and file on stdout ("account x
 * from FILE: settings re-read for N mails") and once per mail that was
 * left alone on stderr, before runner_manage()'s count.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "account/reread.h"
#include "util/xalloc.h"

/* One account of one file, read once for all its mails of one old
 * snapshot (which holds the mails' envelope-from, kept). */
struct source {
	char		*account;
	char		*conffile;	/* NULL: the command line */
	char		*old;		/* the snapshot it replaces */
	char		*settings;	/* the new snapshot, or NULL */
	char		*error;		/* why it cannot be read, or NULL */
	int		 mails;
	struct source	*next;
};

struct renew {
	enum spool_action action;
	struct source	*sources;	/* in order of first use */
	struct spool_renewal *v;
	size_t		 n, cap;
	char		**ids;		/* v[i].id's storage */
	char		**why;		/* v[i].refused's */
};

static int same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* source_of - the account of t, read on first use. */
static struct source *source_of(struct renew *r, const struct spool_target *t)
{
	struct source **sp, *s;
	char *err = NULL;

	for (sp = &r->sources; *sp != NULL; sp = &(*sp)->next)
		if (strcmp((*sp)->account, t->account) == 0 &&
		    same((*sp)->conffile, t->conffile) &&
		    strcmp((*sp)->old, t->settings) == 0)
			return *sp;
	s = xcalloc(1, sizeof(*s));
	s->account = xstrdup(t->account);
	s->conffile = t->conffile ? xstrdup(t->conffile) : NULL;
	s->old = xstrdup(t->settings);
	if (account_reread(t->conffile, t->account, t->settings, &s->settings,
	    &err) != EX_OK)
		s->error = err;
	*sp = s;
	return s;
}

/* add_target - a spool_target_fn: t's renewal. */
static void add_target(const struct spool_target *t, void *arg)
{
	struct renew *r = arg;
	struct source *s = source_of(r, t);
	struct spool_renewal *v;
	size_t i;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
		r->ids = xreallocarray(r->ids, r->cap, sizeof(*r->ids));
		r->why = xreallocarray(r->why, r->cap, sizeof(*r->why));
	}
	i = r->n++;
	r->ids[i] = xstrdup(t->id);
	r->why[i] = s->error == NULL ? NULL : xasprintf("%s; fix it, then "
	    "run 'msmtp-queue %s %s'", s->error, r->action == SPOOL_RETRY ?
	    "--retry" : "--release", t->id);
	v = &r->v[i];
	v->id = r->ids[i];
	v->settings = s->settings;
	v->refused = r->why[i];
	if (s->error != NULL)
		fprintf(stderr, "msmtp-queue: %s: left alone: %s\n", t->id,
		    r->why[i]);
	else
		s->mails++;
}

/* same_account - whether two sources read the same account. */
static int same_account(const struct source *a, const struct source *b)
{
	return strcmp(a->account, b->account) == 0 &&
	    same(a->conffile, b->conffile);
}

/* tell - a line per account read (its sources' mails summed). */
static void tell(const struct renew *r)
{
	const struct source *s, *t;
	int mails;

	for (s = r->sources; s != NULL; s = s->next) {
		for (t = r->sources; t != s && !same_account(t, s);
		    t = t->next)
			continue;
		if (t != s || s->error != NULL)
			continue;	/* said with the first */
		for (mails = 0; t != NULL; t = t->next)
			mails += same_account(t, s) ? t->mails : 0;
		if (mails == 0)
			continue;
		if (s->conffile == NULL || s->account[0] == '\0')
			printf("%d mail%s kept the settings given on the "
			    "command line\n", mails, mails == 1 ? "" : "s");
		else
			printf("account %s from %s: settings re-read for %d "
			    "mail%s\n", s->account, s->conffile, mails,
			    mails == 1 ? "" : "s");
	}
}

static void renew_free(struct renew *r)
{
	struct source *s, *next;
	size_t i;

	for (s = r->sources; s != NULL; s = next) {
		next = s->next;
		free(s->account);
		free(s->conffile);
		free(s->old);
		free(s->settings);
		free(s->error);
		free(s);
	}
	for (i = 0; i < r->n; i++) {
		free(r->ids[i]);
		free(r->why[i]);
	}
	free(r->ids);
	free(r->why);
	free(r->v);
}

int runner_renew(struct spool *sp, enum spool_action action, const char *id,
    const char *account, int *found, int *count, char **errstr)
{
	struct renew r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.action = action;
	*count = 0;
	rc = spool_targets(sp, action, id, account, add_target, &r, errstr);
	*found = (int)r.n;
	if (rc == EX_OK && r.n > 0) {
		rc = spool_manage_renewed(sp, action, r.v, r.n, time(NULL),
		    count, errstr);
		if (rc == EX_OK)
			tell(&r);
	}
	renew_free(&r);
	return rc;
}
