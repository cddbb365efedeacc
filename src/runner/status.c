/*
 * status - msmtp-queue --status: the queue in one line, for status bars
 * and scripts; see runner.h.
 *
 * A mail waits when a runner will try it by itself (queued, deferred,
 * uncertain under queue_uncertain resend, or in flight now); it needs
 * the user when held or failed: nothing happens to it until they
 * release, retry or delete it. Sent mails still on record are not
 * counted.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <time.h>

/* add - one spool's counts to the sum of all. */
static void add(struct spool_counts *sum, const struct spool_counts *c)
{
	sum->waiting += c->waiting;
	sum->held += c->held;
	sum->failed += c->failed;
	if (c->next != 0 && (sum->next == 0 || c->next < sum->next))
		sum->next = c->next;
}

/* next_try - " (next try 14:05)", the day too when it is not within a
 * day; " (due now)" when it is due. */
static void next_try(time_t next, time_t now, char *buf, size_t len)
{
	char when[32];
	struct tm tm;

	if (next == 0) {
		buf[0] = '\0';
		return;
	}
	if (next <= now) {
		snprintf(buf, len, " (due now)");
		return;
	}
	localtime_r(&next, &tm);
	strftime(when, sizeof(when), next - now < 86400 ? "%H:%M" :
	    "%Y-%m-%d %H:%M", &tm);
	snprintf(buf, len, " (next try %s)", when);
}

static void print_status(const struct spool_counts *s)
{
	char next[64];

	if (s->waiting == 0 && s->held == 0 && s->failed == 0) {
		printf("empty\n");
		return;
	}
	if (s->waiting > 0) {
		next_try(s->next, time(NULL), next, sizeof(next));
		printf("%lld waiting%s", s->waiting, next);
	} else {
		printf("nothing waiting");
	}
	if (s->held > 0)
		printf(", %lld held", s->held);
	if (s->failed > 0)
		printf(", %lld failed", s->failed);
	putchar('\n');
}

int runner_status(struct spool *const *sps, size_t nsp, const char *account,
    char **errstr)
{
	struct spool_counts s = { 0, 0, 0, 0 }, one;
	size_t i;
	int rc;

	for (i = 0; i < nsp; i++) {
		rc = spool_counts(sps[i], account, &one, errstr);
		if (rc != EX_OK)
			return rc;
		add(&s, &one);
	}
	print_status(&s);
	if (s.held > 0 || s.failed > 0)
		return RUNNER_ATTENTION;
	return s.waiting > 0 ? EX_TEMPFAIL : EX_OK;
}
