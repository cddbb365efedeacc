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
#include <sys/ioctl.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "delivery/advice.h"
#include "util/buf.h"
#include "util/escape.h"

struct totals {
	int		 mails;
	long long	 bytes;
	const char	*spool;		/* the one being listed */
	int		 width;		/* the terminal's; 0: no Subject */
	int		 full_hint;	/* --show: every line of the hint */
};

/* A Subject narrower than this is not worth its column. */
#define SUBJECT_MIN	10

/*
 * terminal_width - the width of the terminal stdout is, else $COLUMNS,
 * else 0 (a pipe or a file: no Subject column, so scripts that read the
 * listing see the same lines wherever they run).
 */
static int terminal_width(void)
{
	struct winsize ws;
	const char *cols;
	char *end;
	long n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)
	    == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = getenv("COLUMNS");
	if (cols == NULL || *cols == '\0')
		return 0;
	n = strtol(cols, &end, 10);
	return *end == '\0' && n > 0 && n < 10000 ? (int)n : 0;
}

/* columns - how many columns s takes: its UTF-8 characters (escaped
 * text, so no control character; wide characters count as one). */
static size_t columns(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* fit - the length of the longest start of s that takes at most max
 * columns, not cutting a UTF-8 sequence. */
static size_t fit(const char *s, size_t len, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max)
			return i;
	}
	return len;
}

/* add_subject - the Subject, escaped, in what is left of the line's
 * width, cut with "..." when it does not fit. */
static void add_subject(struct buf *line, const char *subject, int width)
{
	size_t used = columns(line->data, line->len), room, len;
	char *shown;

	if (subject == NULL || width <= 0 || (size_t)width < used + 2 +
	    SUBJECT_MIN)
		return;
	room = (size_t)width - used - 2;
	shown = escape_str(subject);
	len = strlen(shown);
	buf_puts(line, "  ");
	if (columns(shown, len) <= room) {
		buf_append(line, shown, len);
	} else {
		buf_append(line, shown, fit(shown, len, room - 3));
		buf_puts(line, "...");
	}
	free(shown);
}

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

/* print_head - the mail's first line: id, state, age, size, account,
 * sender, and the Subject where the terminal has room. */
static void print_head(const struct spool_entry *e, int width)
{
	struct buf line;
	char ago[32], *from;

	age(e->created, time(NULL), ago, sizeof(ago));
	from = escape_str(e->envelope_from);
	buf_init(&line);
	buf_printf(&line, "%s  %-9s %5s %8lld  %s  <%s>", e->id, e->state,
	    ago, e->size, e->account[0] ? e->account : "(command line)",
	    from);
	add_subject(&line, e->subject, width);
	printf("%s\n", line.data);
	buf_free(&line);
	free(from);
}

/* print_rcpts - each recipient with its state and, unless it was sent,
 * the server's last reply about it. */
static void print_rcpts(const struct spool_entry *e)
{
	const char *reply;
	size_t i;

	for (i = 0; i < e->rcpts.n; i++) {
		printf("    %-8s ", e->rcpt_states.v[i]);
		put_escaped(e->rcpts.v[i]);
		reply = i < e->rcpt_texts.n ? e->rcpt_texts.v[i] : "";
		if (*reply != '\0' && strcmp(e->rcpt_states.v[i], "sent")
		    != 0) {
			fputs(": ", stdout);
			put_escaped(reply);
		}
		putchar('\n');
	}
}

/* print_attempts - how many attempts, what comes next, and why. A failed
 * or held mail has no next attempt: it waits for the user. A sent mail's
 * next_attempt is when its record goes. */
static void print_attempts(const struct spool_entry *e)
{
	char when[32] = "";
	struct tm tm;

	if (e->attempts == 0 && e->reason == NULL && e->last_text == NULL)
		return;
	if (e->next_attempt > 0) {
		localtime_r(&e->next_attempt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	printf("    attempts %d", e->attempts);
	if (strcmp(e->state, "sent") == 0)
		printf(", kept until %s", when);
	else if (strcmp(e->state, "failed") != 0 &&
	    strcmp(e->state, "held") != 0)
		printf(", next %s", when);
	fputs(": ", stdout);
	/* A failed mail without a reason had recipients refused one by
	 * one (shown above); its last reply may be the others' 250. */
	if (e->reason == NULL && strcmp(e->state, "failed") == 0)
		fputs("recipients refused for good; last reply: ", stdout);
	put_escaped(e->reason ? e->reason : e->last_text);
	putchar('\n');
}

/* print_hint - how to fix a held mail, as msmtp advised when it was
 * held (delivery/advice.h): its one line in a listing, all of it for
 * --show. Its certificate names came from the server: escaped. */
static void print_hint(const struct spool_entry *e, int full)
{
	const char *line, *end;
	char *brief;
	struct buf b;

	if (e->hint == NULL || *e->hint == '\0')
		return;
	if (!full) {
		brief = advice_brief(e->hint);
		fputs("    hint: ", stdout);
		put_escaped(brief);
		putchar('\n');
		free(brief);
		return;
	}
	buf_init(&b);
	for (line = e->hint; line != NULL; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		buf_puts(&b, "    hint: ");
		escape_text(&b, line, end ? (size_t)(end - line) :
		    strlen(line), 0);
		buf_putc(&b, '\n');
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

static void print_entry(const struct spool_entry *e, void *arg)
{
	struct totals *t = arg;

	print_head(e, t->width);
	print_rcpts(e);
	print_attempts(e);
	print_hint(e, t->full_hint);
	if (strcmp(e->state, "uncertain") == 0)
		printf("    %s\n", UNCERTAIN_NOTE);
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

/* put_object - a spool_json_fn: the object on stdout, after the
 * array's '[' or a comma. */
static void put_object(const char *obj, size_t len, void *arg)
{
	int *first = arg;

	putchar(*first ? '[' : ',');
	*first = 0;
	fwrite(obj, 1, len, stdout);
}

/*
 * list_json - one array of every spool's mails, written as they are
 * read (a million mails would make a 450 MB string); with several
 * spools each mail names its own ("spool" member, added by SQLite).
 * A spool that cannot be read before its first mail leaves stdout empty.
 */
static int list_json(struct spool *const *sps, size_t nsp,
    const char *account, int sent, char **errstr)
{
	size_t i;
	int rc = EX_OK, first = 1;

	for (i = 0; rc == EX_OK && i < nsp; i++)
		rc = spool_json_each(sps[i], account, sent,
		    nsp > 1 ? spool_path(sps[i]) : NULL, put_object, &first,
		    errstr);
	if (rc == EX_OK)
		printf("%s]\n", first ? "[" : "");
	return rc;
}

int runner_list(struct spool *const *sps, size_t nsp, const char *account,
    int json, int sent, char **errstr)
{
	struct totals t = { 0, 0, NULL, terminal_width(), 0 };
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
	struct totals t = { 0, 0, NULL, 0, 1 };

	(void)arg;
	print_entry(e, &t);
}
