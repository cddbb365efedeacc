/*
 * listing - msmtp-queue --list: the queue at a glance, like mailq.
 *
 * Addresses and server replies came from outside: they are printed with
 * their control characters escaped (util/escape.h), so that a reply
 * holding ESC or CR cannot drive the terminal or fake a line.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "util/buf.h"
#include "util/escape.h"

struct totals {
	int		 mails;
	long long	 bytes;
	const char	*spool;		/* the one being listed */
};

/* age - "3m", "2h", "4d": how long ago t was. */
static void age(time_t t, time_t now, char *buf, size_t len)
{
	long d = (long)(now - t);

	if (d < 120)
		snprintf(buf, len, "%lds", d < 0 ? 0 : d);
	else if (d < 7200)
		snprintf(buf, len, "%ldm", d / 60);
	else if (d < 172800)
		snprintf(buf, len, "%ldh", d / 3600);
	else
		snprintf(buf, len, "%ldd", d / 86400);
}

/* put_escaped - outside text on stdout, its controls escaped. */
static void put_escaped(const char *s)
{
	char *shown = escape_str(s);

	fputs(shown, stdout);
	free(shown);
}

static void print_entry(const struct spool_entry *e, void *arg)
{
	struct totals *t = arg;
	char when[32] = "", ago[32];
	struct tm tm;
	size_t i;

	age(e->created, time(NULL), ago, sizeof(ago));
	if (e->next_attempt > 0) {
		localtime_r(&e->next_attempt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	printf("%s  %-9s %5s %8lld  %s  <", e->id, e->state, ago,
	    e->size, e->account[0] ? e->account : "(command line)");
	put_escaped(e->envelope_from);
	printf(">\n");
	for (i = 0; i < e->rcpts.n; i++) {
		printf("    %-8s ", e->rcpt_states.v[i]);
		put_escaped(e->rcpts.v[i]);
		putchar('\n');
	}
	/* A sent mail's next_attempt is when its record goes. */
	if (e->attempts > 0 || e->reason != NULL || e->last_text != NULL) {
		printf("    attempts %d, %s %s: ", e->attempts,
		    strcmp(e->state, "sent") == 0 ? "kept until" : "next", when);
		put_escaped(e->reason ? e->reason : e->last_text);
		putchar('\n');
	}
	t->mails++;
	t->bytes += e->size;
}

/* print_in_spool - the entry, then which of several spools holds it. */
static void print_in_spool(const struct spool_entry *e, void *arg)
{
	const struct totals *t = arg;

	print_entry(e, arg);
	printf("    spool    ");
	put_escaped(t->spool);
	putchar('\n');
}

/*
 * list_json - one array of every spool's mails; with several spools each
 * mail names its own ("spool" member, added by SQLite). The arrays are
 * SQLite's own output, so joining them needs only their brackets off.
 */
static int list_json(struct spool *const *sps, size_t nsp,
    const char *account, int sent, char **errstr)
{
	struct buf out;
	char *text;
	size_t i, len;
	int rc = EX_OK;

	buf_init(&out);
	buf_putc(&out, '[');
	for (i = 0; rc == EX_OK && i < nsp; i++) {
		text = NULL;
		rc = spool_json_list(sps[i], account, sent,
		    nsp > 1 ? spool_path(sps[i]) : NULL, &text, errstr);
		len = rc == EX_OK ? strlen(text) : 0;
		if (len > 2) {
			if (out.len > 1)
				buf_putc(&out, ',');
			buf_append(&out, text + 1, len - 2);
		}
		free(text);
	}
	buf_putc(&out, ']');
	if (rc == EX_OK)
		printf("%s\n", out.data);
	buf_free(&out);
	return rc;
}

int runner_list(struct spool *const *sps, size_t nsp, const char *account,
    int json, int sent, char **errstr)
{
	struct totals t = { 0, 0, NULL };
	spool_walk_fn fn;
	size_t i;
	int rc = EX_OK;

	if (json)
		return list_json(sps, nsp, account, sent, errstr);
	for (i = 0; rc == EX_OK && i < nsp; i++) {
		t.spool = spool_path(sps[i]);
		fn = nsp > 1 ? print_in_spool : print_entry;
		rc = sent ? spool_walk_sent(sps[i], account, fn, &t, errstr) :
		    spool_walk(sps[i], NULL, account, fn, &t, errstr);
	}
	if (rc != EX_OK)
		return rc;
	if (t.mails == 0)
		printf(sent ? "No sent mail on record.\n" :
		    "The queue is empty.\n");
	else
		printf("-- %lld bytes in %d mail%s.\n", t.bytes, t.mails,
		    t.mails == 1 ? "" : "s");
	return EX_OK;
}

void runner_print_entry(const struct spool_entry *e, void *arg)
{
	struct totals t = { 0, 0, NULL };

	(void)arg;
	print_entry(e, &t);
}
