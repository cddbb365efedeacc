/*
 * dsn - the delivery status notification (RFC 3464) sent back to the
 * envelope sender when recipients of a queued mail fail for good.
 *
 * dsn_compose() writes the whole notification into out: headers
 * (From MAILER-DAEMON, To the sender, Auto-Submitted: auto-replied), a
 * multipart/report with a human-readable part, the
 * message/delivery-status part (one block per failed recipient, with
 * the server's reply as Diagnostic-Code) and the original's header
 * block as text/rfc822-headers (never its body: the size of a bounce
 * stays bounded, at most DSN_HEADERS_MAX bytes of headers).
 *
 * The caller sends it with an empty envelope sender, so a bounce never
 * bounces; dsn_wanted() says when there must be none at all (a null
 * sender, that is a bounce or an auto-reply itself).
 *
 * Ownership: out is the caller's; nothing else is kept. The original's
 * headers are pulled through read (fits smtp_read_fn and
 * spool_body_read). Returns EX_OK, or EX_IOERR when read fails (read
 * set *errstr); out then holds a partial notification, which the
 * caller discards.
 */
#ifndef MAIL_DSN_H
#define MAIL_DSN_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "util/buf.h"

#define DSN_HEADERS_MAX	(64 * 1024)

struct dsn_rcpt {
	const char	*addr;
	int		 code;		/* 0: no reply (lifetime over) */
	const char	*enh;		/* "5.1.1", or NULL */
	const char	*text;		/* the server's reply, or NULL */
};

struct dsn_info {
	const char		*envelope_from;	/* whom to tell */
	const char		*queue_id;
	const char		*reporting_host;	/* this machine */
	const char		*remote_host;	/* the account's server */
	time_t			 arrival;	/* when it was queued */
	time_t			 now;
	const char		*why;		/* e.g. "its queue lifetime is
						   over"; NULL: refused */
	const struct dsn_rcpt *rcpts;
	size_t			 nrcpts;
	ssize_t			(*read)(void *arg, char *buf, size_t len,
				    char **errstr);
	void			*read_arg;
};

/* dsn_wanted - whether a notification may go to envelope_from. */
int dsn_wanted(const char *envelope_from);
int dsn_compose(const struct dsn_info *bi, struct buf *out,
    char **errstr);

#endif
