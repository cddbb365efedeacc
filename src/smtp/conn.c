/*
 * conn - a client connection on a libuv loop; see conn.h. This file owns
 * the conn's life: creating it, failing it once, and freeing it when the
 * owner has closed it and libuv has let go of every handle and request.
 * The other parts are conn_connect.c (resolving and connecting),
 * conn_race.c (Happy Eyeballs over the addresses), conn_socks.c (the SOCKS5 steps), conn_deadline.c (the timeout),
 * conn_io.c (reading lines, writing bytes) and conn_tls.c (TLS over
 * the socket); conn_impl.h is what they share.
 */
#include "smtp/conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/conn_impl.h"
#include "smtp/tls.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* conn_fail - report an error once and stop every further event. */
void conn_fail(struct conn *c, enum smtp_terr terr, const char *fmt, ...)
{
	va_list ap;

	if (c->dead)
		return;
	c->dead = 1;
	c->terr = terr;
	va_start(ap, fmt);
	if (vasprintf(&c->errmsg, fmt, ap) < 0)
		c->errmsg = NULL;
	va_end(ap);
	uv_timer_stop(&c->timer);
	if (c->stream_open)
		uv_read_stop(c->stream);
	c->cb(c, CONN_ERROR, NULL, 0, c->arg);
}

/* conn_uv_errstr - libuv errors are negated errno values on Unix: use the C
 * library's text, as msmtp's messages do ("Connection refused"). */
const char *conn_uv_errstr(int err)
{
	if (err < 0 && err > -4096 && err != UV_EOF)
		return strerror(-err);
	return uv_strerror(err);
}

/* conn_release - drop one reference; the last one, after conn_close(),
 * frees. */
void conn_release(struct conn *c)
{
	if (--c->refs > 0 || !c->closed)
		return;
	if (c->ai_list != NULL)
		uv_freeaddrinfo(c->ai_list);
	free(c->attempts);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->queued);
	buf_free(&c->raw);
	tls_free(c->tls);
	free(c->host);
	free(c->target_host);
	free((char *)c->route.source_ip);
	free((char *)c->route.proxy_host);
	free((char *)c->route.socket);
	buf_free(&c->socks_out);
	free(c->errmsg);
	free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	conn_release(h->data);
}

struct conn *conn_new(uv_loop_t *loop, conn_cb cb, void *arg)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->queued);
	buf_init(&c->raw);
	buf_init(&c->socks_out);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_timer_init(loop, &c->stagger);
	c->stagger.data = c;
	uv_idle_init(loop, &c->written);
	c->written.data = c;
	c->refs = 3;	/* the two timers and the idle */
	return c;
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	conn_say_goodbye(c);
	c->closed = 1;
	c->dead = 1;
	uv_timer_stop(&c->timer);
	/* A lookup in progress still calls on_resolved, which releases. */
	if (c->gai_pending)
		uv_cancel((uv_req_t *)&c->gai);
	conn_race_close(c);
	if (c->stream_open) {
		c->stream_open = 0;
		uv_close((uv_handle_t *)c->stream, on_handle_closed);
	}
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->stagger, on_handle_closed);
	uv_close((uv_handle_t *)&c->written, on_handle_closed);
}

enum smtp_terr conn_terr(const struct conn *c)
{
	return c->terr;
}

const char *conn_errmsg(const struct conn *c)
{
	return c->errmsg ? c->errmsg : "unknown error";
}

const unsigned char *conn_peer_cert(const struct conn *c, size_t *len)
{
	return c->tls != NULL ? tls_peer_der(c->tls, len) : NULL;
}
