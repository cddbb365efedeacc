/*
 * conn_tls - TLS between a conn's socket and its lines: the handshake,
 * decrypting records into lines, encrypting what the owner writes, and
 * the close_notify at the end. The records themselves are tls.c's.
 */
#include "smtp/conn.h"

#include <stdlib.h>

#include "smtp/conn_impl.h"
#include "smtp/tls.h"
#include "util/buf.h"

/* conn_flush_tls - send what GnuTLS produced: with nothing queued
 * before it (the usual case), the records' storage becomes the queue's
 * instead of being copied into it. */
void conn_flush_tls(struct conn *c)
{
	struct buf *o = tls_output(c->tls);
	struct buf spare;

	if (o->len == 0 || c->dead)
		return;
	if (c->queued.len > 0) {
		buf_append(&c->queued, o->data, o->len);
		buf_reset(o);
	} else {
		spare = c->queued;
		c->queued = *o;
		*o = spare;
	}
	if (!c->writing)
		conn_start_write(c);
}

/* conn_fail_tls - conn_fail with a message that tls.c allocated. */
void conn_fail_tls(struct conn *c, enum smtp_terr terr, char *msg)
{
	conn_fail(c, terr, "%s", msg ? msg : "TLS failure");
	free(msg);
}

/* tls_handshake_step - go on with the handshake; 1 once it is done. */
static int tls_handshake_step(struct conn *c)
{
	enum smtp_terr terr = TERR_TLS;
	char *msg = NULL;
	int rc;

	rc = tls_handshake(c->tls, &terr, &msg);
	conn_flush_tls(c);
	if (rc == TLS_AGAIN)
		return 0;
	if (rc == TLS_FAIL) {
		conn_fail_tls(c, terr, msg);
		return 0;
	}
	c->tls_state = TLS_ON;
	c->cb(c, CONN_TLS_READY, NULL, 0, c->arg);
	return !c->dead;
}

/* conn_tls_pump - feed the handshake or decrypt records into lines. */
void conn_tls_pump(struct conn *c)
{
	char *msg = NULL;
	ssize_t n;

	if (c->tls_state == TLS_HANDSHAKE && !tls_handshake_step(c))
		return;
	while (!c->dead) {
		buf_reserve(&c->in, 16384);
		n = tls_recv(c->tls, c->in.data + c->in.len,
		    c->in.cap - c->in.len - 1, &msg);
		if (n == TLS_AGAIN)
			return;
		if (n == TLS_FAIL) {
			conn_fail_tls(c, TERR_IO, msg);
			return;
		}
		if (n == 0) {
			conn_fail(c, TERR_CLOSED,
			    "the server sent an empty reply");
			return;
		}
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		conn_deliver_lines(c);
	}
}

/* conn_begin_tls - the handshake starts, with nothing left unread. */
void conn_begin_tls(struct conn *c)
{
	if (c->in.len > 0) {
		conn_fail(c, TERR_BADREPLY, "command STARTTLS failed");
		return;
	}
	c->tls_state = TLS_HANDSHAKE;
	conn_tls_pump(c);
}

void conn_start_tls(struct conn *c, struct tls *t)
{
	if (c->dead || c->tls != NULL) {
		tls_free(t);
		return;
	}
	c->tls = t;
	c->tls_state = TLS_STARTING;
	if (!c->delivering)
		conn_begin_tls(c);
}

struct tls *conn_tls(const struct conn *c)
{
	return c->tls_state == TLS_ON ? c->tls : NULL;
}

/* conn_say_goodbye - a best-effort TLS close_notify before the socket goes. */
void conn_say_goodbye(struct conn *c)
{
	struct buf *o;
	uv_buf_t b;

	if (c->dead || c->tls_state != TLS_ON || !c->stream_open || c->writing)
		return;
	tls_bye(c->tls);
	o = tls_output(c->tls);
	b = uv_buf_init(o->data, (unsigned int)o->len);
	if (o->len > 0)
		(void)uv_try_write(c->stream, &b, 1);
	buf_reset(o);
}
