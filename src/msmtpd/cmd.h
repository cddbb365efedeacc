/*
 * cmd - msmtpd's command parser: the client's bytes split into command
 * lines, one line parsed into a verb and its arguments, and the small
 * decoders AUTH needs (base64, the PLAIN response).
 *
 * Pure functions on caller-owned memory: nothing is allocated and nothing
 * is kept between calls. A struct cmd points into the line it was parsed
 * from (arg, resp) and holds its own copy of the address, so it is valid
 * as long as that line is. Errors are the returned status or cmd.err; no
 * function here fails in any other way.
 *
 * SECURITY: every byte here comes from the network, unauthenticated.
 * Lines are bounded (CMD_LINE_MAX); a NUL byte or a line ending in a bare
 * LF is reported, never passed on. An address is accepted only as
 * mailbox.h says (RFC 5321 Mailbox syntax, address literals that are
 * real IPv4 or IPv6 addresses, never starting with '-'): it becomes an
 * argument of the pipe command (an argv element, never shell text),
 * where msmtp must read it as exactly one address.
 */
#ifndef MSMTPD_CMD_H
#define MSMTPD_CMD_H

#include <stddef.h>

#include "msmtpd/mailbox.h"

/* A command line, CRLF included. RFC 5321 asks for 512; an AUTH PLAIN
 * line with a long password needs more, so allow that much. */
#define CMD_LINE_MAX	4096
/* An address between the angle brackets (RFC 5321 4.5.3.1.3: a path is
 * at most 256 octets with its brackets). */
#define CMD_ADDR_MAX	MAILBOX_MAX

enum cmd_line_status {
	LINE_MORE,		/* no complete line yet */
	LINE_OK,		/* a line ending in CRLF */
	LINE_BARE_LF,		/* a line ending in LF without CR */
	LINE_NUL,		/* a line holding a NUL byte */
	LINE_TOO_LONG		/* longer than max; see cmd_line() */
};

/*
 * cmd_line - the first line of buf[0..len), at most max bytes with its
 * line end. *linelen is its length without the line end, *used what the
 * caller should drop from buf (the line and its end). LINE_TOO_LONG
 * without an LF in sight sets *used to len: the caller then drops input
 * up to and including the next LF (cmd_skip()).
 */
enum cmd_line_status cmd_line(const char *buf, size_t len, size_t max,
    size_t *linelen, size_t *used);

/* cmd_skip - how much of buf to drop while skipping the rest of an
 * overlong line; *done when its LF was found. */
size_t cmd_skip(const char *buf, size_t len, int *done);

enum cmd_verb {
	CMD_UNKNOWN,
	CMD_EHLO, CMD_HELO, CMD_MAIL, CMD_RCPT, CMD_DATA, CMD_RSET,
	CMD_NOOP, CMD_QUIT, CMD_AUTH, CMD_HELP, CMD_VRFY, CMD_EXPN,
	CMD_STARTTLS
};

enum cmd_err {
	CMD_OK,
	CMD_ESYNTAX,		/* MAIL/RCPT/AUTH not in their syntax */
	CMD_ENOARG,		/* EHLO/HELO without a domain */
	CMD_EARG,		/* DATA/RSET/QUIT/STARTTLS with an argument */
	CMD_EADDR,		/* an address we do not take */
	CMD_EPARAM,		/* an ESMTP parameter we do not know */
	CMD_ESIZE		/* SIZE= that is not a number */
};

enum cmd_mech {
	MECH_NONE,
	MECH_PLAIN,
	MECH_LOGIN,
	MECH_OTHER
};

struct cmd {
	enum cmd_verb	 verb;
	enum cmd_err	 err;
	const char	*arg;		/* after the verb and its spaces */
	size_t		 arglen;
	/* MAIL and RCPT */
	char		 addr[CMD_ADDR_MAX + 1];	/* "" for <> */
	int		 has_size;
	unsigned long long size;	/* MAIL SIZE= */
	/* AUTH */
	enum cmd_mech	 mech;
	const char	*resp;		/* the initial response, or NULL */
	size_t		 resplen;
};

/* cmd_parse - one command line, without its line end, into c. */
void cmd_parse(const char *line, size_t len, struct cmd *c);

/* cmd_addr_ok - whether addr[0..len) is a Mailbox we pass on
 * (mailbox_ok()). */
int cmd_addr_ok(const char *addr, size_t len);

/*
 * cmd_b64decode - strict base64 (RFC 4648, padding required, no spaces)
 * into out, at most outmax bytes; *outlen gets the length. 0, or -1 for
 * input that is not base64 or does not fit.
 */
int cmd_b64decode(const char *in, size_t len, char *out, size_t outmax,
    size_t *outlen);

/* cmd_b64encode - base64 of in into out (4 * ((len + 2) / 3) + 1 bytes,
 * NUL-terminated). */
void cmd_b64encode(const char *in, size_t len, char *out);

/*
 * cmd_plain - split a decoded AUTH PLAIN response "authzid NUL authcid NUL
 * passwd" (RFC 4616). 0, or -1 if it is malformed or the authzid names
 * someone other than the authcid.
 */
int cmd_plain(const char *resp, size_t len, const char **user,
    size_t *userlen, const char **pass, size_t *passlen);

/* cmd_helo_name - the EHLO/HELO argument as it may appear in a header:
 * copied into out (outmax bytes, NUL-terminated) if it is a domain name
 * or an address literal, else "invalid". */
void cmd_helo_name(const char *arg, size_t len, char *out, size_t outmax);

#endif
