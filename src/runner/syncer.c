/*
 * syncer - fdatasync() of the spool's WAL behind the commits; see
 * syncer.h.
 */
#include "runner/syncer.h"

#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "queue/spool.h"
#include "runner/window.h"

void syncer_init(struct syncer *s, uv_loop_t *loop, const struct spool *sp)
{
	s->loop = loop;
	s->sp = sp;
	s->fd = -1;
	s->failed = s->syncing = s->dirty = s->closing = 0;
	s->began_ms = s->synced_ms = uv_now(loop);
	s->win = NULL;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->req.data = s;
}

int syncer_wants_fsync(const struct syncer *s)
{
	return s->failed && uv_now(s->loop) - s->synced_ms >= SPOOL_SYNC_MS;
}

static void schedule(struct syncer *s);

static void on_synced(uv_fs_t *req)
{
	struct syncer *s = req->data;

	if (req->result < 0) {
		s->failed = 1;	/* SQLite's own fsync says why, next */
	} else {
		s->synced_ms = s->began_ms;
		window_synced(s->win);
	}
	uv_fs_req_cleanup(req);
	s->syncing = 0;
	if (s->closing) {
		close(s->fd);
		s->fd = -1;
	} else if (s->dirty) {
		schedule(s);
	}
}

static void start_sync(struct syncer *s)
{
	s->dirty = 0;
	s->began_ms = uv_now(s->loop);
	s->syncing = 1;
	window_sync_began(s->win);
	if (uv_fs_fdatasync(s->loop, &s->req, s->fd, on_synced) != 0) {
		s->syncing = 0;
		s->failed = 1;
	}
}

static void on_timer(uv_timer_t *t)
{
	start_sync(t->data);
}

/* schedule - the next fdatasync(), SPOOL_SYNC_MS after the one before
 * began, so that a burst of commits costs one. */
static void schedule(struct syncer *s)
{
	uint64_t now = uv_now(s->loop), due = s->began_ms + SPOOL_SYNC_MS;

	if (s->syncing || s->failed || uv_is_active((uv_handle_t *)&s->timer))
		return;
	if (now >= due)
		start_sync(s);
	else
		uv_timer_start(&s->timer, on_timer, due - now, 0);
}

void syncer_committed(struct syncer *s, int durable)
{
	char *err = NULL;

	if (durable) {
		s->synced_ms = uv_now(s->loop);
		return;
	}
	if (s->fd < 0 && !s->failed &&
	    spool_wal_open(s->sp, &s->fd, &err) != EX_OK)
		s->failed = 1;	/* the commits fsync themselves instead */
	free(err);
	s->dirty = 1;
	schedule(s);
}

void syncer_close(struct syncer *s)
{
	s->closing = 1;
	uv_close((uv_handle_t *)&s->timer, NULL);
	if (!s->syncing && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}
