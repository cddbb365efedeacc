/*
 * exitmap - what the end of the pipe command means for the client: the
 * reply to the final "." of DATA, and the command's first stderr line
 * that goes into it.
 *
 * THE MAPPING. The default command is this project's msmtp, which spools:
 * it exits 0 once the mail is durable (also when delivery then failed for
 * now: the mail waits in the queue), and non-zero only when a server
 * refused the mail for good or something on this machine is wrong. The
 * question for each status is the queue's own (README): was the mail
 * itself refused? Then 554, and the client tells its user. Otherwise the
 * same mail can go through once the condition passes or the problem on
 * our side is fixed (the spool "holds" such mail): 451, and the client
 * keeps it and tries again.
 *
 *   status                     reply      our msmtp exits so when
 *   0                          250 2.0.0  the mail is spooled (or sent)
 *   64 EX_USAGE                554 5.3.0  it cannot be called so for this mail
 *   65 EX_DATAERR              554 5.3.0  5xx to MAIL FROM or RCPT TO
 *   66 EX_NOINPUT              451 4.3.0  a TLS file is unreadable (direct mode)
 *   67 EX_NOUSER               554 5.3.0  (local delivery agents: no such user)
 *   68 EX_NOHOST               451 4.3.0  host name not found (direct mode;
 *                                         offline resolvers say so too)
 *   69 EX_UNAVAILABLE          554 5.3.0  5xx after the final "." (4xx is
 *                                         queued), or an unsupported account
 *   70 EX_SOFTWARE             451 4.3.0  a library or the engine failed
 *   71 EX_OSERR                451 4.3.0  out of memory, cannot fork
 *   72 EX_OSFILE               451 4.3.0  (a system file is missing)
 *   73 EX_CANTCREAT            451 4.3.0  the spool cannot be created/opened
 *   74 EX_IOERR                451 4.3.0  spool I/O error; network I/O error
 *                                         or timeout (direct mode)
 *   75 EX_TEMPFAIL             451 4.3.0  spool busy or disk full; connect
 *                                         failed (direct mode)
 *   76 EX_PROTOCOL             451 4.3.0  421 greeting, bad reply (direct)
 *   77 EX_NOPERM               451 4.3.0  AUTH refused: 454, an expired
 *                                         OAuth token (direct mode)
 *   78 EX_CONFIG               451 4.3.0  msmtprc or passwordeval problem
 *   126, 127                   451 4.3.0  the shell could not run or find a
 *                                         program of the command (set up
 *                                         by us, like one not started)
 *   129 ... 192                451 4.3.0  the shell's 128 + N: a program
 *                                         was killed by signal N
 *   any other non-zero (1...)  554 5.3.0  a status that says nothing
 *   killed by a signal         451 4.3.0  OOM killer, admin, crash
 *   exit 0, mail not all read  451 4.3.0  it never saw the whole mail
 *   cannot be started          451 4.3.0  (the command is set up by us)
 *   sender not for the command 554 5.1.7  argv.h: %F where only an inert
 *                                         sender may go, and it is not
 *
 * msmtp's msmtpd answers 451 only for 68, 69, 71 and 75: it turns a
 * permanent refusal after DATA (69) into 451 and the temporary 74, 76
 * and 77 into 554 (reference notes, section 3). With --queue=off in
 * msmtprc, 69 also covers a 4xx at MAIL or RCPT; the table is right for
 * the spooling default.
 *
 * Pure functions; the caller owns every buffer.
 */
#ifndef MSMTPD_EXITMAP_H
#define MSMTPD_EXITMAP_H

#include <stddef.h>

#include "util/buf.h"

/* The longest stderr text quoted in a reply (a reply line stays well
 * under RFC 5321's 512 octets). */
#define EXITMAP_ERRLINE_MAX	300

/* The first non-empty line the command wrote on stderr, cleaned: bytes
 * outside printable ASCII become '?', at most EXITMAP_ERRLINE_MAX. */
struct errline {
	char	text[EXITMAP_ERRLINE_MAX + 1];
	size_t	len;
	size_t	blanks;		/* spaces read after text, not kept yet */
	int	complete;	/* its LF was seen: the rest is ignored */
};

enum pipe_how {
	PIPE_EXITED,		/* code is the exit status */
	PIPE_SIGNALED,		/* code is the signal */
	PIPE_NOSTART,		/* code is the errno */
	PIPE_BADFROM		/* not started: the sender may not be given
				 * to this command (argv_build()) */
};

struct pipe_result {
	enum pipe_how	how;
	int		code;
	int		incomplete;	/* it did not read the whole mail */
	struct errline	err;
};

void errline_init(struct errline *e);
/* errline_feed - take stderr output, in chunks split anywhere. */
void errline_feed(struct errline *e, const char *data, size_t len);

/* The shell's statuses for a program it could not run or find. */
#define EXITMAP_SH_NOEXEC	126
#define EXITMAP_SH_NOTFOUND	127
/* ... and 128 + N for a program killed by signal N (1 to SIGMAX). */
#define EXITMAP_SH_SIGNALED	128
#define EXITMAP_SH_SIGMAX	64

/* exitmap_temporary - whether an exit status gets 451 (see above). */
int exitmap_temporary(int status);

/* exitmap_reply - the reply line (no CRLF) appended to out; returns its
 * code: 250, 451 or 554. */
int exitmap_reply(const struct pipe_result *r, struct buf *out);

#endif
