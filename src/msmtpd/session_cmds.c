/*
 * session_cmds - the command dispatch of an msmtpd session: one parsed
 * command line to its handler, with EHLO/HELO, MAIL, RCPT and the simple
 * commands here; DATA is in session_mail.c, AUTH in session_auth.c. See
 * session_impl.h.
 */
#include "msmtpd/session.h"

#include <string.h>

#include "msmtpd/cmd.h"
#include "msmtpd/session_impl.h"
#include "util/buf.h"
#include "util/strlist.h"

/* msd_need_helo - refuse a command that needs EHLO/HELO first; 1 if so. */
int msd_need_helo(struct session *s)
{
	if (s->state != ST_GREET)
		return 0;
	msd_error(s, "503 5.5.1 Send EHLO or HELO first");
	return 1;
}

/* ehlo_reply - the EHLO greeting with the extensions offered. */
static void ehlo_reply(struct session *s)
{
	struct buf b;

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

static void do_helo(struct session *s, const struct cmd *c)
{
	if (c->err != CMD_OK) {
		msd_error(s, c->verb == CMD_EHLO ?
		    "501 5.5.4 Syntax: EHLO hostname" :
		    "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	cmd_helo_name(c->arg, c->arglen, s->helo, sizeof(s->helo));
	s->esmtp = c->verb == CMD_EHLO;
	msd_reset_transaction(s);
	if (s->esmtp)
		ehlo_reply(s);
	else
		msd_reply(s, "250 %s", s->conf->hostname);
}

/* msd_syntax_error - the reply for c->err. */
void msd_syntax_error(struct session *s, const struct cmd *c)
{
	switch (c->err) {
	case CMD_EADDR:
		msd_error(s, c->verb == CMD_MAIL ?
		    "501 5.1.7 Bad sender address syntax" :
		    "501 5.1.3 Bad recipient address syntax");
		break;
	case CMD_EPARAM:
		msd_error(s, "555 5.5.4 Unsupported parameter");
		break;
	case CMD_ESIZE:
		msd_error(s, "501 5.5.4 Bad SIZE parameter");
		break;
	case CMD_EARG:
		msd_error(s, "501 5.5.4 Syntax error: no parameters allowed");
		break;
	default:
		msd_error(s, c->verb == CMD_MAIL ?
		    "501 5.5.4 Syntax: MAIL FROM:<address>" :
		    c->verb == CMD_RCPT ?
		    "501 5.5.4 Syntax: RCPT TO:<address>" :
		    "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
		break;
	}
}

static void do_mail(struct session *s, const struct cmd *c)
{
	if (msd_need_helo(s))
		return;
	if (s->state == ST_MAIL) {
		msd_error(s, "503 5.5.1 Nested MAIL command");
	} else if (s->conf->auth_user != NULL && s->user == NULL) {
		msd_error(s, "530 5.7.0 Authentication required");
	} else if (c->err != CMD_OK) {
		msd_syntax_error(s, c);
	} else if (c->has_size && s->conf->max_size > 0 &&
	    c->size > s->conf->max_size) {
		msd_reply(s, "552 5.3.4 Message size exceeds fixed maximum "
		    "message size");
	} else {
		memcpy(s->from, c->addr, sizeof(s->from));
		s->state = ST_MAIL;
		msd_reply(s, "250 2.1.0 Ok");
	}
}

static void do_rcpt(struct session *s, const struct cmd *c)
{
	if (msd_need_helo(s))
		return;
	if (s->state != ST_MAIL)
		msd_error(s, "503 5.5.1 Need MAIL before RCPT");
	else if (c->err != CMD_OK)
		msd_syntax_error(s, c);
	else if (s->rcpts.n >= s->conf->max_rcpts)
		msd_reply(s, "452 4.5.3 Too many recipients");
	else {
		strlist_add(&s->rcpts, c->addr);
		msd_reply(s, "250 2.1.5 Ok");
	}
}

static void do_rset(struct session *s, const struct cmd *c)
{
	if (c->err != CMD_OK) {
		msd_syntax_error(s, c);
		return;
	}
	msd_reset_transaction(s);
	msd_reply(s, "250 2.0.0 Ok");
}

static void do_noop(struct session *s, const struct cmd *c)
{
	(void)c;
	msd_reply(s, "250 2.0.0 Ok");
}

static void do_quit(struct session *s, const struct cmd *c)
{
	if (c->err != CMD_OK) {
		msd_syntax_error(s, c);
		return;
	}
	s->quit = 1;
	msd_reply(s, "221 2.0.0 Bye");
	msd_close(s);
}

static void do_help(struct session *s, const struct cmd *c)
{
	(void)c;
	msd_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
	    "QUIT%s", s->conf->auth_user ? " AUTH" : "");
}

/* do_unsupported - commands known but not offered, and unknown ones. */
static void do_unsupported(struct session *s, const struct cmd *c)
{
	switch (c->verb) {
	case CMD_VRFY:
	case CMD_EXPN:
		msd_error(s, "502 5.5.1 VRFY and EXPN are not supported");
		return;
	case CMD_STARTTLS:
		msd_error(s, "502 5.5.1 STARTTLS is not supported");
		return;
	default:
		msd_error(s, "500 5.5.2 Command not recognized");
		return;
	}
}

void msd_command(struct session *s, const struct cmd *c)
{
	switch (c->verb) {
	case CMD_EHLO:
	case CMD_HELO:
		do_helo(s, c);
		return;
	case CMD_MAIL:
		do_mail(s, c);
		return;
	case CMD_RCPT:
		do_rcpt(s, c);
		return;
	case CMD_DATA:
		msd_do_data(s, c);
		return;
	case CMD_AUTH:
		msd_do_auth(s, c);
		return;
	case CMD_RSET:
		do_rset(s, c);
		return;
	case CMD_NOOP:
		do_noop(s, c);
		return;
	case CMD_QUIT:
		do_quit(s, c);
		return;
	case CMD_HELP:
		do_help(s, c);
		return;
	default:
		do_unsupported(s, c);
		return;
	}
}
