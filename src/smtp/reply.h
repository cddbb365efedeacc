/*
 * reply - parse SMTP/LMTP replies (RFC 5321 4.2, RFC 2034 enhanced codes).
 *
 * A reply arrives as one or more lines; the engine feeds each line, its
 * CRLF already removed, to smtp_reply_feed() until it answers REPLY_DONE.
 * The parser is pure: no I/O, no allocation beyond the reply's own buffer,
 * and it bounds what a hostile server can make it hold.
 *
 * A struct smtp_reply is owned by the caller: smtp_reply_init() before use,
 * smtp_reply_free() after. text holds the lines as received, joined with
 * "\n" (the form msmtp prints and logs).
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stddef.h>

#include "util/buf.h"

/* Longest reply accepted (all lines together) and longest single line. */
#define SMTP_REPLY_MAX		65536
#define SMTP_LINE_MAX		16384	/* SASL challenges of 8 KB and more */

struct smtp_reply {
	int		code;		/* 200..599 once a line was accepted */
	char		enh[16];	/* "5.1.1" from the first line, or "" */
	struct buf	text;		/* lines joined with '\n', no CRLF */
	int		nlines;
};

enum smtp_reply_status {
	REPLY_MORE,	/* a continuation line ("250-..."): feed the next */
	REPLY_DONE,	/* the last line ("250 ...") arrived */
	REPLY_BAD	/* not a valid reply line: protocol error */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_reset(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);
/* smtp_reply_feed - add one line (without CRLF). */
enum smtp_reply_status smtp_reply_feed(struct smtp_reply *r,
    const char *line, size_t len);
/* smtp_reply_class - 2, 3, 4 or 5: the first digit of the code. */
int smtp_reply_class(const struct smtp_reply *r);
/* smtp_reply_line - the n-th line's text after "ddd[- ]" (for EHLO
 * keywords); sets *len. NULL when there is no such line. */
const char *smtp_reply_line(const struct smtp_reply *r, int n, size_t *len);

#endif
