/*
 * reply - parse SMTP/LMTP replies; see reply.h.
 *
 * SECURITY: input comes from the network. Every line is length-checked
 * against SMTP_LINE_MAX and the whole reply against SMTP_REPLY_MAX before
 * it is copied, and only the ASCII digits of the code are interpreted.
 */
#include "smtp/reply.h"

#include <string.h>

void smtp_reply_init(struct smtp_reply *r)
{
	buf_init(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
}

void smtp_reply_reset(struct smtp_reply *r)
{
	buf_reset(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
}

void smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
	r->code = 0;
	r->nlines = 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* parse_code - the three-digit code at the start of a line, or -1. */
static int parse_code(const char *line, size_t len)
{
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]))
		return -1;
	if (line[0] < '2' || line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* span_digits - length of a run of 1..max digits at s, or 0. */
static size_t span_digits(const char *s, size_t len, size_t max)
{
	size_t n = 0;

	while (n < len && n < max && is_digit(s[n]))
		n++;
	if (n == 0 || (n < len && is_digit(s[n])))
		return 0;
	return n;
}

/*
 * parse_enhanced - read "c.sss.ddd" (RFC 3463) at the start of text whose
 * class matches the reply's; anything else leaves enh empty.
 */
static void parse_enhanced(struct smtp_reply *r, const char *s, size_t len)
{
	size_t n, pos = 0;
	int part;

	if (len < 5 || s[0] != '0' + r->code / 100 || s[1] != '.')
		return;
	pos = 2;
	for (part = 0; part < 2; part++) {
		n = span_digits(s + pos, len - pos, 3);
		if (n == 0)
			return;
		pos += n;
		if (part == 0) {
			if (pos >= len || s[pos] != '.')
				return;
			pos++;
		}
	}
	if (pos < len && s[pos] != ' ')
		return;
	if (pos >= sizeof(r->enh))
		return;
	memcpy(r->enh, s, pos);
	r->enh[pos] = '\0';
}

enum smtp_reply_status smtp_reply_feed(struct smtp_reply *r,
    const char *line, size_t len)
{
	int code;

	if (len > SMTP_LINE_MAX || r->text.len + len + 1 > SMTP_REPLY_MAX)
		return REPLY_BAD;
	code = parse_code(line, len);
	if (code < 0 || (r->nlines > 0 && code != r->code))
		return REPLY_BAD;
	if (r->nlines == 0) {
		r->code = code;
		if (len > 4)
			parse_enhanced(r, line + 4, len - 4);
	} else {
		buf_putc(&r->text, '\n');
	}
	buf_append(&r->text, line, len);
	r->nlines++;
	return (len > 3 && line[3] == '-') ? REPLY_MORE : REPLY_DONE;
}

int smtp_reply_class(const struct smtp_reply *r)
{
	return r->code / 100;
}

const char *smtp_reply_line(const struct smtp_reply *r, int n, size_t *len)
{
	const char *p = r->text.data, *end, *nl;
	int i;

	if (p == NULL || n < 0 || n >= r->nlines)
		return NULL;
	end = p + r->text.len;
	for (i = 0; i < n; i++)
		p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	if (nl - p <= 4) {
		*len = 0;
		return nl;
	}
	*len = (size_t)(nl - p) - 4;
	return p + 4;
}
