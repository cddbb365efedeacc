/*
 * deliver - send one mail now, in one SMTP session, as msmtp does.
 *
 * This is msmtp's direct mode (queue off): connect, greet, send the one
 * transaction with every recipient (any refusal fails the whole mail),
 * quit. The mail is the prepared header block followed by the rest of
 * the input stream, streamed as it is sent.
 *
 * deliver_now() runs its own libuv loop to completion and fills a
 * caller-owned report; deliver_report_free() releases its strings.
 * The return value is the report's exitcode: msmtp's sysexits code.
 *
 * The session follows the account: TLS (STARTTLS, or implicit TLS with
 * tls_starttls off), and AUTH with the password from the account, its
 * passwordeval, the keyring, ~/.netrc, SYSCONFDIR/netrc or a prompt on
 * /dev/tty (account/password.h). passwordeval runs before connecting, as in msmtp,
 * except when the clear text rule (smtp/auth.h) could still refuse the
 * method: then it runs only once the method has passed, so that no
 * secret is fetched for a server that may not have it. The same path also serves
 * msmtp's other two server modes (job->kind): --serverinfo (the text is
 * left in rep->output for the caller to print) and --rmqs (ETRN).
 */
#ifndef DELIVERY_DELIVER_H
#define DELIVERY_DELIVER_H

#include <stdio.h>
#include <time.h>

#include "account/account.h"
#include "smtp/outcome.h"
#include "smtp/session.h"
#include "util/strlist.h"

struct deliver_report;

/*
 * deliver_tls_cache - where TLS sessions are kept between connections
 * (delivery/tlscache.h: the spool). The engine knows the key (built from
 * the session's parameters by deliver_setup(), one rule: see
 * deliver_tls_key()) and the data; the keeper knows where they go.
 * load() gives the data kept for key, newly allocated (the engine frees
 * it), or NULL; store() keeps data (NULL: none new) until expires and
 * counts a handshake: resumed 1, full 0, -1 already counted. Both may fail silently: a session
 * not kept costs a full handshake, never a mail.
 */
struct deliver_tls_cache {
	unsigned char	*(*load)(void *arg, const char *key, size_t *len);
	void		 (*store)(void *arg, const char *key,
			    const unsigned char *data, size_t len,
			    time_t expires, int resumed);
	void		*arg;
};

/*
 * An OAuth2 access token (account/oauth2.h) fetched before
 * deliver_setup(): the runner fetches it in a worker thread, off its
 * loop, so that a slow token endpoint stalls no other session.
 * deliver_token_fetch() may run in any thread; rc, token and err are
 * oauth2_access_token()'s. deliver_setup() takes token and err over;
 * deliver_token_free() wipes what is left.
 */
struct deliver_token {
	int	 rc;
	char	*token;
	char	*err;
};

void deliver_token_fetch(const struct account *acc, struct deliver_token *t);
void deliver_token_free(struct deliver_token *t);

/* What deliver_now() does with the account's server. */
enum deliver_kind {
	DELIVER_KIND_MAIL = 0,		/* send the mail */
	DELIVER_KIND_SERVERINFO,	/* --serverinfo: rep->output */
	DELIVER_KIND_RMQS		/* --rmqs: ETRN job->rmqs */
};

struct deliver_job {
	const struct account	*acc;
	const char		*from;		/* envelope-from */
	const struct strlist	*rcpts;
	const char		*headers;	/* prepared header block */
	size_t			 headers_len;
	FILE			*body;		/* the rest of the mail */
	smtp_read_fn		 read;		/* or, if set, the whole mail
						   from here (the spool) */
	void			*read_arg;
	int			 per_recipient;	/* a refused recipient does
						   not stop the others (the
						   queue); 0: msmtp's rule */
	int			 debug;		/* print the dialogue */
	enum deliver_kind	 kind;		/* 0: send the mail */
	const char		*rmqs;		/* DELIVER_KIND_RMQS: the
						   argument of ETRN */
	const char		*password_hint;	/* or NULL: what to do when
						   no password is found
						   (the reason a queued
						   mail is held with) */
	struct deliver_token	*token;		/* or NULL: deliver_setup()
						   fetches the account's
						   OAuth2 token itself */
	/* A session whose mail went through may carry more of the same
	 * account (msmtp taking due queued mail along, delivery/along.h):
	 * more() gives the next job, or NULL to quit; each one's report
	 * goes to more_done(), and is freed after it returns. A mail
	 * that fails ends the session. */
	const struct deliver_job *(*more)(void *arg);
	void			(*more_done)(void *arg,
				    const struct deliver_job *job,
				    const struct deliver_report *rep);
	void			*more_arg;
	const struct deliver_tls_cache *tls_cache; /* NULL: every TLS
						   handshake is a full one */
};

/* One recipient's answer, in the order of job->rcpts. */
struct deliver_rcpt {
	enum smtp_class		 cls;
	int			 code;		/* 0: no answer */
	char			 enh[16];
	char			*text;
};

struct deliver_report {
	struct smtp_outcome	 outcome;
	int			 exitcode;
	char			*errmsg;	/* NULL on success */
	int			 reply_code;	/* last reply, 0 if none */
	char			*reply_text;
	unsigned long long	 mailsize;
	int			 sent;
	int			 lmtp_partial;	/* some LMTP recipients failed */
	struct strlist		 refused;	/* LMTP: refused recipients */
	struct strlist		 refusals;	/* LMTP: and their replies */
	struct deliver_rcpt	*rcpts;		/* NULL if no transaction */
	size_t			 nrcpts;
	char			*output;	/* --serverinfo's text, or
						   NULL */
	struct certinfo		 cert;		/* the certificate that
						   failed verification
						   (TERR_TLS_VERIFY), for
						   delivery/advice.h */
	int			 config_error;	/* the account failed before
						   any connection (its
						   passwordeval): msmtp
						   prints errmsg alone, with
						   no "could not send mail"
						   line, and logs nothing */
};

int deliver_now(const struct deliver_job *job, struct deliver_report *rep);
void deliver_report_free(struct deliver_report *rep);

/*
 * The pieces of deliver_now() that a caller driving its own sessions
 * (the queue runner: one session, many mails) shares with it, so both
 * speak to a server the same way.
 *
 * deliver_setup() builds the session parameters from job->acc (port,
 * TLS, AUTH, DSN parameters, the trace of job->debug); it runs
 * passwordeval (unless it must wait; see above), and when that fails
 * fills rep as deliver_now() would
 * (rep->config_error) and returns its exit code. job and its account
 * must outlive the sessions opened with su->params.
 * deliver_setup_free() wipes the password and releases the rest.
 */
struct deliver_setup {
	struct smtp_params	 params;
	char			*mail_params;	/* " RET=...", or NULL */
	char			*rcpt_params;	/* " NOTIFY=...", or NULL */
	char			*password;	/* passwordeval's */
	char			*tls_key;	/* the TLS cache's key, NULL
						   without TLS or cache */
	unsigned char		*tls_resume;	/* params.tls_params.resume */
	int			 tls_counted;	/* its handshake was counted */
};

/* deliver_report_init - an empty report, "not sent" until told more. */
void deliver_report_init(struct deliver_report *rep);
int deliver_setup(const struct deliver_job *job, struct deliver_setup *su,
    struct deliver_report *rep);
void deliver_setup_free(struct deliver_setup *su);
/*
 * deliver_tls_key - the key of a TLS session to resume with params p:
 * every setting that makes the server the same identity for TLS (host,
 * port, socket, proxy, the TLS mode, the name verified and sent as SNI,
 * trust file, CRL, fingerprint, certificate check, client certificate
 * and key, priorities and DH prime bits). Newly allocated.
 * deliver_tls_keep - give the cache what the open (or just closed)
 * session s can be resumed with, and whether it resumed (once per
 * session: su says); nothing without TLS or cache. Call it once the
 * session is open (its TLS 1.3 ticket has come with the server's reply
 * to EHLO), so that the sessions opened after it resume it, and before
 * smtp_session_free(), for the newest.
 */
char *deliver_tls_key(const struct smtp_params *p);
/* deliver_tls_offer - (deliver_setup()'s) the session kept for su's
 * server, offered in su->params. */
void deliver_tls_offer(const struct deliver_job *job,
    struct deliver_setup *su);
void deliver_tls_keep(const struct deliver_job *job,
    struct deliver_setup *su, struct smtp_session *s);
/* deliver_mail_init - the transaction of job (envelope, DSN parameters,
 * SMTPUTF8 when an address is not ASCII, job->read); the caller sets
 * m->read when job->read is NULL. */
void deliver_mail_init(const struct deliver_job *job,
    const struct deliver_setup *su, struct smtp_mail *m);
/* deliver_dsn_refused - whether the open session cannot carry the DSN
 * parameters the account asks for; rep then says so, as msmtp does. */
int deliver_dsn_refused(const struct deliver_setup *su,
    const struct smtp_session *s, struct deliver_report *rep);
/* deliver_keep - copy a transaction's (or a failed open's) result into
 * rep: outcome, message, last reply, every recipient's answer, and for
 * a transaction that succeeded rep->sent and its size. */
void deliver_keep(struct deliver_report *rep, const struct smtp_result *r);

#endif
