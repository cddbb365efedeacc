/*
 * conn_deadline - the timeout of a conn (see conn.h): one deadline for
 * each whole wait (connecting, to all the addresses together; a write in
 * flight; a reply the owner awaits), not for the silence between two
 * reads.
 */
#include "smtp/conn.h"

#include <stdint.h>

#include "smtp/conn_impl.h"

/* conn_restart_timer - (re)arm the timeout while something is awaited. */
static void on_timeout(uv_timer_t *t);

void conn_restart_timer(struct conn *c)
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
		conn_connect_failed(c, UV_ETIMEDOUT);
		return;
	}
	conn_fail(c, TERR_TIMEOUT, "network %s error: the operation timed out",
	    c->writing ? "write" : "read");
}

void conn_wait(struct conn *c, int waiting)
{
	c->waiting = waiting;
	conn_restart_timer(c);
}

void conn_reply_done(struct conn *c)
{
	if (c->waiting && !c->writing)
		conn_restart_timer(c);
}
