/*
 * conn_race - Happy Eyeballs (RFC 8305): connect to the resolved
 * addresses in eyeballs_order(), starting the next attempt when the
 * Connection Attempt Delay has passed or the attempts running so far
 * have all failed, without stopping the earlier ones. The first attempt
 * to connect wins and becomes c->stream; the others are closed. The
 * conn's timeout bounds the whole race (conn_deadline.c), not each
 * address. When every attempt has failed, the last failure is reported
 * in msmtp's words (conn_connect_failed()).
 *
 * Each attempt's TCP handle holds a reference on the conn until it is
 * closed; c->attempts itself is freed by conn_release().
 */
#include "smtp/conn.h"

#include <stdlib.h>

#include "smtp/conn_impl.h"
#include "smtp/eyeballs.h"
#include "util/xalloc.h"

static void start_next(struct conn *c);

static void on_attempt_closed(uv_handle_t *h)
{
	conn_release(h->data);
}

/* close_attempt - let go of an attempt that lost or failed. */
static void close_attempt(struct conn_attempt *a)
{
	if (!a->open)
		return;
	a->open = 0;
	uv_close((uv_handle_t *)&a->tcp, on_attempt_closed);
}

/* in_flight - whether an attempt is still waiting for its connect. */
static int in_flight(const struct conn *c)
{
	size_t i;

	for (i = 0; i < c->n_started; i++)
		if (c->attempts[i].connecting)
			return 1;
	return 0;
}

/* attempt_failed - one address refused (or could not be tried): go on
 * with the next address at once, or report the end of the race. */
static void attempt_failed(struct conn_attempt *a, int err)
{
	struct conn *c = a->c;

	a->connecting = 0;
	c->last_err = err;
	close_attempt(a);
	if (c->n_started < c->n_attempts)
		start_next(c);
	else if (!in_flight(c))
		conn_connect_failed(c, c->last_err);
}

/* win - a's connection is up: it becomes the conn's stream. */
static void win(struct conn_attempt *a)
{
	struct conn *c = a->c;

	a->connecting = 0;
	a->open = 0;		/* conn_close() closes it as c->stream */
	c->stream = (uv_stream_t *)&a->tcp;
	c->stream_open = 1;
	conn_set_peer(c, a->ai);
	conn_race_close(c);
	conn_stream_up(c);
}

static void on_attempt_connect(uv_connect_t *req, int status)
{
	struct conn_attempt *a = req->data;

	if (status == UV_ECANCELED || a->c->dead)
		return;
	if (status < 0)
		attempt_failed(a, status);
	else
		win(a);
}

static void on_stagger(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!c->dead && c->n_started < c->n_attempts)
		start_next(c);
}

/* start_next - start the next attempt, and the delay before the one
 * after it. */
static void start_next(struct conn *c)
{
	struct conn_attempt *a = &c->attempts[c->n_started++];
	int err;

	uv_timer_stop(&c->stagger);
	uv_tcp_init(c->loop, &a->tcp);
	a->tcp.data = c;
	a->open = 1;
	c->refs++;
	if (c->route.source_ip != NULL && !conn_bind_source(c, &a->tcp))
		return;
	a->req.data = a;
	err = uv_tcp_connect(&a->req, &a->tcp, a->ai->ai_addr,
	    on_attempt_connect);
	if (err < 0) {
		attempt_failed(a, err);
		return;
	}
	a->connecting = 1;
	if (c->n_started < c->n_attempts)
		uv_timer_start(&c->stagger, on_stagger,
		    EYEBALLS_ATTEMPT_DELAY_MS, 0);
}

void conn_race_start(struct conn *c)
{
	const struct addrinfo **order;
	size_t i, n = eyeballs_count(c->ai_list);

	if (n == 0) {
		conn_connect_failed(c, UV_EADDRNOTAVAIL);
		return;
	}
	order = xcalloc(n, sizeof(*order));
	c->n_attempts = eyeballs_order(c->ai_list, order);
	c->attempts = xcalloc(c->n_attempts, sizeof(*c->attempts));
	for (i = 0; i < c->n_attempts; i++) {
		c->attempts[i].c = c;
		c->attempts[i].ai = order[i];
	}
	free(order);
	conn_restart_timer(c);	/* once, for the whole race */
	start_next(c);
}

void conn_race_close(struct conn *c)
{
	size_t i;

	uv_timer_stop(&c->stagger);
	for (i = 0; i < c->n_started; i++)
		close_attempt(&c->attempts[i]);
}
