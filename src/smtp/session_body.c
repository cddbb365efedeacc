/*
 * session_body - the mail's body pump: pulled from mail->read in chunks
 * of BODY_CHUNK, converted to CRLF and dot-stuffed (dotstuff.h), traced
 * as msmtp's -d shows it, and written chunk by chunk as the transport
 * drains (CONN_WRITTEN), so that the mail's size does not matter to
 * memory use.
 */
#include "smtp/session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"

/* trace_body - the encoded mail in s->out, line by line, as msmtp's -d
 * shows it; a line cut by the chunk waits in trace_carry. */
static void trace_body(struct smtp_session *s)
{
	const char *p, *end, *nl;

	if (s->p.trace == NULL)
		return;
	buf_append(&s->trace_carry, s->out.data, s->out.len);
	p = s->trace_carry.data;
	end = p + s->trace_carry.len;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		s->p.trace("--> ", p, (size_t)(nl - p) -
		    (nl > p && nl[-1] == '\r'), s->p.trace_arg);
		p = nl + 1;
	}
	buf_consume(&s->trace_carry, (size_t)(p - s->trace_carry.data));
}

/* sess_pump_body - encode and send the next chunk of the mail, or the end. A
 * mail shorter than a chunk goes out with its final dot in one write:
 * one segment, and one wakeup of the server, per mail. */
void sess_pump_body(struct smtp_session *s)
{
	char *errstr = NULL;
	ssize_t n;

	do {
		n = s->mail->read(s->mail->read_arg, s->chunk, BODY_CHUNK,
		    &errstr);
		if (n < 0) {
			smtp_classify(STAGE_BODY, TERR_LOCAL, NULL,
			    &s->result.outcome);
			sess_fail(s, "%s",
			    errstr ? errstr : "cannot read the mail");
			free(errstr);
			return;
		}
		if (n == 0) {
			dotstuff_finish(&s->ds, &s->out);
			trace_body(s);
			s->result.mailsize = s->ds.mailsize;
			s->state = ST_EOM;
			s->eom_next = 0;
			sess_put_next_cmds(s);
			sess_flush_out(s);
			return;
		}
		dotstuff_encode(&s->ds, s->chunk, (size_t)n, &s->out);
	} while (s->out.len < BODY_CHUNK);
	trace_body(s);
	conn_write(s->conn, s->out.data, s->out.len);
	buf_reset(&s->out);
}
