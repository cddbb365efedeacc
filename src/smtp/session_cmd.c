/*
 * session_cmd - the command writer of the SMTP session: each state's
 * command line, formatted into s->out, traced, and written in one write
 * with whatever else is collected (with PIPELINING a transaction's MAIL,
 * RCPT and DATA, and the next mail's behind the final dot).
 *
 * SECURITY: no command line holding a CR, LF or NUL is ever written
 * (line_breaks()): such a line would reach the server as more than one
 * command, so it is taken back and the step fails in sess_flush_out().
 */
#include "smtp/session_impl.h"

#include <stdarg.h>
#include <string.h>

#include "smtp/conn.h"
#include "util/escape.h"

/*
 * line_breaks - whether the command line just put in s->out from start
 * on holds a CR, LF or NUL (an envelope address, EHLO name or ETRN
 * argument that did). Such a line would reach the server as more than
 * one command, so it is taken back, neither traced nor written, and
 * sess_flush_out() fails the step instead of writing.
 */
static int line_breaks(struct smtp_session *s, size_t start)
{
	if (!escape_breaks_line(s->out.data + start, s->out.len - start))
		return 0;
	s->out.len = start;
	s->out.data[start] = '\0';
	s->bad_line = 1;
	return 1;
}

void sess_send_line(struct smtp_session *s, const char *fmt, ...)
{
	size_t start = s->out.len;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	if (line_breaks(s, start))
		return;
	if (s->p.trace != NULL)
		s->p.trace("--> ", s->out.data + start, s->out.len - start,
		    s->p.trace_arg);
	buf_append(&s->out, "\r\n", 2);
}

/* sess_send_masked - write line, but trace shown (credentials hidden). */
void sess_send_masked(struct smtp_session *s, const struct buf *line,
    const struct buf *shown)
{
	size_t start = s->out.len;

	buf_append(&s->out, line->data, line->len);
	if (line_breaks(s, start))
		return;
	if (s->p.trace != NULL)
		s->p.trace("--> ", shown->data, shown->len, s->p.trace_arg);
	buf_append(&s->out, "\r\n", 2);
}

/* sess_flush_out - send what sess_send_line() collected, as one write;
 * or, if a line was refused, nothing, and the step fails (EX_SOFTWARE,
 * held by the queue: retrying would send the same line). */
void sess_flush_out(struct smtp_session *s)
{
	if (s->bad_line) {
		s->bad_line = 0;
		buf_reset(&s->out);
		smtp_classify(sess_stage_of(s->state), TERR_SOFTWARE, NULL,
		    &s->result.outcome);
		sess_fail(s, "refusing to send an SMTP command with a line "
		    "break (CR, LF or NUL) in an address or argument");
		return;
	}
	if (s->out.len > 0)
		conn_write(s->conn, s->out.data, s->out.len);
	buf_reset(&s->out);
	conn_wait(s->conn, 1);
}

static void add_rcpt_cmd(struct smtp_session *s, const struct smtp_mail *m,
    size_t i)
{
	sess_send_line(s, "RCPT TO:<%s>%s", m->rcpts[i],
	    m->rcpt_params ? m->rcpt_params : "");
}

/* put_mail_cmds - MAIL for m, and with PIPELINING every RCPT and DATA
 * too, into s->out. */
static void put_mail_cmds(struct smtp_session *s, const struct smtp_mail *m)
{
	size_t i;

	sess_send_line(s, "MAIL FROM:<%s>%s%s", m->from,
	    m->mail_params ? m->mail_params : "",
	    m->smtputf8 && (s->caps.flags & CAP_SMTPUTF8) ? " SMTPUTF8" : "");
	s->pipelined = (s->caps.flags & CAP_PIPELINING) != 0;
	if (!s->pipelined)
		return;
	for (i = 0; i < m->nrcpts; i++)
		add_rcpt_cmd(s, m, i);
	sess_send_line(s, "DATA");
}

/* sess_put_next_cmds - the next transaction's commands behind the final dot
 * (RFC 2920 lets mail data open a group of commands). A next mail with a
 * refused line is forgotten, none of its lines written: sent on its own
 * later, it fails then, and the mail before it is not harmed. */
void sess_put_next_cmds(struct smtp_session *s)
{
	size_t start = s->out.len;

	if (s->next == NULL)
		return;
	put_mail_cmds(s, s->next);
	if (s->bad_line) {
		s->bad_line = 0;
		s->out.len = start;
		s->out.data[start] = '\0';
		s->next = NULL;
	}
}

void sess_enter_state(struct smtp_session *s, enum state st)
{
	s->state = st;
	switch (st) {
	case ST_EHLO:
		sess_send_line(s, "%s %s", s->p.lmtp ? "LHLO" : "EHLO",
		    s->helo_domain);
		break;
	case ST_HELO:
		sess_send_line(s, "HELO %s", s->helo_domain);
		break;
	case ST_RSET:
		sess_send_line(s, "RSET");
		break;
	case ST_MAIL:
		put_mail_cmds(s, s->mail);
		break;
	case ST_RCPT:
		add_rcpt_cmd(s, s->mail, s->rcpt_next);
		break;
	case ST_DATA:
		sess_send_line(s, "DATA");
		break;
	case ST_STARTTLS:
		sess_send_line(s, "STARTTLS");
		break;
	case ST_ETRN:
		sess_send_line(s, "ETRN %s", s->etrn_arg);
		break;
	case ST_QUIT:
	case ST_QUIT_FAIL:
		sess_send_line(s, "QUIT");
		break;
	default:
		return;
	}
	sess_flush_out(s);
}
