/*
 * listing - msmtp-queue --list: the queue at a glance, like mailq.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "util/buf.h"

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
	printf("%s  %-9s %5s %8lld  %s  <%s>\n", e->id, e->state, ago,
	    e->size, e->account[0] ? e->account : "(command line)",
	    e->envelope_from);
	for (i = 0; i < e->rcpts.n; i++)
		printf("    %-8s %s\n", e->rcpt_states.v[i], e->rcpts.v[i]);
	if (e->attempts > 0 || e->reason != NULL || e->last_text != NULL)
		printf("    attempts %d, next %s: %s\n", e->attempts, when,
		    e->reason ? e->reason : e->last_text ? e->last_text : "");
	t->mails++;
	t->bytes += e->size;
}

/* print_in_spool - the entry, then which of several spools holds it. */
static void print_in_spool(const struct spool_entry *e, void *arg)
{
	const struct totals *t = arg;

	print_entry(e, arg);
	printf("    spool    %s\n", t->spool);
}

/* json_string - s as a JSON string. */
static void json_string(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_printf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			buf_printf(out, "\\u%04x", (unsigned char)*s);
		else
			buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

/* json_tagged - the elements of the JSON array arr, each object given a
 * "spool" member first, appended to out (comma-separated after what
 * out holds past its opening bracket). */
static void json_tagged(const char *arr, const char *spool, struct buf *out)
{
	const char *p;
	int depth = 0, in_string = 0;

	for (p = arr; *p != '\0'; p++) {
		if (in_string) {
			if (*p == '\\' && p[1] != '\0')
				buf_putc(out, *p++);
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == '[' || *p == '{') {
			if (depth++ == 0)
				continue;
			if (depth == 2 && *p == '{') {
				if (out->len > 1)
					buf_putc(out, ',');
				buf_puts(out, "{\"spool\":");
				json_string(out, spool);
				buf_putc(out, ',');
				continue;
			}
		} else if (*p == ']' || *p == '}') {
			if (--depth == 0)
				continue;
		} else if (*p == ',' && depth == 1) {
			continue;
		}
		buf_putc(out, *p);
	}
}

/* list_json - one array of every spool's mails, as spool_json() gives
 * them; tagged with their spool when there are several. */
static int list_json(struct spool *const *sps, size_t nsp,
    const char *account, char **errstr)
{
	struct buf out;
	char *text;
	size_t i;
	int rc = EX_OK;

	buf_init(&out);
	buf_putc(&out, '[');
	for (i = 0; rc == EX_OK && i < nsp; i++) {
		text = NULL;
		rc = spool_json(sps[i], NULL, account, &text, errstr);
		if (rc == EX_OK && nsp == 1) {
			buf_reset(&out);
			buf_puts(&out, text);
		} else if (rc == EX_OK)
			json_tagged(text, spool_path(sps[i]), &out);
		free(text);
	}
	if (nsp != 1)
		buf_putc(&out, ']');
	if (rc == EX_OK)
		printf("%s\n", out.data);
	buf_free(&out);
	return rc;
}

int runner_list(struct spool *const *sps, size_t nsp, const char *account,
    int json, char **errstr)
{
	struct totals t = { 0, 0, NULL };
	size_t i;
	int rc = EX_OK;

	if (json)
		return list_json(sps, nsp, account, errstr);
	for (i = 0; rc == EX_OK && i < nsp; i++) {
		t.spool = spool_path(sps[i]);
		rc = spool_walk(sps[i], NULL, account, nsp > 1 ?
		    print_in_spool : print_entry, &t, errstr);
	}
	if (rc != EX_OK)
		return rc;
	if (t.mails == 0)
		printf("The queue is empty.\n");
	else
		printf("-- %lld bytes in %d mail%s.\n", t.bytes, t.mails,
		    t.mails == 1 ? "" : "s");
	return EX_OK;
}
