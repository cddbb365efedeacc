/*
 * dotstuff - encode a mail for the DATA phase, as a stream.
 *
 * The mail is fed in chunks of any size, split anywhere; the encoder turns
 * every line end into CRLF (LF and CRLF both end a line; a CR not followed
 * by LF is data), doubles a leading "." (RFC 5321 4.5.2), passes every
 * other byte through unchanged (8-bit data and NUL included, and lines of
 * any length, as msmtp does), and dotstuff_finish() ends an unterminated
 * last line with CRLF and appends the final ".\r\n".
 *
 * The state is a small caller-owned struct; output is appended to a
 * caller-owned buf. It never fails. mailsize counts input bytes with LF
 * line ends, the figure msmtp logs as mailsize.
 */
#ifndef SMTP_DOTSTUFF_H
#define SMTP_DOTSTUFF_H

#include <stddef.h>

#include "util/buf.h"

struct dotstuff {
	int		at_bol;		/* next byte starts a line */
	int		pending_cr;	/* a CR waits to see if LF follows */
	unsigned long long mailsize;
};

void dotstuff_init(struct dotstuff *d);
void dotstuff_encode(struct dotstuff *d, const char *in, size_t len,
    struct buf *out);
void dotstuff_finish(struct dotstuff *d, struct buf *out);

#endif
