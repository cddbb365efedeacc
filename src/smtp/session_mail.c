/*
 * session_mail - one mail transaction of the SMTP session: MAIL, RCPT
 * (one result per recipient), DATA, the reply or (LMTP) replies after the
 * final dot, and the next mail piped behind that dot
 * (smtp_session_send_next()), which becomes the one in progress when this
 * one ends. The body itself is session_body.c.
 */
#include "smtp/session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"
#include "util/xalloc.h"

/* record_rcpt - keep the reply to RCPT number i. */
static void record_rcpt(struct smtp_session *s, size_t i)
{
	struct smtp_rcpt_result *r = &s->result.rcpts[i];
	struct smtp_outcome o;

	smtp_classify(STAGE_RCPT, TERR_NONE, &s->reply, &o);
	free(r->text);
	r->code = s->reply.code;
	memcpy(r->enh, s->reply.enh, sizeof(r->enh));
	r->cls = o.cls;
	r->text = xstrdup(s->reply.text.data);
}

/* end_transaction - the transaction is over without a final dot (no
 * recipient accepted, in the mode that allows partial results); its
 * outcome is set. */
static void end_transaction(struct smtp_session *s)
{
	s->need_rset = 1;
	s->next = NULL;		/* its commands need RSET first: unsent */
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	sess_finish(s);
}

/* sess_on_rset_reply - RSET before the next mail's MAIL FROM. */
void sess_on_rset_reply(struct smtp_session *s)
{
	if (s->reply.code != 250) {
		sess_fail_reply(s, "the server does not accept RSET");
		return;
	}
	s->need_rset = 0;
	sess_enter_state(s, ST_MAIL);
}

/* sess_on_mail_reply - MAIL FROM answered; RCPT TO next (already out
 * when pipelining). */
void sess_on_mail_reply(struct smtp_session *s)
{
	if (smtp_reply_class(&s->reply) != 2) {
		sess_fail_reply(s, "envelope from address %s not accepted by "
		    "the server", s->mail->from);
		return;
	}
	s->state = ST_RCPT;
	if (!s->pipelined)
		sess_enter_state(s, ST_RCPT);
}

void sess_on_rcpt_reply(struct smtp_session *s)
{
	size_t i = s->rcpt_next++;

	record_rcpt(s, i);
	if (smtp_reply_class(&s->reply) == 2) {
		s->accepted[s->naccepted++] = i;
	} else if (s->mail->all_or_nothing) {
		sess_fail_reply(s, "recipient address %s not accepted by "
		    "the server", s->mail->rcpts[i]);
		return;
	}
	if (s->rcpt_next < s->mail->nrcpts) {
		if (!s->pipelined)
			sess_enter_state(s, ST_RCPT);
		return;
	}
	if (s->naccepted == 0) {
		/* The outcome is the last refusal (with PIPELINING, the
		 * reply to DATA only says that no recipient is left). */
		sess_keep_reply(s);
		smtp_classify(STAGE_RCPT, TERR_NONE, &s->reply,
		    &s->result.outcome);
		if (!s->pipelined) {
			end_transaction(s);
			return;
		}
	}
	if (s->pipelined)
		s->state = ST_DATA;
	else
		sess_enter_state(s, ST_DATA);
}

void sess_on_data_reply(struct smtp_session *s)
{
	if (s->reply.code == 354 && s->naccepted > 0) {
		s->state = ST_BODY;
		conn_wait(s->conn, 0);
		dotstuff_init(&s->ds);
		sess_pump_body(s);
		return;
	}
	if (s->reply.code == 354) {
		/* DATA accepted with no recipient: end it without a mail. */
		sess_fail(s, "the server accepted DATA without recipients");
		return;
	}
	if (s->naccepted == 0) {
		end_transaction(s);
		return;
	}
	sess_fail_reply(s, "the server does not accept mail data");
}

/* begin_transaction - m's transaction is the one in progress. */
static void begin_transaction(struct smtp_session *s,
    const struct smtp_mail *m)
{
	s->mail = m;
	s->rcpt_next = 0;
	s->naccepted = 0;
	free(s->accepted);
	s->accepted = xcalloc(m->nrcpts ? m->nrcpts : 1, sizeof(size_t));
	s->result.nrcpts = m->nrcpts;
	s->result.rcpts = xcalloc(m->nrcpts ? m->nrcpts : 1,
	    sizeof(*s->result.rcpts));
}

/* finish_then_next - report the transaction that ended while the next
 * one, whose commands are out, becomes the one in progress: its replies
 * may follow in the same read, and its callback may pipe another mail.
 * The result reported is moved off the session first, and freed after
 * the callback without touching the session, which the callback may
 * have freed. */
static void finish_then_next(struct smtp_session *s)
{
	struct smtp_result r = s->result;
	smtp_cb cb = s->cb;
	void *arg = s->cb_arg;

	memset(&s->result, 0, sizeof(s->result));
	s->cb = s->next_cb;
	s->cb_arg = s->next_arg;
	begin_transaction(s, s->next);
	s->next = NULL;
	s->state = ST_MAIL;
	if (cb != NULL)
		cb(s, &r, arg);
	sess_result_free(&r);
}

/* transaction_done - the final reply(ies) arrived. */
static void transaction_done(struct smtp_session *s, int all_ok)
{
	sess_keep_reply(s);
	if (!all_ok && s->mail->all_or_nothing) {
		s->state = ST_READY;
		smtp_classify(STAGE_EOM, TERR_NONE, &s->reply,
		    &s->result.outcome);
		if (s->p.lmtp)
			sess_fail(s, "delivery to one or more recipients "
			    "failed");
		else
			sess_fail(s, "the server did not accept the mail");
		return;
	}
	smtp_classify(STAGE_EOM, TERR_NONE, &s->reply, &s->result.outcome);
	if (s->next != NULL) {
		finish_then_next(s);
		return;
	}
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	sess_finish(s);
}

void sess_on_eom_reply(struct smtp_session *s)
{
	size_t i;
	int all_ok = 1;

	if (!s->p.lmtp) {
		/* In SMTP the one reply after the dot stands for all. */
		for (i = 0; i < s->naccepted; i++) {
			record_rcpt(s, s->accepted[i]);
			all_ok = smtp_reply_class(&s->reply) == 2;
		}
		transaction_done(s, all_ok);
		return;
	}
	record_rcpt(s, s->accepted[s->eom_next++]);
	if (s->eom_next < s->naccepted)
		return;
	for (i = 0; i < s->naccepted; i++)
		if (s->result.rcpts[s->accepted[i]].cls != CLASS_OK)
			all_ok = 0;
	transaction_done(s, all_ok);
}

void smtp_session_send(struct smtp_session *s, const struct smtp_mail *m,
    smtp_cb cb, void *arg)
{
	if (!sess_begin_step(s, ST_READY, cb, arg))
		return;
	if (m->nrcpts == 0) {
		/* Nothing would end such a transaction but a hang (a
		 * pipelined DATA) or a crash: never started. */
		smtp_classify(STAGE_MAIL, TERR_LOCAL, NULL, &s->result.outcome);
		sess_fail(s, "the mail has no recipients");
		return;
	}
	begin_transaction(s, m);
	sess_enter_state(s, s->need_rset ? ST_RSET : ST_MAIL);
}

int smtp_session_can_send_next(const struct smtp_session *s)
{
	return s->next == NULL && !s->p.lmtp && s->pipelined &&
	    (s->state == ST_MAIL || s->state == ST_RCPT ||
	    s->state == ST_DATA || s->state == ST_BODY || s->state == ST_EOM);
}

void smtp_session_send_next(struct smtp_session *s,
    const struct smtp_mail *m, smtp_cb cb, void *arg)
{
	if (m->nrcpts == 0)
		return;		/* forgotten: send() refuses it */
	s->next = m;
	s->next_cb = cb;
	s->next_arg = arg;
	if (s->state != ST_EOM)
		return;		/* sent with the dot: sess_pump_body() */
	sess_put_next_cmds(s);
	sess_flush_out(s);
}

int smtp_session_has_mail(const struct smtp_session *s,
    const struct smtp_mail *m)
{
	if (s->next == m)
		return 1;
	return s->mail == m && s->state >= ST_MAIL && s->state <= ST_EOM;
}
