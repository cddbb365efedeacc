/*
 * session - msmtpd's SMTP state machine; see session.h.
 *
 * SECURITY: commands are parsed by cmd.c and the mail decoded by data.c,
 * both bounded; what the client says reaches a log line or a reply only
 * after printable() (or cmd.c's address check) made it printable ASCII.
 * Decoded AUTH responses live on the stack and are wiped after use; the
 * password is compared without an early exit.
 */
#include "msmtpd/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msmtpd/cmd.h"
#include "msmtpd/data.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/sysexit.h"
#include "util/xalloc.h"

#define AUTH_FAILURES_MAX	3
#define HELO_MAX		256

enum state {
	ST_GREET,		/* before EHLO/HELO */
	ST_READY,		/* no transaction */
	ST_MAIL,		/* MAIL given, RCPTs being collected */
	ST_DATA,		/* the mail is arriving */
	ST_WAIT_RESULT,		/* the mail is complete, the command works */
	ST_AUTH,		/* an AUTH exchange awaits the client's line */
	ST_WAIT_AUTH,		/* an AUTH verdict is held back */
	ST_CLOSED
};

enum auth_step {
	AUTH_PLAIN_RESP,
	AUTH_LOGIN_USER,
	AUTH_LOGIN_PASS
};

struct session {
	const struct session_conf	*conf;
	const struct session_hooks	*h;
	char			*peer;
	enum state		 state;
	struct buf		 in;		/* input not yet used */
	size_t			 pos;		/* used so far in this round */
	int			 skipping;	/* the rest of an overlong line */
	unsigned long		 lines;		/* whole lines in */
	unsigned		 errors;
	int			 quit;
	int			 esmtp;
	int			 shutdown;	/* close after the verdict */
	char			 helo[HELO_MAX];

	char			*user;		/* authenticated as */
	unsigned		 auth_failures;
	enum auth_step		 auth_step;
	char			*login_user;
	struct buf		 pending;	/* a held back AUTH verdict */
	int			 close_after_pending;

	/* the transaction */
	char			 from[CMD_ADDR_MAX + 1];
	struct strlist		 rcpts;
	struct data_dec		 dec;
	struct buf		 chunk;		/* decoded, for the command */
	int			 mail_running;
	int			 have_result;	/* it ended before the data */
	struct pipe_result	 result;
};

static void process(struct session *s);

/* printable - bytes from the client, fit for a log line or a reply. */
static void printable(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(out, c >= 0x20 && c < 0x7f && c != '\'' ? (char)c :
		    '?');
	}
}

/* reply - one reply line (CRLF added) to the client. */
static void reply(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reply(struct session *s, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	s->h->reply(s->h->arg, b.data, b.len);
	buf_free(&b);
}

static void log_line(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_line(struct session *s, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_printf(&b, "client=%s ", s->peer[0] ? s->peer : "unknown");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	s->h->log(s->h->arg, b.data);
	buf_free(&b);
}

/* abort_mail - give up the mail in progress, if the command still runs. */
static void abort_mail(struct session *s)
{
	if (s->mail_running && s->state == ST_DATA) {
		s->mail_running = 0;
		s->h->mail_abort(s->h->arg);
	}
}

/* close_session - no more input is looked at; the server closes. */
static void close_session(struct session *s)
{
	abort_mail(s);
	s->state = ST_CLOSED;
	s->h->close(s->h->arg);
}

/* ready_state - where a session without a transaction is. */
static enum state ready_state(const struct session *s)
{
	return s->helo[0] != '\0' ? ST_READY : ST_GREET;
}

static void reset_transaction(struct session *s)
{
	s->from[0] = '\0';
	strlist_free(&s->rcpts);
	s->have_result = 0;
	data_init(&s->dec, s->conf->max_size);
	s->state = ready_state(s);
}

/* error - a protocol error reply; too many of them end the session. */
static void error(struct session *s, const char *text)
{
	reply(s, "%s", text);
	if (++s->errors < s->conf->max_errors)
		return;
	log_line(s, "too many errors, session closed");
	reply(s, "421 4.7.0 %s Too many errors, closing connection",
	    s->conf->hostname);
	close_session(s);
}

struct session *session_new(const struct session_conf *conf,
    const struct session_hooks *hooks, const char *peer)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->conf = conf;
	s->h = hooks;
	s->peer = xstrdup(peer);
	buf_init(&s->in);
	buf_init(&s->chunk);
	buf_init(&s->pending);
	strlist_init(&s->rcpts);
	reset_transaction(s);
	return s;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	free(s->peer);
	explicit_bzero(s->in.data, s->in.cap);	/* may hold AUTH lines */
	buf_free(&s->in);
	buf_free(&s->chunk);
	buf_free(&s->pending);
	strlist_free(&s->rcpts);
	free(s->user);
	wipe_free(s->login_user);
	free(s);
}

void session_start(struct session *s)
{
	reply(s, "220 %s ESMTP msmtpd", s->conf->hostname);
}

int session_quit(const struct session *s)
{
	return s->quit;
}

int session_wants_input(const struct session *s)
{
	return s->state != ST_WAIT_RESULT && s->state != ST_WAIT_AUTH &&
	    s->state != ST_CLOSED;
}

void session_received(struct buf *out, const char *helo, const char *peer,
    const char *host, int esmtp, int authenticated, time_t when)
{
	char date[64];
	struct tm tm;

	if (localtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		strcpy(date, "Thu, 01 Jan 1970 00:00:00 +0000");
	buf_printf(out, "Received: from %s", helo);
	if (peer[0] != '\0')
		buf_printf(out, " ([%s%s])", strchr(peer, ':') ? "IPv6:" : "",
		    peer);
	buf_printf(out, "\n\tby %s (msmtpd) with %s;\n\t%s\n", host,
	    !esmtp ? "SMTP" : authenticated ? "ESMTPA" : "ESMTP", date);
}

/* log_transaction - the one log line of a transaction. */
static void log_transaction(struct session *s, const char *replytext,
    const struct pipe_result *r)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "helo=%s", s->helo);
	if (s->user != NULL) {
		buf_puts(&b, " user=");
		printable(&b, s->user, strlen(s->user));
	}
	buf_printf(&b, " from=<%s> recipients=", s->from);
	for (i = 0; i < s->rcpts.n; i++)
		buf_printf(&b, "%s<%s>", i ? "," : "", s->rcpts.v[i]);
	buf_printf(&b, " mailsize=%llu", s->dec.size);
	if (r != NULL && r->how == PIPE_EXITED)
		buf_printf(&b, " exitcode=%s", r->code >= EX__BASE &&
		    r->code <= EX__MAX ? sysexit_name(r->code) : r->code == 0 ?
		    "EX_OK" : "other");
	buf_printf(&b, " smtpstatus=%.3s smtpmsg='", replytext);
	printable(&b, replytext, strlen(replytext));
	buf_putc(&b, '\'');
	log_line(s, "%s", b.data);
	buf_free(&b);
}

/* finish - the reply for the command's verdict; the transaction ends. */
static void finish(struct session *s, const struct pipe_result *r)
{
	struct buf b;

	buf_init(&b);
	exitmap_reply(r, &b);
	reply(s, "%s", b.data);
	log_transaction(s, b.data, r);
	buf_free(&b);
	reset_transaction(s);
	if (s->shutdown) {
		reply(s, "421 4.3.2 %s Service shutting down",
		    s->conf->hostname);
		close_session(s);
	}
}

/* refuse_mail - the mail was bad (data.h flags): say why. */
static void refuse_mail(struct session *s)
{
	const char *text;

	if (s->dec.flags & DATA_TOO_BIG)
		text = "552 5.3.4 Message size exceeds fixed maximum message "
		    "size";
	else if (s->dec.flags & DATA_NUL)
		text = "554 5.6.0 Message contains NUL bytes";
	else
		text = "554 5.6.0 Message contains a bare LF; lines must end "
		    "with CRLF";
	reply(s, "%s", text);
	log_transaction(s, text, NULL);
	reset_transaction(s);
}

static void end_of_data(struct session *s)
{
	struct pipe_result r;

	if (s->dec.flags != 0) {
		refuse_mail(s);
	} else if (s->have_result) {
		r = s->result;
		r.incomplete = 1;
		finish(s, &r);
	} else {
		s->state = ST_WAIT_RESULT;
		s->h->mail_end(s->h->arg);
	}
}

/* count_lf - the line ends in p: the lines of the mail taken. */
static unsigned long count_lf(const char *p, size_t len)
{
	const char *end = p + len, *nl;
	unsigned long n = 0;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* data_step - decode some of the mail; the bytes used. */
static size_t data_step(struct session *s, const char *p, size_t len)
{
	size_t n;

	buf_reset(&s->chunk);
	n = data_decode(&s->dec, p, len, &s->chunk);
	s->lines += count_lf(p, n);
	if (s->dec.flags != 0)
		abort_mail(s);
	else if (s->chunk.len > 0 && s->mail_running)
		s->h->mail_data(s->h->arg, s->chunk.data, s->chunk.len);
	if (s->dec.done)
		end_of_data(s);
	return n;
}

/* need_helo - refuse a command that needs EHLO/HELO first; 1 if so. */
static int need_helo(struct session *s)
{
	if (s->state != ST_GREET)
		return 0;
	error(s, "503 5.5.1 Send EHLO or HELO first");
	return 1;
}

static void do_helo(struct session *s, const struct cmd *c)
{
	struct buf b;

	if (c->err != CMD_OK) {
		error(s, c->verb == CMD_EHLO ? "501 5.5.4 Syntax: EHLO hostname"
		    : "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	cmd_helo_name(c->arg, c->arglen, s->helo, sizeof(s->helo));
	s->esmtp = c->verb == CMD_EHLO;
	reset_transaction(s);
	if (!s->esmtp) {
		reply(s, "250 %s", s->conf->hostname);
		return;
	}
	buf_init(&b);
	buf_printf(&b, "250-%s\r\n250-PIPELINING\r\n", s->conf->hostname);
	if (s->conf->max_size > 0)
		buf_printf(&b, "250-SIZE %llu\r\n", s->conf->max_size);
	else
		buf_puts(&b, "250-SIZE\r\n");
	buf_puts(&b, "250-8BITMIME\r\n");
	if (s->conf->auth_user != NULL && s->user == NULL)
		buf_puts(&b, "250-AUTH PLAIN LOGIN\r\n");
	buf_puts(&b, "250 ENHANCEDSTATUSCODES\r\n");
	s->h->reply(s->h->arg, b.data, b.len);
	buf_free(&b);
}

/* syntax_error - the reply for c->err. */
static void syntax_error(struct session *s, const struct cmd *c)
{
	switch (c->err) {
	case CMD_EADDR:
		error(s, c->verb == CMD_MAIL ?
		    "501 5.1.7 Bad sender address syntax" :
		    "501 5.1.3 Bad recipient address syntax");
		break;
	case CMD_EPARAM:
		error(s, "555 5.5.4 Unsupported parameter");
		break;
	case CMD_ESIZE:
		error(s, "501 5.5.4 Bad SIZE parameter");
		break;
	case CMD_EARG:
		error(s, "501 5.5.4 Syntax error: no parameters allowed");
		break;
	default:
		error(s, c->verb == CMD_MAIL ?
		    "501 5.5.4 Syntax: MAIL FROM:<address>" :
		    c->verb == CMD_RCPT ?
		    "501 5.5.4 Syntax: RCPT TO:<address>" :
		    "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
		break;
	}
}

static void do_mail(struct session *s, const struct cmd *c)
{
	if (need_helo(s))
		return;
	if (s->state == ST_MAIL) {
		error(s, "503 5.5.1 Nested MAIL command");
	} else if (s->conf->auth_user != NULL && s->user == NULL) {
		error(s, "530 5.7.0 Authentication required");
	} else if (c->err != CMD_OK) {
		syntax_error(s, c);
	} else if (c->has_size && s->conf->max_size > 0 &&
	    c->size > s->conf->max_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum "
		    "message size");
	} else {
		memcpy(s->from, c->addr, sizeof(s->from));
		s->state = ST_MAIL;
		reply(s, "250 2.1.0 Ok");
	}
}

static void do_rcpt(struct session *s, const struct cmd *c)
{
	if (need_helo(s))
		return;
	if (s->state != ST_MAIL)
		error(s, "503 5.5.1 Need MAIL before RCPT");
	else if (c->err != CMD_OK)
		syntax_error(s, c);
	else if (s->rcpts.n >= s->conf->max_rcpts)
		reply(s, "452 4.5.3 Too many recipients");
	else {
		strlist_add(&s->rcpts, c->addr);
		reply(s, "250 2.1.5 Ok");
	}
}

static void do_data(struct session *s, const struct cmd *c)
{
	struct pipe_result res;
	struct buf b;
	time_t now;

	if (need_helo(s))
		return;
	if (c->err != CMD_OK) {
		syntax_error(s, c);
		return;
	}
	if (s->state != ST_MAIL) {
		error(s, "503 5.5.1 Need MAIL before DATA");
		return;
	}
	if (s->rcpts.n == 0) {
		error(s, "554 5.5.1 No valid recipients");
		return;
	}
	memset(&res, 0, sizeof(res));
	errline_init(&res.err);
	if (s->h->mail_start(s->h->arg, s->from, &s->rcpts, &res) != 0) {
		finish(s, &res);
		return;
	}
	s->mail_running = 1;
	s->have_result = 0;
	data_init(&s->dec, s->conf->max_size);
	s->state = ST_DATA;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	now = s->h->now != NULL ? s->h->now(s->h->arg) : time(NULL);
	buf_init(&b);
	session_received(&b, s->helo, s->peer, s->conf->hostname, s->esmtp,
	    s->user != NULL, now);
	s->h->mail_data(s->h->arg, b.data, b.len);
	buf_free(&b);
}

/* same - compare a secret without an early exit on the first mismatch. */
static int same(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), i;
	unsigned char d = alen != blen;

	for (i = 0; i < alen; i++)
		d |= (unsigned char)(a[i] ^ (i < blen ? b[i] : 0));
	return d == 0;
}

/* flush_pending - send the held back AUTH verdict. */
static void flush_pending(struct session *s)
{
	s->h->reply(s->h->arg, s->pending.data, s->pending.len);
	buf_reset(&s->pending);
	s->state = ready_state(s);
	if (s->close_after_pending)
		close_session(s);
}

/* verdict - the end of an AUTH exchange, answered now or after the
 * server's delay. */
static void verdict(struct session *s, int ok, const char *user,
    size_t userlen)
{
	struct buf who;
	unsigned ms;

	buf_init(&who);
	printable(&who, user, userlen);
	buf_reset(&s->pending);
	if (ok) {
		s->user = xstrndup(user, userlen);
		buf_puts(&s->pending, "235 2.7.0 Authentication successful\r\n");
		log_line(s, "authenticated user %s", who.data);
	} else {
		buf_puts(&s->pending, "535 5.7.8 Authentication credentials "
		    "invalid\r\n");
		log_line(s, "authentication failed for user %s", who.data);
		if (++s->auth_failures >= AUTH_FAILURES_MAX) {
			buf_printf(&s->pending, "421 4.7.0 %s Too many "
			    "authentication failures\r\n", s->conf->hostname);
			s->close_after_pending = 1;
		}
	}
	ms = s->h->auth_verdict(s->h->arg, ok, who.data);
	buf_free(&who);
	if (ms > 0) {
		s->state = ST_WAIT_AUTH;
		s->h->wait(s->h->arg, ms);
	} else {
		flush_pending(s);
	}
}

/* decode_resp - a base64 AUTH response ("=" is empty) into out; 0, or
 * -1 after answering. */
static int decode_resp(struct session *s, const char *resp, size_t len,
    char *out, size_t outmax, size_t *outlen)
{
	if (len == 1 && resp[0] == '=') {
		*outlen = 0;
		return 0;
	}
	if (cmd_b64decode(resp, len, out, outmax, outlen) == 0)
		return 0;
	s->state = ready_state(s);
	error(s, "501 5.5.2 Cannot decode response");
	return -1;
}

static void auth_plain(struct session *s, const char *resp, size_t len)
{
	char dec[CMD_LINE_MAX];
	const char *user, *pass;
	size_t n, ulen, plen;

	if (decode_resp(s, resp, len, dec, sizeof(dec), &n) != 0)
		return;
	if (cmd_plain(dec, n, &user, &ulen, &pass, &plen) != 0)
		verdict(s, 0, "", 0);
	else
		verdict(s, same(user, ulen, s->conf->auth_user) &
		    same(pass, plen, s->conf->auth_pass), user, ulen);
	explicit_bzero(dec, sizeof(dec));
}

static void auth_login(struct session *s, const char *resp, size_t len)
{
	char dec[CMD_LINE_MAX];
	size_t n;

	if (decode_resp(s, resp, len, dec, sizeof(dec), &n) != 0)
		return;
	if (s->auth_step != AUTH_LOGIN_PASS) {
		wipe_free(s->login_user);
		/* a NUL in the name: keep one that matches nobody */
		s->login_user = memchr(dec, '\0', n) ? xstrdup("") :
		    xstrndup(dec, n);
		s->auth_step = AUTH_LOGIN_PASS;
		s->state = ST_AUTH;
		reply(s, "334 UGFzc3dvcmQ6");
	} else {
		verdict(s, memchr(dec, '\0', n) == NULL &&
		    (same(s->login_user, strlen(s->login_user),
		    s->conf->auth_user) & same(dec, n, s->conf->auth_pass)),
		    s->login_user, strlen(s->login_user));
		wipe_free(s->login_user);
		s->login_user = NULL;
	}
	explicit_bzero(dec, sizeof(dec));
}

/* auth_line - the client's line in an AUTH exchange. */
static void auth_line(struct session *s, const char *line, size_t len)
{
	if (len == 1 && line[0] == '*') {
		s->state = ready_state(s);
		error(s, "501 5.7.0 Authentication cancelled");
	} else if (s->auth_step == AUTH_PLAIN_RESP) {
		auth_plain(s, line, len);
	} else {
		auth_login(s, line, len);
	}
}

static void do_auth(struct session *s, const struct cmd *c)
{
	if (s->conf->auth_user == NULL) {
		error(s, "503 5.5.1 Authentication not enabled");
		return;
	}
	if (need_helo(s))
		return;
	if (s->user != NULL) {
		error(s, "503 5.5.1 Already authenticated");
	} else if (s->state == ST_MAIL) {
		error(s, "503 5.5.1 AUTH not allowed during a mail "
		    "transaction");
	} else if (c->err != CMD_OK) {
		syntax_error(s, c);
	} else if (c->mech == MECH_OTHER) {
		error(s, "504 5.5.4 Unrecognized authentication type");
	} else if (c->mech == MECH_PLAIN) {
		s->auth_step = AUTH_PLAIN_RESP;
		if (c->resp != NULL)
			auth_plain(s, c->resp, c->resplen);
		else {
			s->state = ST_AUTH;
			reply(s, "334 ");
		}
	} else {
		s->auth_step = AUTH_LOGIN_USER;
		if (c->resp != NULL)
			auth_login(s, c->resp, c->resplen);
		else {
			s->state = ST_AUTH;
			reply(s, "334 VXNlcm5hbWU6");
		}
	}
}

static void command(struct session *s, const struct cmd *c)
{
	switch (c->verb) {
	case CMD_EHLO:
	case CMD_HELO:
		do_helo(s, c);
		break;
	case CMD_MAIL:
		do_mail(s, c);
		break;
	case CMD_RCPT:
		do_rcpt(s, c);
		break;
	case CMD_DATA:
		do_data(s, c);
		break;
	case CMD_AUTH:
		do_auth(s, c);
		break;
	case CMD_RSET:
		if (c->err != CMD_OK) {
			syntax_error(s, c);
			break;
		}
		reset_transaction(s);
		reply(s, "250 2.0.0 Ok");
		break;
	case CMD_NOOP:
		reply(s, "250 2.0.0 Ok");
		break;
	case CMD_QUIT:
		if (c->err != CMD_OK) {
			syntax_error(s, c);
			break;
		}
		s->quit = 1;
		reply(s, "221 2.0.0 Bye");
		close_session(s);
		break;
	case CMD_HELP:
		reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET "
		    "NOOP QUIT%s", s->conf->auth_user ? " AUTH" : "");
		break;
	case CMD_VRFY:
	case CMD_EXPN:
		error(s, "502 5.5.1 VRFY and EXPN are not supported");
		break;
	case CMD_STARTTLS:
		error(s, "502 5.5.1 STARTTLS is not supported");
		break;
	default:
		error(s, "500 5.5.2 Command not recognized");
		break;
	}
}

/* line - one complete input line, or what was wrong with it. */
static void line(struct session *s, enum cmd_line_status st,
    const char *p, size_t len)
{
	struct cmd c;

	if (st != LINE_OK && s->state == ST_AUTH) {
		s->state = ready_state(s);	/* the exchange is over */
		wipe_free(s->login_user);
		s->login_user = NULL;
	}
	switch (st) {
	case LINE_TOO_LONG:
		error(s, "500 5.5.2 Line too long");
		return;
	case LINE_BARE_LF:
		error(s, "500 5.5.2 Bare LF received; lines must end with "
		    "CRLF");
		return;
	case LINE_NUL:
		error(s, "500 5.5.2 NUL byte received");
		return;
	default:
		break;
	}
	if (s->state == ST_AUTH) {
		auth_line(s, p, len);
		return;
	}
	cmd_parse(p, len, &c);
	command(s, &c);
}

/* step - use some of the input; 0 when it must wait for more. */
static size_t step(struct session *s, const char *p, size_t len)
{
	enum cmd_line_status st;
	size_t linelen, used;
	int done;

	if (s->state == ST_DATA)
		return data_step(s, p, len);
	if (s->skipping) {
		used = cmd_skip(p, len, &done);
		s->skipping = !done;
		s->lines += done;
		return used;
	}
	st = cmd_line(p, len, CMD_LINE_MAX, &linelen, &used);
	if (st == LINE_MORE)
		return 0;
	s->lines++;
	if (st == LINE_TOO_LONG && p[used - 1] != '\n')
		s->skipping = 1;
	line(s, st, p, linelen);
	return used;
}

/* process - take commands and data from the input while the session
 * can; then drop what was used. */
static void process(struct session *s)
{
	size_t n;

	while (s->pos < s->in.len) {
		if (s->state == ST_CLOSED) {
			s->pos = s->in.len;	/* e.g. after QUIT */
			break;
		}
		if (!session_wants_input(s))
			break;
		if (s->state != ST_DATA && s->h->backlog != NULL &&
		    s->h->backlog(s->h->arg))
			break;		/* replies first */
		n = step(s, s->in.data + s->pos, s->in.len - s->pos);
		if (n == 0)
			break;
		s->pos += n;
	}
	buf_consume(&s->in, s->pos);
	s->pos = 0;
}

void session_input(struct session *s, const char *data, size_t len)
{
	if (s->state == ST_CLOSED)
		return;
	buf_append(&s->in, data, len);
	process(s);
}

void session_mail_done(struct session *s, const struct pipe_result *r)
{
	if (!s->mail_running)
		return;
	s->mail_running = 0;
	if (s->state == ST_DATA) {
		s->result = *r;		/* the reply waits for the final dot */
		s->have_result = 1;
	} else if (s->state == ST_WAIT_RESULT) {
		finish(s, r);
		process(s);
	} else {
		struct buf b;

		buf_init(&b);
		exitmap_reply(r, &b);
		log_transaction(s, b.data, r);	/* the client is gone */
		buf_free(&b);
		reset_transaction(s);
		s->state = ST_CLOSED;
	}
}

void session_resume(struct session *s)
{
	if (s->state != ST_WAIT_AUTH)
		return;
	flush_pending(s);
	process(s);
}

unsigned long session_lines(const struct session *s)
{
	return s->lines;
}

void session_timeout(struct session *s)
{
	if (s->state == ST_CLOSED || s->state == ST_WAIT_RESULT)
		return;
	log_line(s, "idle timeout%s, session closed",
	    s->state == ST_DATA ? " during DATA (mail discarded)" : "");
	reply(s, "421 4.4.2 %s Error: timeout exceeded", s->conf->hostname);
	close_session(s);
}

void session_eof(struct session *s)
{
	if (s->state == ST_CLOSED)
		return;
	if (s->state == ST_DATA) {
		log_line(s, "connection lost during DATA (mail discarded)");
		abort_mail(s);
	}
	s->state = ST_CLOSED;
}

void session_shutdown(struct session *s)
{
	if (s->state == ST_CLOSED)
		return;
	if (s->state == ST_WAIT_RESULT) {
		s->shutdown = 1;
		return;
	}
	reply(s, "421 4.3.2 %s Service shutting down", s->conf->hostname);
	close_session(s);
}
