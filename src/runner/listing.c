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

#include "util/escape.h"

struct totals {
	int		 mails;
	long long	 bytes;
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

/* list - the mails not yet sent, or the sent ones. */
static int list(struct spool *sp, const char *account, int json, int sent,
    char **errstr)
{
	struct totals t = { 0, 0 };
	char *text = NULL;
	int rc;

	if (json) {
		rc = sent ? spool_json_sent(sp, account, &text, errstr) :
		    spool_json(sp, NULL, account, &text, errstr);
		if (rc == EX_OK)
			printf("%s\n", text);
		free(text);
		return rc;
	}
	rc = sent ? spool_walk_sent(sp, account, print_entry, &t, errstr) :
	    spool_walk(sp, NULL, account, print_entry, &t, errstr);
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

int runner_list(struct spool *sp, const char *account, int json,
    char **errstr)
{
	return list(sp, account, json, 0, errstr);
}

int runner_list_sent(struct spool *sp, const char *account, int json,
    char **errstr)
{
	return list(sp, account, json, 1, errstr);
}
