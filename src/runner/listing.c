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
	time_t		 now;		/* for the ages */
	struct buf	 out;		/* the entry being written */
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

/*
 * The lines are built in one buffer per mail, written with one fwrite():
 * printf() and a string escaped into its own allocation for each field
 * were half of the CPU of listing a million mails.
 */

/* put_pad - n spaces. */
static void put_pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		buf_putc(b, ' ');
}

/* put_left - s, then spaces up to width columns ("%-*s"). */
static void put_left(struct buf *b, const char *s, size_t width)
{
	size_t len = strlen(s);

	buf_append(b, s, len);
	if (len < width)
		put_pad(b, width - len);
}

/* put_right - spaces, then s, in width columns ("%*s"). */
static void put_right(struct buf *b, const char *s, size_t width)
{
	size_t len = strlen(s);

	if (len < width)
		put_pad(b, width - len);
	buf_append(b, s, len);
}

/* decimal - n in decimal, into the end of digits[24]; its start. */
static const char *decimal(long long n, char digits[24])
{
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n :
	    (unsigned long long)n;
	char *p = digits + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (n < 0)
		*--p = '-';
	return p;
}

/* put_escaped - outside text, its controls escaped (util/escape.h). */
static void put_escaped(struct buf *b, const char *s)
{
	if (s != NULL)
		escape_text(b, s, strlen(s), 0);
}

/* add_subject - the Subject, escaped, in what is left of the line (the
 * bytes of b from start) to width, cut with "..." when it does not fit. */
static void add_subject(struct buf *b, size_t start, const char *subject,
    int width)
{
	size_t used = columns(b->data + start, b->len - start), room, len;
	size_t at;

	if (subject == NULL || width <= 0 || (size_t)width < used + 2 +
	    SUBJECT_MIN)
		return;
	room = (size_t)width - used - 2;
	buf_puts(b, "  ");
	at = b->len;
	put_escaped(b, subject);
	len = b->len - at;
	if (columns(b->data + at, len) <= room)
		return;
	b->len = at + fit(b->data + at, len, room - 3);
	buf_puts(b, "...");
}

/* age - "3m", "2h", "4d": how long ago t was, into out. */
static void age(char out[32], time_t t, time_t now)
{
	long d = now > t ? (long)(now - t) : 0, n;
	char digits[24], unit;
	const char *s;
	size_t len;

	if (d < 120)
		n = d, unit = 's';
	else if (d < 7200)
		n = d / 60, unit = 'm';
	else if (d < 172800)
		n = d / 3600, unit = 'h';
	else
		n = d / 86400, unit = 'd';
	s = decimal(n, digits);
	len = strlen(s);
	memcpy(out, s, len);
	out[len] = unit;
	out[len + 1] = '\0';
}

/* put_head - the mail's first line: id, state, age, size, account,
 * sender, and the Subject where the terminal has room. */
static void put_head(struct buf *b, const struct spool_entry *e, int width,
    time_t now)
{
	size_t start = b->len;
	char digits[24], ago[32];

	age(ago, e->created, now);
	buf_puts(b, e->id);
	buf_puts(b, "  ");
	put_left(b, e->state, 9);
	buf_putc(b, ' ');
	put_right(b, ago, 5);
	buf_putc(b, ' ');
	put_right(b, decimal(e->size, digits), 8);
	buf_puts(b, "  ");
	buf_puts(b, e->account[0] ? e->account : "(command line)");
	buf_puts(b, "  <");
	put_escaped(b, e->envelope_from);
	buf_putc(b, '>');
	add_subject(b, start, e->subject, width);
	buf_putc(b, '\n');
}

/* put_rcpts - each recipient with its state and, unless it was sent,
 * the server's last reply about it. */
static void put_rcpts(struct buf *b, const struct spool_entry *e)
{
	const char *reply;
	size_t i;

	for (i = 0; i < e->rcpts.n; i++) {
		buf_puts(b, "    ");
		put_left(b, e->rcpt_states.v[i], 8);
		buf_putc(b, ' ');
		put_escaped(b, e->rcpts.v[i]);
		reply = i < e->rcpt_texts.n ? e->rcpt_texts.v[i] : "";
		if (*reply != '\0' && strcmp(e->rcpt_states.v[i], "sent")
		    != 0) {
			buf_puts(b, ": ");
			put_escaped(b, reply);
		}
		buf_putc(b, '\n');
	}
}

/* put_attempts - how many attempts, what comes next, and why. A failed
 * or held mail has no next attempt: it waits for the user. A sent mail's
 * next_attempt is when its record goes. */
static void put_attempts(struct buf *b, const struct spool_entry *e)
{
	char when[32] = "", digits[24];
	struct tm tm;

	if (e->attempts == 0 && e->reason == NULL && e->last_text == NULL)
		return;
	if (e->next_attempt > 0) {
		localtime_r(&e->next_attempt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	buf_puts(b, "    attempts ");
	buf_puts(b, decimal(e->attempts, digits));
	if (strcmp(e->state, "sent") == 0) {
		buf_puts(b, ", kept until ");
		buf_puts(b, when);
	} else if (strcmp(e->state, "failed") != 0 &&
	    strcmp(e->state, "held") != 0) {
		buf_puts(b, ", next ");
		buf_puts(b, when);
	}
	buf_puts(b, ": ");
	/* A failed mail without a reason had recipients refused one by
	 * one (shown above); its last reply may be the others' 250. */
	if (e->reason == NULL && strcmp(e->state, "failed") == 0)
		buf_puts(b, "recipients refused for good; last reply: ");
	put_escaped(b, e->reason ? e->reason : e->last_text);
	buf_putc(b, '\n');
}

void runner_put_hint(struct buf *b, const char *hint)
{
	char *brief;

	if (hint == NULL || *hint == '\0')
		return;
	brief = advice_brief(hint);
	buf_puts(b, "    hint: ");
	put_escaped(b, brief);
	buf_putc(b, '\n');
	free(brief);
}

/* put_hint - how to fix a held mail, as msmtp advised when it was
 * held (delivery/advice.h): its one line in a listing, all of it for
 * --show. Its certificate names came from the server: escaped. */
static void put_hint(struct buf *b, const struct spool_entry *e, int full)
{
	const char *line, *end;

	if (e->hint == NULL || *e->hint == '\0')
		return;
	if (!full) {
		runner_put_hint(b, e->hint);
		return;
	}
	for (line = e->hint; line != NULL; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		buf_puts(b, "    hint: ");
		escape_text(b, line, end ? (size_t)(end - line) :
		    strlen(line), 0);
		buf_putc(b, '\n');
	}
}

/* put_entry - the whole of one mail's lines. */
static void put_entry(struct totals *t, const struct spool_entry *e)
{
	struct buf *b = &t->out;

	put_head(b, e, t->width, t->now);
	put_rcpts(b, e);
	put_attempts(b, e);
	put_hint(b, e, t->full_hint);
	if (strcmp(e->state, "uncertain") == 0) {
		buf_puts(b, "    ");
		buf_puts(b, UNCERTAIN_NOTE);
		buf_putc(b, '\n');
	}
	t->mails++;
	t->bytes += e->size;
}

/* flush_entry - what put_entry() and its callers built, on stdout. */
static void flush_entry(struct totals *t)
{
	fwrite(t->out.data, 1, t->out.len, stdout);
	buf_reset(&t->out);
}

static void print_entry(const struct spool_entry *e, void *arg)
{
	struct totals *t = arg;

	put_entry(t, e);
	flush_entry(t);
}

/* print_in_spool - the entry, then which of several spools holds it. */
static void print_in_spool(const struct spool_entry *e, void *arg)
{
	struct totals *t = arg;

	put_entry(t, e);
	buf_puts(&t->out, "    spool    ");
	put_escaped(&t->out, t->spool);
	buf_putc(&t->out, '\n');
	flush_entry(t);
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
	struct totals t = { .width = terminal_width(), .now = time(NULL) };
	spool_walk_fn fn;
	size_t i;
	int rc = EX_OK;

	if (json)
		return list_json(sps, nsp, account, sent, errstr);
	buf_init(&t.out);
	for (i = 0; rc == EX_OK && i < nsp; i++) {
		t.spool = spool_path(sps[i]);
		fn = nsp > 1 ? print_in_spool : print_entry;
		rc = sent ? spool_walk_sent(sps[i], account, fn, &t, errstr) :
		    spool_walk(sps[i], NULL, account, fn, &t, errstr);
	}
	buf_free(&t.out);
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
	struct totals t = { .full_hint = 1, .now = time(NULL) };

	(void)arg;
	buf_init(&t.out);
	print_entry(e, &t);
	buf_free(&t.out);
}
