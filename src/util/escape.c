/*
 * escape - control characters in outside text; see escape.h.
 */
#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

int escape_breaks_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

int escape_breaks_line_str(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/*
 * utf8_len - the length of the well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) of two bytes or
 * more at p[0..left), or 0 if there is none.
 */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* put_hex - one byte as "\xNN". */
static void put_hex(struct buf *out, unsigned char c)
{
	char hex[5];

	snprintf(hex, sizeof(hex), "\\x%02x", c);
	buf_append(out, hex, 4);
}

/* kept - whether the ASCII byte c goes out as it is. */
static int kept(unsigned char c, int flags)
{
	if (c == '\n')
		return (flags & ESCAPE_KEEP_LF) != 0;
	if (c == '\t')
		return (flags & ESCAPE_KEEP_TAB) != 0;
	return c >= 0x20 && c != 0x7f;
}

void escape_text(struct buf *out, const char *s, size_t len, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;

	while (i < len) {
		/* Most text is kept as it is: one append for each run. */
		for (n = i; n < len && p[n] < 0x80 && kept(p[n], flags); n++)
			;
		if (n > i) {
			buf_append(out, p + i, n - i);
			i = n;
			continue;
		}
		if (p[i] < 0x80) {
			put_hex(out, p[i++]);
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			put_hex(out, p[i++]);
		} else if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			/* U+0080..U+009F: the C1 controls */
			for (k = 0; k < n; k++)
				put_hex(out, p[i + k]);
			i += n;
		} else {
			buf_append(out, p + i, n);
			i += n;
		}
	}
}

char *escape_str(const char *s)
{
	struct buf b;

	buf_init(&b);
	if (s != NULL)
		escape_text(&b, s, strlen(s), 0);
	return buf_steal(&b);
}

char *escape_line_error(const char *what, const char *value)
{
	char *shown = escape_str(value), *msg;

	msg = xasprintf("%s %s: a line break (CR or LF) is not allowed "
	    "there", what, shown);
	free(shown);
	return msg;
}
