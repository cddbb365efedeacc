/*
 * session - msmtpd's SMTP state machine; see session.h. This file owns
 * the session's life cycle, the helpers the other parts share (replies,
 * log lines, errors, closing; session_impl.h), the input loop that frames
 * the client's lines (an overlong one skipped to its end, each whole line
 * counted for the server's per-line deadline) and hands them to the
 * command dispatch (session_cmds.c), the AUTH exchange (session_auth.c)
 * or the mail (session_mail.c), and the server's events: timeout, EOF,
 * shutdown, the command's verdict, the end of a wait.
 *
 * SECURITY: commands are parsed by cmd.c and the mail decoded by data.c,
 * both bounded; what the client says reaches a log line or a reply only
 * after msd_printable() (or cmd.c's address check) made it printable
 * ASCII.
 */
#include "msmtpd/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msmtpd/cmd.h"
#include "msmtpd/data.h"
#include "msmtpd/session_impl.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/xalloc.h"

static void process(struct session *s);

/* msd_printable - bytes from the client, fit for a log line or a reply. */
void msd_printable(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(out, c >= 0x20 && c < 0x7f && c != '\'' ? (char)c :
		    '?');
	}
}

/* msd_reply - one reply line (CRLF added) to the client. */
void msd_reply(struct session *s, const char *fmt, ...)
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

/* msd_log - one log line, the client named first. */
void msd_log(struct session *s, const char *fmt, ...)
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

/* msd_abort_mail - give up the mail in progress, if the command still runs. */
void msd_abort_mail(struct session *s)
{
	if (s->mail_running && s->state == ST_DATA) {
		s->mail_running = 0;
		s->h->mail_abort(s->h->arg);
	}
}

/* msd_close - no more input is looked at; the server closes. */
void msd_close(struct session *s)
{
	msd_abort_mail(s);
	s->state = ST_CLOSED;
	s->h->close(s->h->arg);
}

/* msd_ready_state - where a session without a transaction is. */
enum state msd_ready_state(const struct session *s)
{
	return s->helo[0] != '\0' ? ST_READY : ST_GREET;
}

/* msd_reset_transaction - forget the envelope and the mail. */
void msd_reset_transaction(struct session *s)
{
	s->from[0] = '\0';
	strlist_free(&s->rcpts);
	s->have_result = 0;
	data_init(&s->dec, s->conf->max_size);
	s->state = msd_ready_state(s);
}

/* msd_error - a protocol error reply; too many of them end the session. */
void msd_error(struct session *s, const char *text)
{
	msd_reply(s, "%s", text);
	if (++s->errors < s->conf->max_errors)
		return;
	msd_log(s, "too many errors, session closed");
	msd_reply(s, "421 4.7.0 %s Too many errors, closing connection",
	    s->conf->hostname);
	msd_close(s);
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
	msd_reset_transaction(s);
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
	msd_reply(s, "220 %s ESMTP msmtpd", s->conf->hostname);
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

/* line - one complete input line, or what was wrong with it. */
static void line(struct session *s, enum cmd_line_status st,
    const char *p, size_t len)
{
	struct cmd c;

	if (st != LINE_OK && s->state == ST_AUTH) {
		s->state = msd_ready_state(s);	/* the exchange is over */
		wipe_free(s->login_user);
		s->login_user = NULL;
	}
	switch (st) {
	case LINE_TOO_LONG:
		msd_error(s, "500 5.5.2 Line too long");
		return;
	case LINE_BARE_LF:
		msd_error(s, "500 5.5.2 Bare LF received; lines must end with "
		    "CRLF");
		return;
	case LINE_NUL:
		msd_error(s, "500 5.5.2 NUL byte received");
		return;
	default:
		break;
	}
	if (s->state == ST_AUTH) {
		msd_auth_line(s, p, len);
		return;
	}
	cmd_parse(p, len, &c);
	msd_command(s, &c);
}

/* step - use some of the input; 0 when it must wait for more. */
static size_t step(struct session *s, const char *p, size_t len)
{
	enum cmd_line_status st;
	size_t linelen, used;
	int done;

	if (s->state == ST_DATA)
		return msd_data_step(s, p, len);
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
		msd_finish(s, r);
		process(s);
	} else {
		struct buf b;

		buf_init(&b);
		exitmap_reply(r, &b);
		msd_log_transaction(s, b.data, r);	/* the client is gone */
		buf_free(&b);
		msd_reset_transaction(s);
		s->state = ST_CLOSED;
	}
}

void session_resume(struct session *s)
{
	if (s->state != ST_WAIT_AUTH)
		return;
	msd_flush_pending(s);
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
	msd_log(s, "idle timeout%s, session closed",
	    s->state == ST_DATA ? " during DATA (mail discarded)" : "");
	msd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
	    s->conf->hostname);
	msd_close(s);
}

void session_eof(struct session *s)
{
	if (s->state == ST_CLOSED)
		return;
	if (s->state == ST_DATA) {
		msd_log(s, "connection lost during DATA (mail discarded)");
		msd_abort_mail(s);
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
	msd_reply(s, "421 4.3.2 %s Service shutting down", s->conf->hostname);
	msd_close(s);
}
