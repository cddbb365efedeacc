/*
 * data - the DATA phase decoder: what the client sends after 354, turned
 * into the mail as the pipe command reads it.
 *
 * The input comes in chunks split anywhere. Each line's leading dot is
 * removed (RFC 5321 4.5.2), CRLF becomes LF (the command reads a mail
 * as sendmail(8) does), a CR not followed by LF is data, and the line
 * "." ends the mail: decoding stops right after it, so whatever follows
 * (pipelined commands) is left to the caller.
 *
 * The decoder flags what makes the mail unacceptable: a bare LF, a NUL
 * byte, or more than max decoded bytes. From the first flag on, nothing
 * more is output (the caller drops the mail), but the end of the data is
 * still found so that the session stays in step with the client.
 *
 * The state is a small caller-owned struct; output is appended to a
 * caller-owned buf. Nothing here fails.
 *
 * SECURITY: the end of the data is CR LF "." CR LF and nothing else: a
 * bare LF never ends a line here, so a "\n.\n" hidden in a mail can not
 * end it early (SMTP smuggling), and such a mail is refused anyway.
 */
#ifndef MSMTPD_DATA_H
#define MSMTPD_DATA_H

#include <stddef.h>

#include "util/buf.h"

enum {
	DATA_BARE_LF = 1,
	DATA_NUL = 2,
	DATA_TOO_BIG = 4
};

struct data_dec {
	int		state;
	int		flags;		/* DATA_* */
	int		done;		/* the final "." line was seen */
	unsigned long long size;	/* decoded bytes so far */
	unsigned long long max;		/* 0: no limit */
};

void data_init(struct data_dec *d, unsigned long long max);

/* data_decode - decode in[0..len) onto out; the number of bytes used,
 * less than len only when the data ended (d->done). */
size_t data_decode(struct data_dec *d, const char *in, size_t len,
    struct buf *out);

#endif
