/*
 * conn_io - the bytes of a conn: reading, splitting what arrives into
 * lines for the owner, and writing what the owner queues (through
 * conn_tls.c once TLS is on).
 *
 * SECURITY: bytes from the server are split into lines here; a line
 * longer than SMTP_LINE_MAX ends the connection as a protocol error
 * instead of growing the buffer without bound. With TLS, what arrives
 * goes to GnuTLS (tls.c) and only its plaintext reaches the line
 * splitter; clear text received after the STARTTLS reply is refused.
 */
#include "smtp/conn.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "smtp/conn_impl.h"
#include "smtp/reply.h"
#include "smtp/tls.h"
#include "util/buf.h"

void conn_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;
	struct buf *in = c->tls != NULL ? &c->raw : &c->in;

	(void)hint;
	buf_reserve(in, 16384);
	b->base = in->data + in->len;
	b->len = in->cap - in->len - 1;
}

/* conn_deliver_lines - hand every complete line to the owner. */
void conn_deliver_lines(struct conn *c)
{
	size_t start = 0, len;
	char *nl;

	c->delivering = 1;
	while (!c->dead && c->tls_state != TLS_STARTING &&
	    (nl = memchr(c->in.data + start, '\n',
	    c->in.len - start)) != NULL) {
		len = (size_t)(nl - (c->in.data + start));
		if (len > 0 && c->in.data[start + len - 1] == '\r')
			len--;
		c->cb(c, CONN_LINE, c->in.data + start, len, c->arg);
		start = (size_t)(nl - c->in.data) + 1;
	}
	c->delivering = 0;
	if (c->dead)
		return;
	buf_consume(&c->in, start);
	if (c->tls_state == TLS_STARTING) {
		conn_begin_tls(c);
		return;
	}
	if (c->in.len > SMTP_LINE_MAX)
		conn_fail(c, TERR_BADREPLY, "the server sent an invalid reply");
}

/* quick_ack - acknowledge what was just read at once, unless what was
 * read made us write (a segment of ours carries the ACK anyway). A
 * server that answers one group of pipelined commands in two writes,
 * with Nagle's algorithm on, holds back the second until the first is
 * acknowledged (smtp-sink does so with the reply to a final dot and
 * those to the next transaction's commands behind it), and a client
 * with nothing to send meanwhile would delay that ACK for 40 ms. Linux
 * forgets TCP_QUICKACK, so it is asked for after every such read; after
 * the others it would cost a pure ACK segment through the stack of both
 * ends (a twentieth of a runner's CPU). */
static void quick_ack(struct conn *c)
{
#ifdef TCP_QUICKACK
	uv_os_fd_t fd;
	int on = 1;

	if (c->route.socket == NULL &&
	    uv_fileno((uv_handle_t *)c->stream, &fd) == 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on,
		    sizeof(on));
#else
	(void)c;
#endif
}

void conn_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;
	unsigned long writes;

	(void)b;
	if (c->dead || n == 0)	/* 0: nothing this time (EAGAIN) */
		return;
	if (c->socks != SOCKS_OFF && (n > 0 || n == UV_EOF)) {
		conn_socks_read(c, n);
		return;
	}
	if (n == UV_EOF && c->tls == NULL) {
		conn_fail(c, TERR_CLOSED, "the server sent an empty reply");
		return;
	}
	if (n < 0 && n != UV_EOF) {
		conn_fail(c, TERR_IO, "network read error: %s",
		    conn_uv_errstr((int)n));
		return;
	}
	/* No new deadline for bytes: a reply must come whole in time
	 * (conn_reply_done()), however slowly it drips. */
	writes = c->writes;
	if (c->tls != NULL) {
		/* TLS records: GnuTLS takes them (n == UV_EOF: the end). */
		if (n > 0) {
			c->raw.len += (size_t)n;
			tls_take(c->tls, &c->raw);
		} else
			tls_feed(c->tls, NULL, 0);
		if (c->tls_state != TLS_STARTING)
			conn_tls_pump(c);
	} else {
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		conn_deliver_lines(c);
	}
	/* The conn outlives this callback (conn.c frees it after its
	 * handles close), whatever the owner did meanwhile. */
	if (n > 0 && !c->dead && c->writes == writes)
		quick_ack(c);
}

/* write_done - the write in progress is over: the next one, if more was
 * queued meanwhile, else CONN_WRITTEN. */
static void write_done(struct conn *c)
{
	c->writing = 0;
	buf_reset(&c->out);
	if (c->queued.len > 0) {
		conn_start_write(c);
		return;
	}
	conn_restart_timer(c);
	c->cb(c, CONN_WRITTEN, NULL, 0, c->arg);
}

static void on_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	if (c->dead) {
		c->writing = 0;
		return;
	}
	if (status < 0) {
		c->writing = 0;
		conn_fail(c, TERR_IO, "network write error: %s",
		    conn_uv_errstr(status));
		return;
	}
	write_done(c);
}

/* on_written_at_once - at the loop's turn after writes that went out at
 * once (its idle handles run just after the pending callbacks, where
 * uv_write() ends its requests): end each, as on_written() ends the
 * others. The owner may write again from CONN_WRITTEN, and that write too
 * may go out at once: it is ended here, in the same turn, rather than
 * through a poll that does not wait. */
static void on_written_at_once(uv_idle_t *h)
{
	struct conn *c = h->data;

	while (c->written_due && !c->dead) {
		c->written_due = 0;
		write_done(c);
	}
	if (c->written_due)	/* the conn failed meanwhile */
		c->writing = 0;
	c->written_due = 0;
	uv_idle_stop(h);
}

/*
 * conn_start_write - send what is queued, as one write.
 *
 * Why write at once: uv_write() of a socket that takes the bytes writes
 * them too, but then ends the request through the loop's queue of
 * pending callbacks, and stopping its (never started) wait for POLLOUT
 * there costs an epoll_ctl() at the next poll: one more system call per
 * write, a mail's worth of them in a runner. uv_try_write() writes what
 * the socket takes; what it does not take (or all of it while the
 * stream is still busy) goes through uv_write(). The owner hears
 * CONN_WRITTEN later in either case, never from within conn_write().
 */
void conn_start_write(struct conn *c)
{
	struct buf tmp = c->out;
	uv_buf_t b;
	int err;

	c->out = c->queued;
	c->queued = tmp;
	buf_reset(&c->queued);
	b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
	c->wreq.data = c;
	c->writing = 1;
	c->writes++;
	err = uv_try_write(c->stream, &b, 1);
	if (err >= 0 && (size_t)err == c->out.len) {
		c->written_due = 1;
		uv_idle_start(&c->written, on_written_at_once);
		conn_restart_timer(c);
		return;
	}
	if (err > 0) {
		b.base += err;
		b.len -= (unsigned int)err;
	}
	if (err >= 0 || err == UV_EAGAIN)
		err = uv_write(&c->wreq, c->stream, &b, 1, on_written);
	if (err < 0) {
		c->writing = 0;
		conn_fail(c, TERR_IO, "network write error: %s",
		    conn_uv_errstr(err));
		return;
	}
	conn_restart_timer(c);
}

void conn_write(struct conn *c, const char *data, size_t len)
{
	char *msg = NULL;

	if (c->dead)
		return;
	c->writes++;
	if (c->tls_state == TLS_ON) {
		if (tls_send(c->tls, data, len, &msg) != TLS_DONE) {
			conn_fail_tls(c, TERR_IO, msg);
			return;
		}
		conn_flush_tls(c);
		return;
	}
	buf_append(&c->queued, data, len);
	if (!c->writing)
		conn_start_write(c);
}
