/*
 * owed - queue the delivery status notifications that failed recipients
 * owe their senders; see owed.h.
 *
 * Each notification is an ordinary queued mail of the same account
 * (same snapshot), with the null envelope sender, so it is delivered,
 * retried and listed like any other, and never bounces itself. It is
 * enqueued in the same transaction that settles the recipients it
 * reports (spool_envelope.bounce_of): a crash leaves either both or
 * neither.
 */
#include "delivery/owed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/account.h"
#include "account/conf.h"
#include "account/snapshot.h"
#include "mail/dsn.h"
#include "util/buf.h"
#include "util/strlist.h"
#include "util/xalloc.h"

struct pass {
	char	 host[256];	/* this machine, for MAILER-DAEMON@ */
	int	 queued;
};

/* remote_host - the server named by the account snapshot. */
static char *remote_host(const struct spool_bounce *b)
{
	struct account *acc = account_new(NULL);
	char *err = NULL, *host;

	if (snapshot_undump(b->settings, acc, &err) != EX_OK || acc->host == NULL)
		host = xstrdup("unknown");
	else
		host = xstrdup(acc->host);
	free(err);
	account_free(acc);
	return host;
}

/* quoted_read - the original's bytes for its quoted headers: those that
 * can be read. A failed mail whose bytes were damaged since still owes
 * its sender the notice (without them), and must not stop every later
 * bounce pass. */
static ssize_t quoted_read(void *body, char *buf, size_t len, char **errstr)
{
	ssize_t n = spool_body_read(body, buf, len, errstr);

	if (n < 0) {
		free(*errstr);
		*errstr = NULL;
		return 0;
	}
	return n;
}

/* compose - the notification for b, into out. */
static int compose(struct spool *sp, const struct spool_bounce *b,
    struct pass *ps, struct buf *out, char **errstr)
{
	struct dsn_rcpt *r = xcalloc(b->nrcpts, sizeof(*r));
	struct spool_body *body;
	struct dsn_info bi;
	char *remote = remote_host(b);
	size_t i;
	int rc, any_expired = 0;

	for (i = 0; i < b->nrcpts; i++) {
		r[i].addr = b->rcpts[i].address;
		r[i].code = b->rcpts[i].failed ? b->rcpts[i].code : 0;
		r[i].enh = b->rcpts[i].failed ? b->rcpts[i].enh : NULL;
		r[i].text = b->rcpts[i].text;
		any_expired |= !b->rcpts[i].failed;
	}
	memset(&bi, 0, sizeof(bi));
	bi.envelope_from = b->envelope_from;
	bi.queue_id = b->id;
	bi.reporting_host = ps->host;
	bi.remote_host = remote;
	bi.arrival = b->created;
	bi.now = time(NULL);
	bi.why = any_expired ? "the message stayed in the queue too long" :
	    NULL;
	bi.rcpts = r;
	bi.nrcpts = b->nrcpts;
	bi.read = quoted_read;
	rc = spool_body_open(sp, b->id, &body, errstr);
	if (rc == EX_OK) {
		bi.read_arg = body;
		rc = dsn_compose(&bi, out, errstr);
		spool_body_close(body);
	}
	free(remote);
	free(r);
	return rc;
}

/* queue_one - a spool_bounce_fn: compose and enqueue, settling b. */
static int queue_one(struct spool *sp, const struct spool_bounce *b,
    void *arg, char **errstr)
{
	struct pass *ps = arg;
	struct spool_envelope env;
	struct spool_writer *w;
	struct strlist to;
	struct buf text;
	char id[SPOOL_ID_LEN + 1];
	int rc;

	buf_init(&text);
	strlist_init(&to);
	memset(&env, 0, sizeof(env));
	env.bounce_of = b->id;
	rc = compose(sp, b, ps, &text, errstr);
	if (rc != EX_OK)
		goto out;
	strlist_add(&to, b->envelope_from);
	env.account = b->account;
	env.conffile = b->conffile;
	env.settings = b->settings;
	env.envelope_from = "";
	env.rcpts = &to;
	env.now = time(NULL);
	rc = spool_enqueue_begin(sp, &env, &w, errstr);
	if (rc == EX_OK)
		rc = spool_enqueue_write(w, text.data, text.len, errstr);
	if (rc == EX_OK)
		rc = spool_enqueue_commit(w, id, errstr);
	if (rc == EX_OK)
		ps->queued++;
out:
	strlist_free(&to);
	buf_free(&text);
	return rc;
}

int owed_bounces_queue(struct spool *sp, int *queued, char **errstr)
{
	struct pass ps;
	int rc;

	memset(&ps, 0, sizeof(ps));
	if (gethostname(ps.host, sizeof(ps.host)) != 0 || ps.host[0] == '\0')
		snprintf(ps.host, sizeof(ps.host), "localhost");
	ps.host[sizeof(ps.host) - 1] = '\0';
	rc = spool_bounce_each(sp, queue_one, &ps, errstr);
	*queued = ps.queued;
	return rc;
}
