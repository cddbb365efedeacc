/*
 * addr - msmtp's address-list scanner; see addr.h.
 *
 * One byte at a time, a small state machine decides whether the byte
 * belongs to an address, and whether the address being collected is
 * complete (',' ';' '>' or the end of the header) or was only a word of a
 * display name or group name (dropped when something else starts).
 */
#include "mail/addr.h"

#include <string.h>
#include <sysexits.h>

enum {
	AS_DEFAULT,	/* between words */
	AS_QUOTE,	/* in a quoted string */
	AS_ANGLE0,	/* just after '<' */
	AS_ANGLE,	/* in an angle address */
	AS_CMT0,	/* just after '(' */
	AS_CMT,		/* in a comment */
	AS_WORD,	/* in a bare word, maybe an address */
	AS_ESC,		/* just after '\\' */
	AS_FOLD		/* just after a newline */
};

/* What a byte does to the address being collected. */
enum { KEEP, FORGET, FINISH };

void addr_scan_init(struct addr_scan *s)
{
	s->state = AS_DEFAULT;
	s->esc_ret = s->cmt_ret = s->fold_ret = AS_DEFAULT;
	s->depth = 0;
	buf_init(&s->cur);
}

void addr_scan_free(struct addr_scan *s)
{
	buf_free(&s->cur);
}

int addr_scan_pending(const struct addr_scan *s)
{
	return s->cur.len > 0;
}

void addr_scan_fresh_line(struct addr_scan *s)
{
	s->depth = 0;
}

/* fold - a newline: resume in state ret after the continuation blank. */
static int fold(struct addr_scan *s, int ret)
{
	s->fold_ret = ret;
	s->state = AS_FOLD;
	return KEEP;
}

/* escape - a backslash: the next byte is taken literally in state ret. */
static int escape(struct addr_scan *s, int ret)
{
	s->esc_ret = ret;
	s->state = AS_ESC;
	return KEEP;
}

/* comment - a '(' seen in state ret. */
static int comment(struct addr_scan *s, int ret)
{
	s->cmt_ret = ret;
	s->state = AS_CMT0;
	return KEEP;
}

/* st_default - between words. */
static int st_default(struct addr_scan *s, unsigned char c)
{
	switch (c) {
	case '\n':
		fold(s, AS_DEFAULT);
		return FINISH;
	case '\\':
		return escape(s, AS_DEFAULT);
	case '(':
		return comment(s, AS_DEFAULT);
	case '"':
		s->state = AS_QUOTE;
		return FORGET;
	case '<':
		s->state = AS_ANGLE0;
		return FORGET;
	case ' ':
	case '\t':
		return KEEP;
	case ':':
		return FORGET;
	case ',':
	case ';':
		return FINISH;
	default:
		s->state = AS_WORD;
		return FORGET;
	}
}

/* st_quote - in a quoted string: nothing here is an address. */
static int st_quote(struct addr_scan *s, unsigned char c)
{
	if (c == '\n')
		return fold(s, AS_QUOTE);
	if (c == '\\')
		return escape(s, AS_QUOTE);
	if (c == '"')
		s->state = AS_DEFAULT;
	return KEEP;
}

/* st_angle0 - just after '<'. */
static int st_angle0(struct addr_scan *s, unsigned char c)
{
	if (c == '\n')
		return fold(s, AS_ANGLE0);
	if (c == '(')
		return comment(s, AS_ANGLE0);
	s->state = c == '>' ? AS_DEFAULT : AS_ANGLE;
	return KEEP;
}

/* st_angle - in an angle address; '>' completes it. */
static int st_angle(struct addr_scan *s, unsigned char c)
{
	switch (c) {
	case '\n':
		return fold(s, AS_ANGLE);
	case '\\':
		return escape(s, AS_ANGLE);
	case '(':
		return comment(s, AS_ANGLE);
	case '>':
		s->state = AS_DEFAULT;
		return FINISH;
	default:
		return KEEP;
	}
}

/*
 * st_cmt0 - just after '('. msmtp counts a level only here, so "((" is
 * one level and "()" inside a comment ends the whole comment.
 */
static int st_cmt0(struct addr_scan *s, unsigned char c)
{
	if (c == '\n')
		return fold(s, AS_CMT0);
	if (c == ')') {
		s->state = s->cmt_ret;
		return KEEP;
	}
	s->depth++;
	s->state = AS_CMT;
	return KEEP;
}

/* st_cmt - in a comment. */
static int st_cmt(struct addr_scan *s, unsigned char c)
{
	switch (c) {
	case '\n':
		return fold(s, AS_CMT);
	case '\\':
		return escape(s, AS_CMT);
	case '(':
		s->state = AS_CMT0;
		return KEEP;
	case ')':
		if (--s->depth == 0)
			s->state = s->cmt_ret;
		return KEEP;
	default:
		return KEEP;
	}
}

/* st_word - in a bare word. */
static int st_word(struct addr_scan *s, unsigned char c)
{
	switch (c) {
	case '\n':
		return fold(s, AS_DEFAULT);
	case '\\':
		return escape(s, AS_WORD);
	case '"':
		s->state = AS_QUOTE;
		return FORGET;
	case '(':
		return comment(s, AS_WORD);
	case '<':
		s->state = AS_ANGLE0;
		return FORGET;
	case ' ':
	case '\t':
		s->state = AS_DEFAULT;
		return KEEP;
	case ':':
		s->state = AS_DEFAULT;
		return FORGET;
	case ',':
	case ';':
		s->state = AS_DEFAULT;
		return FINISH;
	default:
		return KEEP;
	}
}

/* transition - move on by one byte; says what happens to s->cur. */
static int transition(struct addr_scan *s, unsigned char c)
{
	switch (s->state) {
	case AS_DEFAULT:
		return st_default(s, c);
	case AS_QUOTE:
		return st_quote(s, c);
	case AS_ANGLE0:
		return st_angle0(s, c);
	case AS_ANGLE:
		return st_angle(s, c);
	case AS_CMT0:
		return st_cmt0(s, c);
	case AS_CMT:
		return st_cmt(s, c);
	case AS_WORD:
		return st_word(s, c);
	case AS_ESC:
		if (c == '\n')
			return fold(s, AS_DEFAULT);
		s->state = s->esc_ret;
		return KEEP;
	default:	/* AS_FOLD: the blank that continues the line */
		s->state = s->fold_ret;
		return KEEP;
	}
}

/* finish - hand the collected address, if any, to out. */
static void finish(struct addr_scan *s, struct strlist *out)
{
	if (s->cur.len == 0)
		return;
	strlist_add(out, s->cur.data);
	buf_reset(&s->cur);
}

/* sanitize - msmtp's rule: control and space bytes become '_'. */
static char sanitize(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return '_';
	return (char)c;
}

void addr_scan_feed(struct addr_scan *s, const char *p, size_t len,
    struct strlist *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		int old = s->state, what = transition(s, c);

		if (what == FORGET)
			buf_reset(&s->cur);
		else if (what == FINISH)
			finish(s, out);
		if ((s->state == AS_WORD || s->state == AS_ANGLE) &&
		    old != AS_CMT0 && old != AS_CMT && old != AS_FOLD)
			buf_putc(&s->cur, sanitize(c));
	}
}

void addr_scan_end(struct addr_scan *s, struct strlist *out)
{
	finish(s, out);
	s->state = AS_DEFAULT;
}

int addr_list_parse(const char *value, struct strlist *out, char **errstr)
{
	struct addr_scan s;

	(void)errstr;
	addr_scan_init(&s);
	addr_scan_feed(&s, value, strlen(value), out);
	addr_scan_end(&s, out);
	addr_scan_free(&s);
	return EX_OK;
}
