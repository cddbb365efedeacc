/*
 * conn - a client connection on a libuv loop; see conn.h.
 *
 * SECURITY: bytes from the server are split into lines here; a line
 * longer than SMTP_LINE_MAX ends the connection as a protocol error
 * instead of growing the buffer without bound. With TLS, what arrives
 * goes to GnuTLS (tls.c) and only its plaintext reaches the line
 * splitter; clear text received after the STARTTLS reply is refused.
 */
#include "smtp/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/reply.h"
#include "smtp/socks5.h"
#include "smtp/tls.h"
#include "util/buf.h"
#include "util/xalloc.h"

struct conn {
	uv_loop_t		*loop;
	union {
		uv_tcp_t	 tcp;
		uv_pipe_t	 pipe;		/* route.socket */
	} h;
	uv_stream_t		*stream;	/* &h.tcp or &h.pipe */
	uv_timer_t		 timer;
	uv_getaddrinfo_t	 gai;
	uv_connect_t		 connreq;
	uv_write_t		 wreq;

	conn_cb			 cb;
	void			*arg;

	char			*host;		/* what we connect to: the */
	int			 port;		/* server, or its proxy */
	struct conn_route	 route;		/* strings owned */
	char			*target_host;	/* the server, via the proxy */
	int			 target_port;
	enum { SOCKS_OFF, SOCKS_METHOD, SOCKS_CONNECT } socks;
	struct buf		 socks_out;
	uv_write_t		 socks_wreq;
	int			 timeout_ms;
	struct addrinfo		*ai_list;
	struct addrinfo		*ai_next;
	char			 peer[64];
	struct sockaddr_storage	 peer_addr;
	socklen_t		 peer_len;

	struct buf		 in;		/* received, not yet a line */
	struct buf		 out;		/* being written */
	struct buf		 queued;	/* waiting for the write */
	int			 writing;
	int			 waiting;
	int			 connected;
	int			 stream_open;
	int			 gai_pending;
	int			 refs;		/* open handles + pending lookup */
	int			 dead;		/* no more events to the owner */
	int			 closed;	/* the owner called conn_close() */

	struct tls		*tls;
	enum { TLS_OFF, TLS_STARTING, TLS_HANDSHAKE, TLS_ON } tls_state;
	struct buf		 raw;		/* TLS records received */
	int			 delivering;	/* inside deliver_lines() */

	enum smtp_terr		 terr;
	char			*errmsg;
};

static void start_write(struct conn *c);
static void try_next_address(struct conn *c);

/* fail - report an error once and stop every further event. */
static void fail(struct conn *c, enum smtp_terr terr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct conn *c, enum smtp_terr terr, const char *fmt, ...)
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

/* uv_errstr - libuv errors are negated errno values on Unix: use the C
 * library's text, as msmtp's messages do ("Connection refused"). */
static const char *uv_errstr(int err)
{
	if (err < 0 && err > -4096 && err != UV_EOF)
		return strerror(-err);
	return uv_strerror(err);
}

/* gai_errstr - getaddrinfo's own text for a libuv resolver error. */
static const char *gai_errstr(int err)
{
	static const struct { int uv, eai; } map[] = {
		{ UV_EAI_AGAIN, EAI_AGAIN }, { UV_EAI_FAIL, EAI_FAIL },
		{ UV_EAI_NONAME, EAI_NONAME }, { UV_EAI_NODATA, EAI_NODATA },
		{ UV_EAI_FAMILY, EAI_FAMILY }, { UV_EAI_MEMORY, EAI_MEMORY },
		{ UV_EAI_SERVICE, EAI_SERVICE },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].uv == err)
			return gai_strerror(map[i].eai);
	return uv_strerror(err);
}

/* connect_failed - msmtp's words for a connection that did not come
 * up (to the proxy, when there is one). */
static void connect_failed(struct conn *c, int err)
{
	const char *why = err == UV_ETIMEDOUT ? "the operation timed out" :
	    uv_errstr(err);

	if (c->route.socket != NULL)
		fail(c, TERR_CONNECT, "cannot connect to %s: %s", c->host,
		    why);
	else
		fail(c, TERR_CONNECT, "cannot connect to %s, port %d: %s",
		    c->host, c->port, why);
}

/* bind_source - bind the new socket to route.source_ip; 0 on failure
 * (reported). */
static int bind_source(struct conn *c)
{
	struct sockaddr_storage sa;
	int err;

	if (uv_ip4_addr(c->route.source_ip, 0, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(c->route.source_ip, 0, (struct sockaddr_in6 *)&sa) != 0)
		err = UV_EINVAL;
	else
		err = uv_tcp_bind(&c->h.tcp, (const struct sockaddr *)&sa, 0);
	if (err == 0)
		return 1;
	fail(c, TERR_BIND, "cannot bind source ip %s: %s", c->route.source_ip,
	    uv_errstr(err));
	return 0;
}

/* release - drop one reference; the last one, after conn_close(), frees. */
static void release(struct conn *c)
{
	if (--c->refs > 0 || !c->closed)
		return;
	if (c->ai_list != NULL)
		uv_freeaddrinfo(c->ai_list);
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
	release(h->data);
}

/* restart_timer - (re)arm the timeout while something is awaited. */
static void on_timeout(uv_timer_t *t);

static void restart_timer(struct conn *c)
{
	if (c->dead || c->timeout_ms <= 0)
		return;
	/* The loop's clock may be stale: a password prompt may have
	 * blocked it for longer than the timeout. */
	uv_update_time(c->loop);
	if (!c->connected || c->writing || c->waiting)
		uv_timer_start(&c->timer, on_timeout, (uint64_t)c->timeout_ms, 0);
	else
		uv_timer_stop(&c->timer);
}

static void on_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!c->connected) {
		/* This address did not answer in time: try the next one. */
		if (c->ai_next != NULL) {
			try_next_address(c);
			return;
		}
		connect_failed(c, UV_ETIMEDOUT);
		return;
	}
	fail(c, TERR_TIMEOUT, "network %s error: the operation timed out",
	    c->writing ? "write" : "read");
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
	c->refs = 1;
	return c;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;
	struct buf *in = c->tls != NULL ? &c->raw : &c->in;

	(void)hint;
	buf_reserve(in, 16384);
	b->base = in->data + in->len;
	b->len = in->cap - in->len - 1;
}

static void begin_tls(struct conn *c);

/* deliver_lines - hand every complete line to the owner. */
static void deliver_lines(struct conn *c)
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
		begin_tls(c);
		return;
	}
	if (c->in.len > SMTP_LINE_MAX)
		fail(c, TERR_BADREPLY, "the server sent an invalid reply");
}

/* flush_tls - send what GnuTLS produced. */
static void flush_tls(struct conn *c)
{
	struct buf *o = tls_output(c->tls);

	if (o->len == 0 || c->dead)
		return;
	buf_append(&c->queued, o->data, o->len);
	buf_reset(o);
	if (!c->writing)
		start_write(c);
}

/* fail_tls - fail with a message that tls.c allocated. */
static void fail_tls(struct conn *c, enum smtp_terr terr, char *msg)
{
	fail(c, terr, "%s", msg ? msg : "TLS failure");
	free(msg);
}

/* tls_handshake_step - go on with the handshake; 1 once it is done. */
static int tls_handshake_step(struct conn *c)
{
	enum smtp_terr terr = TERR_TLS;
	char *msg = NULL;
	int rc;

	rc = tls_handshake(c->tls, &terr, &msg);
	flush_tls(c);
	if (rc == TLS_AGAIN)
		return 0;
	if (rc == TLS_FAIL) {
		fail_tls(c, terr, msg);
		return 0;
	}
	c->tls_state = TLS_ON;
	c->cb(c, CONN_TLS_READY, NULL, 0, c->arg);
	return !c->dead;
}

/* tls_pump - feed the handshake or decrypt records into lines. */
static void tls_pump(struct conn *c)
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
			fail_tls(c, TERR_IO, msg);
			return;
		}
		if (n == 0) {
			fail(c, TERR_CLOSED, "the server sent an empty reply");
			return;
		}
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		deliver_lines(c);
	}
}

/* begin_tls - the handshake starts, with nothing left unread. */
static void begin_tls(struct conn *c)
{
	if (c->in.len > 0) {
		fail(c, TERR_BADREPLY, "command STARTTLS failed");
		return;
	}
	c->tls_state = TLS_HANDSHAKE;
	tls_pump(c);
}

static void deliver_lines(struct conn *c);
static void connected(struct conn *c);

static void on_socks_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	if (c->dead || status == UV_ECANCELED)
		return;
	if (status < 0)
		fail(c, TERR_IO, "network write error: %s", uv_errstr(status));
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
		fail(c, TERR_IO, "network write error: %s", uv_errstr(err));
	else
		restart_timer(c);	/* the proxy's answer, in time */
}

static void socks_begin(struct conn *c)
{
	c->socks = SOCKS_METHOD;
	buf_reset(&c->socks_out);
	socks5_greeting(&c->socks_out);
	socks_send(c);
}

/* socks_read - the proxy's replies, then the server's lines. */
static void socks_read(struct conn *c, ssize_t n)
{
	const char *err = "unexpected reply";
	long used;

	if (n == UV_EOF) {
		fail(c, TERR_PROXY, "proxy failure: %s", err);
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
			fail(c, TERR_PROXY, "proxy failure: %s", err);
			return;
		}
		if (used == 0)
			return;
		buf_consume(&c->in, (size_t)used);
		if (c->socks == SOCKS_CONNECT) {
			c->socks = SOCKS_OFF;
			connected(c);
			return;
		}
		c->socks = SOCKS_CONNECT;
		buf_reset(&c->socks_out);
		if (socks5_connect(&c->socks_out, c->target_host,
		    c->target_port) < 0) {
			fail(c, TERR_PROXY, "proxy failure: host name too "
			    "long");
			return;
		}
		socks_send(c);
	}
}

/* quick_ack - acknowledge what was just read at once. A server that
 * answers one group of pipelined commands in two writes, with Nagle's
 * algorithm on, holds back the second until the first is acknowledged
 * (smtp-sink does so with the reply to a final dot and those to the next
 * transaction's commands behind it), and a client with nothing to send
 * meanwhile would delay that ACK for 40 ms. Linux forgets TCP_QUICKACK,
 * so it is asked for after every read. */
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

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	(void)b;
	if (c->dead || n == 0)	/* 0: nothing this time (EAGAIN) */
		return;
	if (c->socks != SOCKS_OFF && (n > 0 || n == UV_EOF)) {
		socks_read(c, n);
		return;
	}
	if (n == UV_EOF && c->tls == NULL) {
		fail(c, TERR_CLOSED, "the server sent an empty reply");
		return;
	}
	if (n < 0 && n != UV_EOF) {
		fail(c, TERR_IO, "network read error: %s", uv_errstr((int)n));
		return;
	}
	/* No new deadline for bytes: a reply must come whole in time
	 * (conn_reply_done()), however slowly it drips. */
	if (n > 0)
		quick_ack(c);
	if (c->tls != NULL) {
		/* TLS records: GnuTLS takes them (n == UV_EOF: the end). */
		if (n > 0)
			c->raw.len += (size_t)n;
		tls_feed(c->tls, c->raw.data, n > 0 ? c->raw.len : 0);
		buf_reset(&c->raw);
		if (c->tls_state != TLS_STARTING)
			tls_pump(c);
		return;
	}
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	deliver_lines(c);
}

/* connected - the way to the server is open: tell the owner, and hand
 * on any line that came with the proxy's last reply. */
static void connected(struct conn *c)
{
	c->connected = 1;
	restart_timer(c);
	c->cb(c, CONN_CONNECTED, NULL, 0, c->arg);
	if (!c->dead && c->in.len > 0)
		deliver_lines(c);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	int err;

	if (c->dead || status == UV_ECANCELED)
		return;
	if (status < 0) {
		if (c->ai_next != NULL) {
			try_next_address(c);
			return;
		}
		connect_failed(c, status);
		return;
	}
	if (c->route.socket == NULL)
		uv_tcp_nodelay(&c->h.tcp, 1);
	err = uv_read_start(c->stream, on_alloc, on_read);
	if (err < 0) {
		fail(c, TERR_IO, "network read error: %s", uv_errstr(err));
		return;
	}
	if (c->route.proxy_host != NULL)
		socks_begin(c);
	else
		connected(c);
}

static void on_tcp_closed_retry(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->refs++;	/* keep c alive across release() */
	release(c);
	if (!c->closed)
		try_next_address(c);
	release(c);
}

/* try_next_address - connect to the next resolved address. */
static void try_next_address(struct conn *c)
{
	struct addrinfo *ai = c->ai_next;
	int err;

	if (c->dead)
		return;
	if (c->stream_open) {
		/* A failed attempt's handle must be closed before reuse. */
		c->stream_open = 0;
		uv_timer_stop(&c->timer);
		uv_close((uv_handle_t *)c->stream, on_tcp_closed_retry);
		return;
	}
	c->ai_next = ai->ai_next;
	uv_tcp_init(c->loop, &c->h.tcp);
	c->stream = (uv_stream_t *)&c->h.tcp;
	c->stream->data = c;
	c->stream_open = 1;
	c->refs++;
	if (c->route.source_ip != NULL && !bind_source(c))
		return;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, c->peer,
	    sizeof(c->peer), NULL, 0, NI_NUMERICHOST) != 0)
		c->peer[0] = '\0';
	c->peer_len = 0;
	if (ai->ai_addrlen <= sizeof(c->peer_addr)) {
		memcpy(&c->peer_addr, ai->ai_addr, ai->ai_addrlen);
		c->peer_len = ai->ai_addrlen;
	}
	c->connreq.data = c;
	err = uv_tcp_connect(&c->connreq, &c->h.tcp, ai->ai_addr, on_connect);
	if (err < 0) {
		if (c->ai_next != NULL) {
			try_next_address(c);
			return;
		}
		connect_failed(c, err);
		return;
	}
	restart_timer(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
    struct addrinfo *res)
{
	struct conn *c = req->data;

	c->gai_pending = 0;
	if (c->dead) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		release(c);
		return;
	}
	release(c);
	if (status < 0) {
		fail(c, status == UV_EAI_AGAIN ? TERR_DNS_TEMP :
		    TERR_DNS_NOTFOUND, "cannot locate host %s: %s", c->host,
		    gai_errstr(status));
		return;
	}
	c->ai_list = c->ai_next = res;
	try_next_address(c);
}

void conn_set_route(struct conn *c, const struct conn_route *r)
{
	c->route.source_ip = r->source_ip ? xstrdup(r->source_ip) : NULL;
	c->route.proxy_host = r->proxy_host ? xstrdup(r->proxy_host) : NULL;
	c->route.proxy_port = r->proxy_port;
	c->route.socket = r->socket ? xstrdup(r->socket) : NULL;
}

/* connect_unix - the route's socket instead of a host. */
static void connect_unix(struct conn *c)
{
	uv_pipe_init(c->loop, &c->h.pipe, 0);
	c->stream = (uv_stream_t *)&c->h.pipe;
	c->stream->data = c;
	c->stream_open = 1;
	c->refs++;
	c->connreq.data = c;
	uv_pipe_connect(&c->connreq, &c->h.pipe, c->route.socket, on_connect);
	restart_timer(c);
}

void conn_connect(struct conn *c, const char *host, int port,
    int timeout_ms)
{
	struct addrinfo hints;
	char service[16];
	int err;

	c->timeout_ms = timeout_ms;
	if (c->route.socket != NULL) {
		c->host = xstrdup(c->route.socket);
		connect_unix(c);
		return;
	}
	if (c->route.proxy_host != NULL) {
		/* The proxy resolves the server's name: no lookup here. */
		c->target_host = xstrdup(host);
		c->target_port = port;
		host = c->route.proxy_host;
		port = c->route.proxy_port;
	}
	c->host = xstrdup(host);
	c->port = port;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%d", port);
	c->gai.data = c;
	err = uv_getaddrinfo(c->loop, &c->gai, on_resolved, host, service,
	    &hints);
	if (err == 0) {
		c->gai_pending = 1;
		c->refs++;
	} else {
		fail(c, TERR_DNS_NOTFOUND, "cannot locate host %s: %s", host,
		    gai_errstr(err));
	}
}

static void on_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	c->writing = 0;
	if (c->dead)
		return;
	if (status < 0) {
		fail(c, TERR_IO, "network write error: %s",
		    uv_errstr(status));
		return;
	}
	buf_reset(&c->out);
	if (c->queued.len > 0) {
		start_write(c);
		return;
	}
	restart_timer(c);
	c->cb(c, CONN_WRITTEN, NULL, 0, c->arg);
}

/* start_write - send what is queued, as one write. */
static void start_write(struct conn *c)
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
	err = uv_write(&c->wreq, c->stream, &b, 1, on_written);
	if (err < 0) {
		c->writing = 0;
		fail(c, TERR_IO, "network write error: %s", uv_errstr(err));
		return;
	}
	restart_timer(c);
}

void conn_write(struct conn *c, const char *data, size_t len)
{
	char *msg = NULL;

	if (c->dead)
		return;
	if (c->tls_state == TLS_ON) {
		if (tls_send(c->tls, data, len, &msg) != TLS_DONE) {
			fail_tls(c, TERR_IO, msg);
			return;
		}
		flush_tls(c);
		return;
	}
	buf_append(&c->queued, data, len);
	if (!c->writing)
		start_write(c);
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
		begin_tls(c);
}

struct tls *conn_tls(const struct conn *c)
{
	return c->tls_state == TLS_ON ? c->tls : NULL;
}

/* say_goodbye - a best-effort TLS close_notify before the socket goes. */
static void say_goodbye(struct conn *c)
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

void conn_wait(struct conn *c, int waiting)
{
	c->waiting = waiting;
	restart_timer(c);
}

void conn_reply_done(struct conn *c)
{
	if (c->waiting && !c->writing)
		restart_timer(c);
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	say_goodbye(c);
	c->closed = 1;
	c->dead = 1;
	uv_timer_stop(&c->timer);
	/* A lookup in progress still calls on_resolved, which releases. */
	if (c->gai_pending)
		uv_cancel((uv_req_t *)&c->gai);
	if (c->stream_open) {
		c->stream_open = 0;
		uv_close((uv_handle_t *)c->stream, on_handle_closed);
	}
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

enum smtp_terr conn_terr(const struct conn *c)
{
	return c->terr;
}

const char *conn_errmsg(const struct conn *c)
{
	return c->errmsg ? c->errmsg : "unknown error";
}

const char *conn_peer(const struct conn *c)
{
	return c->peer;
}

char *conn_peer_name(const struct conn *c)
{
	char name[NI_MAXHOST];

	if (c->peer_len == 0 || getnameinfo((const struct sockaddr *)
	    &c->peer_addr, c->peer_len, name, sizeof(name), NULL, 0,
	    NI_NAMEREQD) != 0)
		return NULL;
	return xstrdup(name);
}

int conn_peer_is_loopback(const struct conn *c)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;
	const unsigned char *a;

	if (c->route.socket != NULL)
		return 1;	/* nothing leaves the machine */
	if (c->route.proxy_host != NULL || c->peer_len == 0)
		return 0;	/* the peer is the proxy, not the server */
	if (c->peer_addr.ss_family == AF_INET) {
		in4 = (const struct sockaddr_in *)&c->peer_addr;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (c->peer_addr.ss_family != AF_INET6)
		return 0;
	in6 = (const struct sockaddr_in6 *)&c->peer_addr;
	if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return 1;
	a = in6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
}
