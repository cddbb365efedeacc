/*
 * enqueue - write a new mail into the spool; see spool.h.
 *
 * The whole mail -- row, recipients, bytes -- is one IMMEDIATE
 * transaction, so no reader (a runner, --list) ever sees half a mail and
 * a crash at any point leaves either the whole mail or nothing. The bytes
 * go in as CHUNK_SIZE blobs, so a mail of any size is spooled in bounded
 * memory.
 */
#include "queue/spool_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "queue/subject.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define CHUNK_SIZE	(128 * 1024)

struct spool_writer {
	struct spool	*sp;
	char		 id[SPOOL_ID_LEN + 1];
	sqlite3_stmt	*chunk;
	struct buf	 pending;
	int		 seq;
	long long	 size;
	char		*subject;	/* of the first chunk's headers */
};

/*
 * make_id - 12 characters of Crockford's base32: 45 bits of milliseconds
 * then 15 random bits, so ids sort by age and are easy to type.
 */
static void make_id(char id[SPOOL_ID_LEN + 1])
{
	static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned long long v, ms;
	unsigned short rnd = 0;
	struct timeval tv;
	int i;

	gettimeofday(&tv, NULL);
	ms = (unsigned long long)tv.tv_sec * 1000 + (unsigned)tv.tv_usec / 1000;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned short)(tv.tv_usec ^ getpid());
	v = ((ms & ((1ULL << 45) - 1)) << 15) | (rnd & 0x7fff);
	for (i = SPOOL_ID_LEN - 1; i >= 0; i--) {
		id[i] = digits[v & 31];
		v >>= 5;
	}
	id[SPOOL_ID_LEN] = '\0';
}

/* find_snapshot - the id of the snapshot whose text is settings, or 0. */
static int find_snapshot(struct spool *sp, const char *settings,
    sqlite3_int64 *id, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	*id = 0;
	st = spool_prepare(sp, "SELECT id FROM snapshot WHERE settings = ?",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, settings);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_snapshot_id(struct spool *sp, const char *settings,
    sqlite3_int64 *id, char **errstr)
{
	sqlite3_stmt *st;
	int rc, err;

	rc = find_snapshot(sp, settings, id, errstr);
	if (rc != EX_OK || *id != 0)
		return rc;
	st = spool_prepare(sp, "INSERT INTO snapshot (settings) VALUES (?)",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, settings);
	err = sqlite3_step(st);
	if (err == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(sp->db);
	else
		rc = spool_error(sp, err, "cannot add the mail", errstr);
	sqlite3_finalize(st);
	return rc;
}

/* insert_mail - the mail's row under a fresh id (retried on a clash). */
static int insert_mail(struct spool_writer *w, const struct spool_envelope *e,
    char **errstr)
{
	const char *owner = e->claim ? spool_my_owner(w->sp) : NULL;
	sqlite3_int64 snapshot;
	sqlite3_stmt *st;
	int rc, err = SQLITE_CONSTRAINT, tries;

	rc = spool_snapshot_id(w->sp, e->settings ? e->settings : "", &snapshot,
	    errstr);
	if (rc != EX_OK)
		return rc;
	st = spool_prepare(w->sp, "INSERT INTO mail (id, created, account, "
	    "conffile, snapshot, envelope_from, message_id, size, state, "
	    "next_attempt, lease_owner) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, "
	    "?)", &rc, errstr);
	if (st == NULL)
		return rc;
	for (tries = 0; tries < 8 && (err & 0xff) == SQLITE_CONSTRAINT;
	    tries++) {
		make_id(w->id);
		sqlite3_reset(st);
		spool_bind_text(st, 1, w->id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)e->now);
		spool_bind_text(st, 3, e->account ? e->account : "");
		spool_bind_text(st, 4, e->conffile);
		sqlite3_bind_int64(st, 5, snapshot);
		spool_bind_text(st, 6, e->envelope_from);
		spool_bind_text(st, 7, e->message_id);
		spool_bind_text(st, 8, e->claim ? "inflight" : "queued");
		sqlite3_bind_int64(st, 9, (sqlite3_int64)e->now);
		spool_bind_text(st, 10, owner);
		err = sqlite3_step(st);
	}
	if (err != SQLITE_DONE)
		rc = spool_error(w->sp, err, "cannot add the mail", errstr);
	sqlite3_finalize(st);
	return rc;
}

static int insert_rcpts(struct spool_writer *w, const struct strlist *rcpts,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err = SQLITE_DONE;
	size_t i;

	st = spool_prepare(w->sp, "INSERT INTO rcpt (mail_id, idx, address) "
	    "VALUES (?, ?, ?)", &rc, errstr);
	if (st == NULL)
		return rc;
	for (i = 0; i < rcpts->n && err == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		spool_bind_text(st, 1, w->id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		spool_bind_text(st, 3, rcpts->v[i]);
		err = sqlite3_step(st);
	}
	if (err != SQLITE_DONE)
		rc = spool_error(w->sp, err, "cannot add the recipients",
		    errstr);
	sqlite3_finalize(st);
	return rc;
}

/* settle_bounce - the recipients a bounce is queued for owe none. */
static int settle_bounce(struct spool_writer *w, const char *of,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(w->sp, "UPDATE rcpt SET bounce = 2 WHERE mail_id "
	    "= ? AND bounce = 1", &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, of);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(w->sp, err, "cannot record the bounce",
		    errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_enqueue_begin(struct spool *sp, const struct spool_envelope *env,
    struct spool_writer **out, char **errstr)
{
	struct spool_writer *w = xcalloc(1, sizeof(*w));
	int rc;

	w->sp = sp;
	buf_init(&w->pending);
	rc = spool_begin_durable(sp, errstr);
	if (rc == EX_OK)
		rc = insert_mail(w, env, errstr);
	if (rc == EX_OK)
		rc = insert_rcpts(w, env->rcpts, errstr);
	if (rc == EX_OK && env->bounce_of != NULL)
		rc = settle_bounce(w, env->bounce_of, errstr);
	if (rc == EX_OK)
		w->chunk = spool_prepare(sp, "INSERT INTO chunk (mail_id, seq, "
		    "data) VALUES (?, ?, ?)", &rc, errstr);
	if (rc != EX_OK) {
		spool_enqueue_abort(w);
		return rc;
	}
	*out = w;
	return EX_OK;
}

/* flush_chunk - store what is pending as the next chunk. */
static int flush_chunk(struct spool_writer *w, char **errstr)
{
	int err;

	if (w->pending.len == 0)
		return EX_OK;
	if (w->seq == 0)
		w->subject = subject_of(w->pending.data, w->pending.len);
	sqlite3_reset(w->chunk);
	spool_bind_text(w->chunk, 1, w->id);
	sqlite3_bind_int(w->chunk, 2, w->seq++);
	sqlite3_bind_blob64(w->chunk, 3, w->pending.data, w->pending.len,
	    SQLITE_STATIC);
	err = sqlite3_step(w->chunk);
	if (err != SQLITE_DONE)
		return spool_error(w->sp, err, "cannot store the mail", errstr);
	buf_reset(&w->pending);
	return EX_OK;
}

int spool_enqueue_write(struct spool_writer *w, const char *data,
    size_t len, char **errstr)
{
	size_t room;
	int rc;

	while (len > 0) {
		room = CHUNK_SIZE - w->pending.len;
		if (room > len)
			room = len;
		buf_append(&w->pending, data, room);
		w->size += (long long)room;
		data += room;
		len -= room;
		if (w->pending.len == CHUNK_SIZE &&
		    (rc = flush_chunk(w, errstr)) != EX_OK)
			return rc;
	}
	return EX_OK;
}

/* set_size - the final size, once every byte is stored, and the
 * Subject found in the first chunk. */
static int set_size(struct spool_writer *w, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(w->sp, "UPDATE mail SET size = ?, subject = ? "
	    "WHERE id = ?",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, w->size);
	spool_bind_text(st, 2, w->subject);
	spool_bind_text(st, 3, w->id);
	err = sqlite3_step(st);
	if (err != SQLITE_DONE)
		rc = spool_error(w->sp, err, "cannot store the mail", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_enqueue_commit(struct spool_writer *w, char id[SPOOL_ID_LEN + 1],
    char **errstr)
{
	int rc;

	rc = flush_chunk(w, errstr);
	if (rc == EX_OK)
		rc = set_size(w, errstr);
	sqlite3_finalize(w->chunk);
	w->chunk = NULL;
	if (rc == EX_OK)
		rc = spool_commit_durable(w->sp, 0, errstr);
	if (rc == EX_OK)
		memcpy(id, w->id, sizeof(w->id));
	spool_enqueue_abort(w);
	return rc;
}

void spool_enqueue_abort(struct spool_writer *w)
{
	if (w == NULL)
		return;
	sqlite3_finalize(w->chunk);
	spool_rollback(w->sp);
	buf_free(&w->pending);
	free(w->subject);
	free(w);
}
