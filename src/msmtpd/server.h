/*
 * server - msmtpd on a libuv loop: one process, many sessions.
 *
 * It listens on interface:port (or, with --inetd, runs one session on
 * stdin/stdout), gives every connection a session (session.h) and, for
 * each mail, the pipe command (pipe.h), and carries bytes between them:
 *   - the client's input goes to the session as it arrives; reading
 *     stops while the session waits (for the command's verdict or the
 *     AUTH delay), while the command's input is congested, and while the
 *     client does not read its replies;
 *   - beyond max_sessions, a connection gets 421 and is closed;
 *   - after a failed AUTH anywhere, every AUTH verdict in any session
 *     waits AUTH_DELAY_MS, for AUTH_PENALTY_MS after the last failure;
 *   - a session whose client has not completed a line (a command, or
 *     a line of the mail) for timeout seconds gets 421 and is closed:
 *     a deadline per line, so bytes dripped one by one do not hold a
 *     session slot (the clock stops while the session waits for the
 *     command);
 *   - a closed session is shut down for writing first and drained for a
 *     moment, so that a client pipelining after QUIT still reads 221;
 *   - SIGTERM or SIGINT: stop listening, end every session with 421 (a
 *     mail the command is working on gets its verdict first), exit.
 *
 * Ownership: server_run() owns everything it creates and frees it before
 * it returns; conf and log are the caller's. Errors (cannot listen,
 * unusable stdin/stdout) are a sysexits code and *errstr (allocated; the
 * caller frees it).
 */
#ifndef MSMTPD_SERVER_H
#define MSMTPD_SERVER_H

#include "msmtpd/argv.h"
#include "msmtpd/log.h"
#include "msmtpd/session.h"
#include "util/strlist.h"

#define AUTH_DELAY_MS	1000
#define AUTH_PENALTY_MS	60000

struct server_conf {
	int			 inetd;
	const char		*interface;
	int			 port;
	unsigned		 max_sessions;
	unsigned		 timeout;	/* seconds, 0: none */
	const struct pipecmd	*pipecmd;	/* the pipe command */
	struct session_conf	 session;
};

/*
 * server_run - serve until a signal stops it, or with --inetd until the
 * session ends. EX_OK; with --inetd, EX_OK only if the client ended the
 * session with QUIT, else EX_PROTOCOL.
 */
int server_run(const struct server_conf *conf, struct log *log,
    char **errstr);

#endif
