/*
 * progress - what the runner says about each attempt; see progress.h.
 */
#include "runner/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery/logline.h"
#include "delivery/notify.h"
#include "runner/runner.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define REDRAW_MS	100

void progress_init(struct progress *p, int verbose)
{
	progress_free(p);
	*p = (struct progress){ 0 };
	p->verbose = verbose;
	p->tty = isatty(STDOUT_FILENO);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* log_fields - the queue's fields after msmtp's in the log line. */
static char *log_fields(const struct attempt_result *res)
{
	char next[32] = "";
	struct tm tm;

	if (res->state == MAIL_DEFERRED) {
		localtime_r(&res->next_attempt, &tm);
		strftime(next, sizeof(next), " next=%Y-%m-%dT%H:%M:%S", &tm);
	}
	return xasprintf("queueid=%s attempt=%d outcome=%s%s%s", res->mail.id,
	    res->attempt, spool_mail_state_name(res->state),
	    res->mail.uncertain ? " duplicate=possible" : "", next);
}

/* notify - the attempt's event, unless this pass raised it already for
 * the account (see progress.h). */
static void notify(struct progress *p, const struct account *acc,
    const struct attempt_result *res)
{
	const char *event = notify_attempt_event(res);
	char *key;
	size_t i;

	if (event == NULL || res->mail.envelope_from == NULL ||
	    res->mail.envelope_from[0] == '\0' || acc->queue_notify == NULL ||
	    acc->queue_notify[0] == '\0')
		return;
	key = xasprintf("%s\n%s\n%s", acc->id ? acc->id : "", event,
	    acc->queue_notify);
	for (i = 0; i < p->notified.n; i++)
		if (strcmp(p->notified.v[i], key) == 0) {
			free(key);
			return;
		}
	strlist_take(&p->notified, key);
	notify_attempt(acc, res);
}

static void count(struct progress *p, enum spool_mail_state state)
{
	p->done++;
	switch (state) {
	case MAIL_SENT:
		p->sent++;
		break;
	case MAIL_FAILED:
		p->failed++;
		break;
	case MAIL_HELD:
		p->held++;
		break;
	default:
		p->deferred++;
		break;
	}
}

static void draw(struct progress *p)
{
	printf("\r%zu of %zu, %zu sent, %zu deferred, %zu failed", p->done,
	    p->total, p->sent, p->deferred, p->failed);
	if (p->held)
		printf(", %zu held", p->held);
	fflush(stdout);
	p->drawn = 1;
	p->shown_ms = now_ms();
}

/* print_hint - under a held or failed mail's line, what to do about it,
 * as --list shows it (runner_put_hint()). */
static void print_hint(const char *hint)
{
	struct buf b;

	buf_init(&b);
	runner_put_hint(&b, hint);
	if (b.len > 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

void progress_attempt(struct progress *p, const struct account *acc,
    const struct attempt_result *res)
{
	char *fields = logline_with_hint(log_fields(res), res->hint);
	struct account sender = *acc;

	/* from= is the sender the mail went with: a bounce's is the null
	 * sender (logged "from=", as msmtp logs -f ''), not the account's
	 * address. The copy only borrows acc's strings. */
	sender.from = res->mail.envelope_from;
	logline_delivery(&sender, &res->mail.rcpts, &res->rep, fields);
	free(fields);
	notify(p, acc, res);
	count(p, res->state);
	if (!p->verbose)
		return;
	if (!p->tty) {
		printf("%s %s%s%s%s%s\n", res->mail.id,
		    spool_mail_state_name(res->state),
		    res->rep.errmsg ? ": " : "",
		    res->rep.errmsg ? res->rep.errmsg : "",
		    res->state == MAIL_UNCERTAIN ? "; " : "",
		    res->state == MAIL_UNCERTAIN ? UNCERTAIN_NOTE : "");
		print_hint(res->hint);
		return;		/* out with its batch: progress_flush() */
	}
	if (p->done == p->total || now_ms() - p->shown_ms >= REDRAW_MS)
		draw(p);
}

void progress_flush(struct progress *p)
{
	(void)p;
	fflush(stdout);
}

void progress_free(struct progress *p)
{
	strlist_free(&p->notified);
}

void progress_end(struct progress *p)
{
	if (p->tty && p->drawn) {
		draw(p);
		putchar('\n');
		p->drawn = 0;
	}
	fflush(stdout);
}

void progress_untried(struct progress *p, const char *account,
    const struct strlist *ids)
{
	size_t i;

	if (!p->verbose || ids->n == 0)
		return;
	progress_end(p);
	printf("account %s: the server could not be reached; %zu other "
	    "mail%s not tried:", account[0] ? account : "(command line)",
	    ids->n, ids->n == 1 ? "" : "s");
	for (i = 0; i < ids->n; i++)
		printf(" %s", ids->v[i]);
	putchar('\n');
	fflush(stdout);
}
