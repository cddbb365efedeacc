/*
 * conn_connect - how a conn reaches the server: the route (source_ip,
 * a SOCKS5 proxy, a Unix domain socket), resolving the name (the
 * addresses are then raced, conn_race.c), msmtp's words when no
 * connection comes up, and what is known of the peer once connected.
 */
#include "smtp/conn.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/conn_impl.h"
#include "util/idn.h"
#include "util/xalloc.h"

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

/* conn_connect_failed - msmtp's words for a connection that did not come
 * up (to the proxy, when there is one): for a connect that timed out,
 * strerror(ETIMEDOUT) as msmtp says it ("Connection timed out"); for a
 * proxy that connected but did not answer in time, msmtp's words for a
 * timeout in general. */
void conn_connect_failed(struct conn *c, int err)
{
	const char *why = err == UV_ETIMEDOUT && c->stream_open ?
	    "the operation timed out" : conn_uv_errstr(err);

	if (c->route.socket != NULL)
		conn_fail(c, TERR_CONNECT, "cannot connect to %s: %s", c->host,
		    why);
	else
		conn_fail(c, TERR_CONNECT, "cannot connect to %s, port %d: %s",
		    c->host, c->port, why);
}

/* conn_bind_source - bind t to route.source_ip; 0 on failure
 * (reported). */
int conn_bind_source(struct conn *c, uv_tcp_t *t)
{
	struct sockaddr_storage sa;
	int err;

	if (uv_ip4_addr(c->route.source_ip, 0, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(c->route.source_ip, 0, (struct sockaddr_in6 *)&sa) != 0)
		err = UV_EINVAL;
	else
		err = uv_tcp_bind(t, (const struct sockaddr *)&sa, 0);
	if (err == 0)
		return 1;
	conn_fail(c, TERR_BIND, "cannot bind source ip %s: %s",
	    c->route.source_ip, conn_uv_errstr(err));
	return 0;
}

/* conn_set_peer - what conn_peer() and conn_peer_name() report. */
void conn_set_peer(struct conn *c, const struct addrinfo *ai)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, c->peer,
	    sizeof(c->peer), NULL, 0, NI_NUMERICHOST) != 0)
		c->peer[0] = '\0';
	c->peer_len = 0;
	if (ai->ai_addrlen <= sizeof(c->peer_addr)) {
		memcpy(&c->peer_addr, ai->ai_addr, ai->ai_addrlen);
		c->peer_len = ai->ai_addrlen;
	}
}

/* conn_connected - the way to the server is open: tell the owner, and hand
 * on any line that came with the proxy's last reply. */
void conn_connected(struct conn *c)
{
	c->connected = 1;
	conn_restart_timer(c);
	c->cb(c, CONN_CONNECTED, NULL, 0, c->arg);
	if (!c->dead && c->in.len > 0)
		conn_deliver_lines(c);
}

/* conn_stream_up - the socket (to the server, its proxy or the Unix
 * domain socket) is connected. */
void conn_stream_up(struct conn *c)
{
	int err;

	if (c->route.socket == NULL)
		uv_tcp_nodelay((uv_tcp_t *)c->stream, 1);
	err = uv_read_start(c->stream, conn_on_alloc, conn_on_read);
	if (err < 0) {
		conn_fail(c, TERR_IO, "network read error: %s",
		    conn_uv_errstr(err));
		return;
	}
	if (c->route.proxy_host != NULL)
		conn_socks_begin(c);
	else
		conn_connected(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
    struct addrinfo *res)
{
	struct conn *c = req->data;

	c->gai_pending = 0;
	if (c->dead) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		conn_release(c);
		return;
	}
	conn_release(c);
	if (status < 0) {
		conn_fail(c, status == UV_EAI_AGAIN ? TERR_DNS_TEMP :
		    TERR_DNS_NOTFOUND, "cannot locate host %s: %s", c->host,
		    gai_errstr(status));
		return;
	}
	c->ai_list = res;
	conn_race_start(c);
}

void conn_set_route(struct conn *c, const struct conn_route *r)
{
	c->route.source_ip = r->source_ip ? xstrdup(r->source_ip) : NULL;
	c->route.proxy_host = r->proxy_host ? xstrdup(r->proxy_host) : NULL;
	c->route.proxy_port = r->proxy_port;
	c->route.socket = r->socket ? xstrdup(r->socket) : NULL;
}

static void on_unix_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->dead || status == UV_ECANCELED)
		return;
	if (status < 0)
		conn_connect_failed(c, status);
	else
		conn_stream_up(c);
}

/* connect_unix - the route's socket instead of a host. */
static void connect_unix(struct conn *c)
{
	uv_pipe_init(c->loop, &c->pipe, 0);
	c->stream = (uv_stream_t *)&c->pipe;
	c->stream->data = c;
	c->stream_open = 1;
	c->refs++;
	c->connreq.data = c;
	uv_pipe_connect(&c->connreq, &c->pipe, c->route.socket,
	    on_unix_connect);
	conn_restart_timer(c);
}

/*
 * resolve_literal - the addresses of a host written as an IP address
 * (127.0.0.1, ::1), then the race; 0 if host is a name. Such a host
 * needs no resolver: libuv's would start its pool of threads, and
 * AI_ADDRCONFIG would query the kernel's addresses over netlink, for
 * an answer known from the text alone. A name, "localhost" included,
 * still goes to the resolver (it may be in /etc/hosts or DNS).
 */
static int resolve_literal(struct conn *c, const char *host,
    const char *service)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return 0;
	c->ai_list = res;
	conn_race_start(c);
	return 1;
}

void conn_connect(struct conn *c, const char *host, int port,
    int timeout_ms)
{
	struct addrinfo hints;
	char service[16];
	char *lookup;
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
	/* The resolver gets the A-label form; messages keep the name. */
	if ((lookup = idn_host_to_ascii(host)) == NULL) {
		conn_fail(c, TERR_DNS_NAME, "cannot locate host %s: %s", host,
		    idn_error());
		return;
	}
	snprintf(service, sizeof(service), "%d", port);
	if (resolve_literal(c, lookup, service)) {
		free(lookup);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	c->gai.data = c;
	err = uv_getaddrinfo(c->loop, &c->gai, on_resolved, lookup, service,
	    &hints);
	free(lookup);
	if (err == 0) {
		c->gai_pending = 1;
		c->refs++;
	} else {
		conn_fail(c, TERR_DNS_NOTFOUND, "cannot locate host %s: %s",
		    host, gai_errstr(err));
	}
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
