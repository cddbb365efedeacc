/*
 * session_mail - the mail of an msmtpd session: DATA starts the command
 * and gives it the Received: header, the mail is decoded (data.c) into
 * it as it arrives, and the transaction ends with the command's verdict
 * (or a refusal of a bad mail) and its one log line. See session_impl.h.
 */
#include "msmtpd/session.h"

#include <stdio.h>
#include <string.h>

#include "msmtpd/cmd.h"
#include "msmtpd/data.h"
#include "msmtpd/session_impl.h"
#include "util/buf.h"
#include "util/sysexit.h"

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

/* msd_log_transaction - the one log line of a transaction. */
void msd_log_transaction(struct session *s, const char *replytext,
    const struct pipe_result *r)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "helo=%s", s->helo);
	if (s->user != NULL) {
		buf_puts(&b, " user=");
		msd_printable(&b, s->user, strlen(s->user));
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
	msd_printable(&b, replytext, strlen(replytext));
	buf_putc(&b, '\'');
	msd_log(s, "%s", b.data);
	buf_free(&b);
}

/* msd_finish - the reply for the command's verdict; the transaction ends. */
void msd_finish(struct session *s, const struct pipe_result *r)
{
	struct buf b;

	buf_init(&b);
	exitmap_reply(r, &b);
	msd_reply(s, "%s", b.data);
	msd_log_transaction(s, b.data, r);
	buf_free(&b);
	msd_reset_transaction(s);
	if (s->shutdown) {
		msd_reply(s, "421 4.3.2 %s Service shutting down",
		    s->conf->hostname);
		msd_close(s);
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
	msd_reply(s, "%s", text);
	msd_log_transaction(s, text, NULL);
	msd_reset_transaction(s);
}

static void end_of_data(struct session *s)
{
	struct pipe_result r;

	if (s->dec.flags != 0) {
		refuse_mail(s);
	} else if (s->have_result) {
		r = s->result;
		r.incomplete = 1;
		msd_finish(s, &r);
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

/* msd_data_step - decode some of the mail; the bytes used. */
size_t msd_data_step(struct session *s, const char *p, size_t len)
{
	size_t n;

	buf_reset(&s->chunk);
	n = data_decode(&s->dec, p, len, &s->chunk);
	s->lines += count_lf(p, n);
	if (s->dec.flags != 0)
		msd_abort_mail(s);
	else if (s->chunk.len > 0 && s->mail_running)
		s->h->mail_data(s->h->arg, s->chunk.data, s->chunk.len);
	if (s->dec.done)
		end_of_data(s);
	return n;
}

void msd_do_data(struct session *s, const struct cmd *c)
{
	struct pipe_result res;
	struct buf b;
	time_t now;

	if (msd_need_helo(s))
		return;
	if (c->err != CMD_OK) {
		msd_syntax_error(s, c);
		return;
	}
	if (s->state != ST_MAIL) {
		msd_error(s, "503 5.5.1 Need MAIL before DATA");
		return;
	}
	if (s->rcpts.n == 0) {
		msd_error(s, "554 5.5.1 No valid recipients");
		return;
	}
	memset(&res, 0, sizeof(res));
	errline_init(&res.err);
	if (s->h->mail_start(s->h->arg, s->from, &s->rcpts, &res) != 0) {
		msd_finish(s, &res);
		return;
	}
	s->mail_running = 1;
	s->have_result = 0;
	data_init(&s->dec, s->conf->max_size);
	s->state = ST_DATA;
	msd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	now = s->h->now != NULL ? s->h->now(s->h->arg) : time(NULL);
	buf_init(&b);
	session_received(&b, s->helo, s->peer, s->conf->hostname, s->esmtp,
	    s->user != NULL, now);
	s->h->mail_data(s->h->arg, b.data, b.len);
	buf_free(&b);
}
