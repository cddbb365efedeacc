/*
 * subject - the Subject header of a mail's first bytes; see subject.h.
 */
#include "queue/subject.h"

#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

/* line_end - the end of the line at p (its '\n', or end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* is_blank_line - an empty line (or a lone CR) ends the header block. */
static int is_blank_line(const char *p, const char *eol)
{
	return p == eol || (eol - p == 1 && *p == '\r');
}

/* add_folded - a line of the value, its blanks and CR trimmed, joined to
 * what is already there by one space. */
static void add_folded(struct buf *v, const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	while (eol > p && (eol[-1] == ' ' || eol[-1] == '\t' ||
	    eol[-1] == '\r'))
		eol--;
	if (p == eol)
		return;
	if (v->len > 0)
		buf_putc(v, ' ');
	buf_append(v, p, (size_t)(eol - p));
}

/* cut_utf8 - len cut to at most max bytes, not inside a UTF-8
 * sequence. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

char *subject_of(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *eol;
	struct buf v, shown;
	char *out;
	int in_subject = 0, found = 0;

	buf_init(&v);
	for (; p < end; p = eol + 1) {
		eol = line_end(p, end);
		if (is_blank_line(p, eol))
			break;
		if (in_subject && (*p == ' ' || *p == '\t')) {
			add_folded(&v, p, eol);
			continue;
		}
		in_subject = 0;
		if (!found && eol - p >= 8 && strncasecmp(p, "Subject:", 8)
		    == 0) {
			found = in_subject = 1;
			add_folded(&v, p + 8, eol);
		}
		if (eol == end)
			break;
	}
	if (!found) {
		buf_free(&v);
		return NULL;
	}
	/* Stored as valid UTF-8 text, its controls escaped: the spool's
	 * TEXT stays readable by any SQLite client, JSON included. */
	buf_init(&shown);
	escape_text(&shown, v.data ? v.data : "", v.len, 0);
	out = xstrndup(shown.data ? shown.data : "", cut_utf8(shown.data ?
	    shown.data : "", shown.len, SUBJECT_MAX));
	buf_free(&shown);
	buf_free(&v);
	return out;
}
