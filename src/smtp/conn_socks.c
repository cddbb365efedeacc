/*
 * conn_socks - the SOCKS5 steps of a conn with a proxy route: the
 * greeting, then CONNECT to the server, one message in flight at a time;
 * the messages themselves are socks5.c's.
 */
#include "smtp/conn.h"

#include "smtp/conn_impl.h"
#include "smtp/socks5.h"
#include "util/buf.h"

static void on_socks_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	if (c->dead || status == UV_ECANCELED)
		return;
	if (status < 0)
		conn_fail(c, TERR_IO, "network write error: %s",
		    conn_uv_errstr(status));
}

/* socks_send - one SOCKS message, already in socks_out. The proxy
 * answers each before the next is sent, so one write is in flight at
 * a time. */
static void socks_send(struct conn *c)
{
	uv_buf_t b = uv_buf_init(c->socks_out.data,
	    (unsigned int)c->socks_out.len);
	int err;

	c->socks_wreq.data = c;
	err = uv_write(&c->socks_wreq, c->stream, &b, 1, on_socks_written);
	if (err < 0)
		conn_fail(c, TERR_IO, "network write error: %s",
		    conn_uv_errstr(err));
	else
		conn_restart_timer(c);	/* the proxy's answer, in time */
}

void conn_socks_begin(struct conn *c)
{
	c->socks = SOCKS_METHOD;
	buf_reset(&c->socks_out);
	socks5_greeting(&c->socks_out);
	socks_send(c);
}

/* conn_socks_read - the proxy's replies, then the server's lines. */
void conn_socks_read(struct conn *c, ssize_t n)
{
	const char *err = "unexpected reply";
	long used;

	if (n == UV_EOF) {
		conn_fail(c, TERR_PROXY, "proxy failure: %s", err);
		return;
	}
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	while (c->socks != SOCKS_OFF) {
		used = c->socks == SOCKS_METHOD ?
		    socks5_method_reply((unsigned char *)c->in.data,
		    c->in.len, &err) :
		    socks5_connect_reply((unsigned char *)c->in.data,
		    c->in.len, &err);
		if (used < 0) {
			conn_fail(c, TERR_PROXY, "proxy failure: %s", err);
			return;
		}
		if (used == 0)
			return;
		buf_consume(&c->in, (size_t)used);
		if (c->socks == SOCKS_CONNECT) {
			c->socks = SOCKS_OFF;
			conn_connected(c);
			return;
		}
		c->socks = SOCKS_CONNECT;
		buf_reset(&c->socks_out);
		if (socks5_connect(&c->socks_out, c->target_host,
		    c->target_port) < 0) {
			conn_fail(c, TERR_PROXY, "proxy failure: host name too "
			    "long");
			return;
		}
		socks_send(c);
	}
}
