/*
 * session - the SMTP/LMTP client state machine, on a libuv loop.
 *
 * A session is opened once and then carries any number of mails, one
 * transaction each, until it is quit. Opening is one path: connect (and
 * with implicit TLS the handshake), greeting, EHLO or LHLO with the HELO
 * fallback, then with STARTTLS the handshake and EHLO again, then AUTH.
 * Each step reports through a callback once it is done; exactly one step
 * may be in progress at a time.
 *
 *   s = smtp_session_new(loop, &params);
 *   smtp_session_open(s, cb, arg);          cb: ready for mail, or failed
 *   smtp_session_send(s, &mail, cb, arg);   cb: one transaction's result
 *   smtp_session_etrn(s, "host", cb, arg);  cb: ETRN's result (--rmqs)
 *   smtp_session_quit(s, cb, arg);          cb: QUIT answered (or not)
 *   smtp_session_free(s);
 *
 * TLS (tls.h) runs in the transport (conn.h); this state machine only
 * says when it starts. With tls on, a server without STARTTLS, a refused
 * STARTTLS, a failed handshake or a certificate that fails its checks
 * ends the session: nothing is ever sent in clear text instead. AUTH
 * (auth.h) is its own module, driven from here; the credentials are
 * masked ("********") in the trace (DELIBERATE DIFFERENCE: msmtp -d
 * prints them).
 *
 * Results: the struct smtp_result given to a callback belongs to the
 * session and is valid only during the callback. Its outcome comes from
 * outcome.h (the one place that classifies); errmsg is msmtp's wording of
 * what failed (NULL on success); reply_text is the last server reply, for
 * "server message:" and the log's smtpstatus/smtpmsg. For a transaction,
 * rcpts[i] is the server's answer to mail->rcpts[i].
 *
 * After a failure the connection is closed without QUIT, as msmtp does,
 * except where msmtp says goodbye first: a server that lacks STARTTLS,
 * AUTH or ETRN; the only calls left are smtp_session_free(). A failure
 * while the session is idle (the server hangs up or says 421 between
 * steps) is the result of the next step asked for: temporary, errmsg set,
 * no recipient results. smtp_session_free() may be
 * called at any time, also from inside a callback; libuv handles are
 * released in their close callbacks, so the loop must run on afterwards.
 *
 * No command line holding a CR, LF or NUL (from an envelope address, the
 * EHLO name, the ETRN argument) is ever written: the step fails instead,
 * TERR_SOFTWARE (class LOCAL, EX_SOFTWARE), errmsg "refusing to send an
 * SMTP command with a line break ...", nothing of it on the wire. A piped
 * next mail holding one is forgotten (smtp_session_has_mail() says so)
 * and fails when sent on its own.
 *
 * The mail is pulled from mail->read in chunks while it is sent, so its
 * size does not matter to memory use; the engine converts line ends to
 * CRLF and dot-stuffs (dotstuff.h).
 */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "smtp/auth.h"
#include "smtp/caps.h"
#include "smtp/certinfo.h"
#include "smtp/conn.h"
#include "smtp/outcome.h"
#include "smtp/tls.h"

struct smtp_session;

/* smtp_trace_fn - sees every line sent ("--> ") and received ("<-- "). */
typedef void (*smtp_trace_fn)(const char *prefix, const char *line,
    size_t len, void *arg);

/*
 * The session copies host and helo_domain; the other strings (TLS files,
 * credentials) must stay valid until smtp_session_open() has reported.
 */
struct smtp_params {
	const char	*host;
	int		 port;
	const char	*helo_domain;	/* EHLO/LHLO argument */
	struct conn_route route;	/* source ip, SOCKS5 proxy, or a
					   Unix socket (conn.h); copied */
	int		 lmtp;		/* speak LMTP instead of SMTP */
	int		 timeout;	/* seconds for every wait; 0 = none */
	smtp_trace_fn	 trace;		/* NULL: no tracing; the TLS block
					   is traced too, prefix "" */
	void		*trace_arg;

	/* TLS: STARTTLS, or with starttls 0 TLS from the first byte. */
	int		 tls;
	int		 starttls;
	struct tls_params tls_params;	/* hostname: tls_host_override,
					   else host */
	int		 want_tls_info;	/* keep smtp_session_tls_info() */

	/* AUTH: auth.mech NULL means no authentication. */
	struct smtp_auth_params auth;
};

/*
 * smtp_read_fn - the next bytes of the mail: returns how many were put in
 * buf (at most len), 0 at the end, or -1 with *errstr set on error.
 */
typedef ssize_t (*smtp_read_fn)(void *arg, char *buf, size_t len,
    char **errstr);

struct smtp_mail {
	const char		*from;		/* envelope-from; "" = <> */
	const char *const	*rcpts;
	size_t			 nrcpts;
	const char		*mail_params;	/* " RET=HDRS" style, or NULL */
	const char		*rcpt_params;	/* " NOTIFY=..." style, or NULL */
	smtp_read_fn		 read;
	void			*read_arg;
	int			 all_or_nothing; /* any refused RCPT fails it,
						    as msmtp does */
	int			 smtputf8;	/* an address is not ASCII:
						   MAIL gets SMTPUTF8 if the
						   server offers it (RFC
						   6531); else the addresses
						   go as they are, as msmtp
						   sends them */
};

struct smtp_rcpt_result {
	int		 code;
	char		 enh[16];
	enum smtp_class	 cls;
	char		*text;		/* the reply, NULL if none came */
};

struct smtp_result {
	struct smtp_outcome	 outcome;
	char			*errmsg;
	int			 reply_code;	/* last reply, 0 if none */
	char			*reply_text;
	struct smtp_rcpt_result	*rcpts;
	size_t			 nrcpts;
	unsigned long long	 mailsize;	/* LF bytes, as msmtp logs */
	struct certinfo		 cert;		/* TERR_TLS_VERIFY: the
						   certificate refused */
};

typedef void (*smtp_cb)(struct smtp_session *s, const struct smtp_result *r,
    void *arg);

struct smtp_session *smtp_session_new(uv_loop_t *loop,
    const struct smtp_params *p);
void smtp_session_open(struct smtp_session *s, smtp_cb cb, void *arg);
void smtp_session_send(struct smtp_session *s, const struct smtp_mail *m,
    smtp_cb cb, void *arg);
/*
 * smtp_session_send_next - with PIPELINING, the mail after the one in
 * progress: its MAIL, RCPT and DATA go out behind that one's final dot,
 * in the same write (RFC 2920, 3.1), so that a session carrying many
 * mails waits for one round trip per mail instead of two. Only while
 * smtp_session_can_send_next() says so (SMTP, not LMTP; a transaction
 * in progress that may fail recipients one by one; none queued yet).
 * Its callback follows the first one's, as for smtp_session_send(), if
 * the first one ended with its final reply; if it failed or ended
 * before its dot instead, the session forgets m unsent (see
 * smtp_session_has_mail()) and m is the caller's again. m must stay
 * valid until its callback or until the session forgets it. A mail
 * without recipients is never piped (forgotten at once), and
 * smtp_session_send() fails it without a command (CLASS_LOCAL), which
 * ends the session.
 */
int smtp_session_can_send_next(const struct smtp_session *s);
void smtp_session_send_next(struct smtp_session *s,
    const struct smtp_mail *m, smtp_cb cb, void *arg);
/* smtp_session_has_mail - whether m, given to send_next(), is still the
 * session's (queued, or now in progress): ask from the callback of the
 * transaction before it. */
int smtp_session_has_mail(const struct smtp_session *s,
    const struct smtp_mail *m);
void smtp_session_quit(struct smtp_session *s, smtp_cb cb, void *arg);
/*
 * smtp_session_etrn - ask the server to start its queue for arg ("host",
 * "@domain", "#queue"; RFC 1985). A server without ETRN gets QUIT and the
 * result "the server does not support Remote Message Queue Starting";
 * 250-253 is success, the rest fails as outcome.c says.
 */
void smtp_session_etrn(struct smtp_session *s, const char *arg, smtp_cb cb,
    void *cbarg);
void smtp_session_free(struct smtp_session *s);
/* smtp_session_caps - what the server announced (valid once open; the
 * EHLO after STARTTLS replaces what came before). */
const struct smtp_caps *smtp_session_caps(const struct smtp_session *s);
/* smtp_session_greeting - the greeting's first line without its code. */
const char *smtp_session_greeting(const struct smtp_session *s);
/* smtp_session_tls_info - with want_tls_info, once TLS is up, else NULL. */
const struct tls_info *smtp_session_tls_info(const struct smtp_session *s);
/*
 * TLS session resumption (tls.h): the session offered is
 * params.tls_params.resume. smtp_session_tls_resumed - once TLS is up:
 * 1 if the handshake resumed, 0 for a full one; -1 without TLS.
 * smtp_session_tls_ticket - what resumes this session in a later
 * connection to the same server (with the same TLS settings), and when
 * it expires; NULL if there is none. It is taken from the connection
 * while it is open, and kept when the session closes it (QUIT, a
 * failure), so it can be asked for until smtp_session_free(). The data
 * is the session's.
 */
int smtp_session_tls_resumed(const struct smtp_session *s);
const unsigned char *smtp_session_tls_ticket(struct smtp_session *s,
    size_t *len, time_t *expires);
/* smtp_session_peer - the address connected to (numeric), or "". */
const char *smtp_session_peer(const struct smtp_session *s);
/* smtp_session_peer_name - what that address resolves back to (newly
 * allocated, NULL if nothing): a blocking lookup. */
char *smtp_session_peer_name(const struct smtp_session *s);

#endif
