/*
 * delivery - read a spooled mail for delivery and record each attempt;
 * see spool.h.
 *
 * An attempt's outcome -- every recipient's state and reply, the mail's
 * new state, the next attempt time -- is one transaction, so a crash
 * never leaves a mail half-recorded. A sent mail keeps its row for the
 * record, but its bytes are dropped: at once by spool_record(), at the
 * end of a runner's pass by spool_drop_sent_bytes(). Either overwrites
 * the pages they freed and empties the WAL before it returns (see
 * spool_zero_freed()), so a sent mail cannot be read back from the
 * spool's files. Its row goes after the account's queue_keep_sent
 * (spool_prune_sent()).
 *
 * SECURITY: the rows read here may have been damaged (a disk error, a
 * hand with sqlite3). Nothing read is trusted to be what was written:
 * the sender and recipients must still be clean text, some recipient
 * must be left, and the chunks must follow one another and add up to
 * the mail's size. A mail that fails is held (spool_hold_damaged()),
 * never sent in part or with other bytes, never marked sent.
 */
#include "queue/spool_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

/* The reader copies each chunk and resets its statement at once: a
 * statement left open would hold a read transaction for as long as the
 * mail is being sent, and a runner whose sessions write meanwhile
 * (another mail's record) would then find its snapshot stale and its
 * next write refused (SQLITE_BUSY_SNAPSHOT) whenever another process
 * had committed in between. */
struct spool_body {
	struct spool	*sp;		/* where the next chunk is read */
	char		 id[SPOOL_ID_LEN + 1];
	char		*data;		/* the current chunk, copied */
	size_t		 len;
	size_t		 cap;
	size_t		 off;
	int		 seq;		/* of the current chunk */
	long long	 size;		/* the row's; -1: not known */
	long long	 total;		/* bytes read so far */
	char		*damage;	/* why the bytes are damaged */
	int		 done;
	int		 rc;		/* the last read's sysexits code */
};

/*
 * The statements of one delivery attempt, in the order it runs them:
 * named once, so that spool_prepare_attempt() can parse them ahead into
 * the statement cache (stmtcache.c finds them by address).
 */
static const char sql_load_row[] = "SELECT account, conffile, "
    "envelope_from, message_id, size, attempts, created, "
    "coalesce(first_attempt, 0), uncertain, rowid FROM mail WHERE id = ?";
static const char sql_mail_row_is[] =
    "SELECT id = ?2 FROM mail WHERE rowid = ?1";
static const char sql_load_rcpts[] = "SELECT idx, address FROM rcpt "
    "WHERE mail_id = ? AND state IN ('pending', 'deferred') ORDER BY idx";
static const char sql_stored_size[] = "SELECT CASE WHEN state = 'sent' "
    "THEN -1 ELSE size END FROM mail WHERE id = ?";
static const char sql_next_chunk[] = "SELECT seq, data, rowid FROM chunk "
    "WHERE mail_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1";
static const char sql_chunk_row_is[] =
    "SELECT mail_id = ?2 AND seq = ?3 FROM chunk WHERE rowid = ?1";
static const char sql_record_rcpt[] = "UPDATE rcpt SET state = ?1, "
    "last_code = ?2, last_enh = ?3, last_text = ?4, bounce = CASE WHEN ?7 "
    "AND bounce = 0 THEN 1 ELSE bounce END WHERE mail_id = ?5 AND idx = ?6";
static const char sql_record_mail[] = "UPDATE mail SET state = ?1, "
    "tries = tries + 1, attempts = attempts + ?2, next_attempt = ?3, "
    "first_attempt = coalesce(first_attempt, CASE WHEN ?2 THEN ?4 END), "
    "last_attempt = ?4, last_code = ?5, last_enh = ?6, last_text = ?7, "
    "last_class = ?8, reason = ?9, queued_as = ?10, lease_owner = NULL, "
    "lease_from = NULL, lease_expiry = NULL, uncertain = uncertain OR ?12, "
    "hint = ?13 WHERE id = ?11";
static const char sql_drop_bytes[] = "DELETE FROM chunk WHERE mail_id = ?";

static const char *const attempt_sql[] = {
	sql_load_row, sql_mail_row_is, sql_load_rcpts, sql_stored_size,
	sql_next_chunk, sql_chunk_row_is, sql_record_rcpt, sql_record_mail,
	sql_drop_bytes
};

void spool_prepare_attempt(struct spool *sp)
{
	spool_warm(sp, attempt_sql, sizeof(attempt_sql) /
	    sizeof(attempt_sql[0]));
	spool_warm_listing(sp);
}

/*
 * row_is - whether the row at rowid is the one an index lookup was for:
 * sql reads it by rowid (?1) and compares it with id (?2) and seq (?3,
 * where it names one); 1, 0 if not, -1 on error (*rc, *errstr). A
 * damaged index can point at another row, and SQLite reads the indexed
 * columns from the index itself; a lookup by rowid reads the table.
 */
static int row_is(struct spool *sp, const char *sql, sqlite3_int64 rowid,
    const char *id, int seq, int *rc, char **errstr)
{
	sqlite3_stmt *st;
	int err, same;

	st = spool_cached(sp, sql, rc, errstr);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int(st, 3, seq);
	err = sqlite3_step(st);
	same = err == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	if (err != SQLITE_ROW && err != SQLITE_DONE) {
		*rc = spool_error(sp, err, "cannot read the mail", errstr);
		same = -1;
	}
	spool_release(st);
	return same;
}

/* clean_text - a column that is a string as written: text (not a number
 * or a blob that damage made of it), without a NUL inside (which would
 * cut it short) and without control characters (a CR LF in an address
 * would be a command of its own on the wire). */
static int clean_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s;
	int n, i;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT)
		return 0;
	s = sqlite3_column_text(st, col);
	n = sqlite3_column_bytes(st, col);
	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int load_row(struct spool *sp, const char *id, struct spool_mail *m,
    const char **damage, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, sql_load_row, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW) {
		/* First: reading a column as text converts its type. */
		if (!clean_text(st, 2))
			*damage = "its sender is not an address";
		snprintf(m->id, sizeof(m->id), "%s", id);
		m->account = spool_text(st, 0);
		m->conffile = spool_text(st, 1);
		m->envelope_from = spool_text(st, 2);
		m->message_id = spool_text(st, 3);
		m->size = sqlite3_column_int64(st, 4);
		m->attempts = sqlite3_column_int(st, 5);
		m->created = (time_t)sqlite3_column_int64(st, 6);
		m->first_attempt = (time_t)sqlite3_column_int64(st, 7);
		m->uncertain = sqlite3_column_int(st, 8);
		if (m->account == NULL)
			m->account = xstrdup("");
		if (m->size < 0)
			*damage = "its size is negative";
		switch (row_is(sp, sql_mail_row_is,
		    sqlite3_column_int64(st, 9), id, 0, &rc, errstr)) {
		case 0:
			*damage = "the spool's index gives it another mail's row";
			break;
		case -1:
			break;
		}
	} else if (err == SQLITE_DONE) {
		*errstr = xasprintf("no mail %s in the spool", id);
		rc = EX_NOINPUT;
	} else {
		rc = spool_error(sp, err, "cannot read the mail", errstr);
	}
	spool_release(st);
	return rc;
}

static int load_rcpts(struct spool *sp, struct spool_mail *m,
    const char **damage, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;
	size_t n = 0;

	st = spool_cached(sp, sql_load_rcpts, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, m->id);
	while ((err = sqlite3_step(st)) == SQLITE_ROW) {
		if (!clean_text(st, 1) || sqlite3_column_bytes(st, 1) == 0)
			*damage = "a recipient is not an address";
		m->rcpt_idx = xreallocarray(m->rcpt_idx, n + 1, sizeof(int));
		m->rcpt_idx[n++] = sqlite3_column_int(st, 0);
		strlist_take(&m->rcpts, xstrdup((const char *)
		    (sqlite3_column_text(st, 1) ? sqlite3_column_text(st, 1) :
		    (const unsigned char *)"")));
	}
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the recipients", errstr);
	else if (n == 0)
		*damage = "no recipient is left to send it to";
	spool_release(st);
	return rc;
}

/* hold_damaged - a mail that cannot be sent as stored waits for a human
 * (--show, --delete), with the reason: if it waits, or is in flight
 * under our lease, which ends. EX_NOINPUT if it was neither. */
static int hold_damaged(struct spool *sp, const char *id, const char *why,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, "UPDATE mail SET state = 'held', reason = ?2, "
	    "lease_owner = NULL, lease_from = NULL, lease_expiry = NULL "
	    "WHERE id = ?1 AND (state IN ('queued', 'deferred', 'uncertain') "
	    "OR (state = 'inflight' AND lease_owner = ?3))", &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	spool_bind_text(st, 2, why);
	sqlite3_bind_text(st, 3, spool_my_owner(sp), -1, SQLITE_TRANSIENT);
	if ((err = sqlite3_step(st)) != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot hold a damaged mail", errstr);
	else if (sqlite3_changes(sp->db) == 0)
		rc = EX_NOINPUT;
	spool_release(st);
	return rc;
}

int spool_hold_damaged(struct spool *sp, const char *id, const char *what,
    char **errstr)
{
	char *why = xasprintf("the mail is damaged: %s", what);
	int rc;

	rc = hold_damaged(sp, id, why, errstr);
	if (rc == EX_OK) {
		*errstr = xasprintf("mail %s is damaged (%s): held; see "
		    "msmtp-queue --show %s", id, what, id);
		rc = EX_DATAERR;
	}
	free(why);
	return rc;
}

int spool_load(struct spool *sp, const char *id, struct spool_mail *m,
    char **errstr)
{
	const char *damage = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	strlist_init(&m->rcpts);
	rc = load_row(sp, id, m, &damage, errstr);
	if (rc == EX_OK && damage == NULL)
		rc = load_rcpts(sp, m, &damage, errstr);
	if (rc == EX_OK && damage != NULL)
		rc = spool_hold_damaged(sp, id, damage, errstr);
	if (rc != EX_OK)
		spool_mail_free(m);
	return rc;
}

void spool_mail_free(struct spool_mail *m)
{
	free(m->account);
	free(m->conffile);
	free(m->envelope_from);
	free(m->message_id);
	free(m->rcpt_idx);
	strlist_free(&m->rcpts);
	memset(m, 0, sizeof(*m));
}

/* body_new - a reader of mail id, of size bytes (-1: not known). */
static struct spool_body *body_new(struct spool *sp, const char *id,
    long long size)
{
	struct spool_body *b = xcalloc(1, sizeof(*b));

	b->sp = sp;
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->seq = -1;
	b->size = size;
	return b;
}

/* stored_size - the size the mail's row says its bytes have. */
static int stored_size(struct spool *sp, const char *id, long long *size,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	/* A sent mail's bytes may be gone already: nothing to check. */
	st = spool_cached(sp, sql_stored_size, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	err = sqlite3_step(st);
	if (err == SQLITE_ROW) {
		*size = sqlite3_column_int64(st, 0);
	} else if (err == SQLITE_DONE) {
		*errstr = xasprintf("no mail %s in the spool", id);
		rc = EX_NOINPUT;
	} else {
		rc = spool_error(sp, err, "cannot read the mail", errstr);
	}
	spool_release(st);
	return rc;
}

int spool_body_open(struct spool *sp, const char *id,
    struct spool_body **out, char **errstr)
{
	long long size = -1;
	int rc;

	*out = NULL;
	rc = stored_size(sp, id, &size, errstr);
	if (rc == EX_OK)
		*out = body_new(sp, id, size);
	return rc;
}

/* body_damaged - the bytes are not what the mail's row says: -1, with
 * b->rc EX_DATAERR and b->damage saying why. */
static int body_damaged(struct spool_body *b, char **errstr,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int body_damaged(struct spool_body *b, char **errstr,
    const char *fmt, ...)
{
	va_list ap;

	free(b->damage);
	va_start(ap, fmt);
	if (vasprintf(&b->damage, fmt, ap) < 0)
		b->damage = xstrdup("its bytes are damaged");
	va_end(ap);
	b->rc = EX_DATAERR;
	*errstr = xasprintf("mail %s is damaged: %s", b->id, b->damage);
	return -1;
}

/* next_chunk - step to the next chunk; 0 at the end, -1 on error. The
 * chunks must follow one another from 0 and add up to the mail's size:
 * a missing or renumbered chunk, or a size that disagrees, is damage,
 * and the mail is never sent without those bytes or with others. */
static int next_chunk(struct spool_body *b, char **errstr)
{
	sqlite3_stmt *st;
	int err, seq;

	st = spool_cached(b->sp, sql_next_chunk, &b->rc, errstr);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, b->seq);
	err = sqlite3_step(st);
	if (err == SQLITE_DONE) {
		spool_release(st);
		b->done = 1;
		if (b->size >= 0 && b->total != b->size)
			return body_damaged(b, errstr, "%lld of its %lld bytes "
			    "are stored", b->total, b->size);
		return 0;
	}
	if (err != SQLITE_ROW) {
		b->rc = spool_error(b->sp, err, "cannot read the mail", errstr);
		spool_release(st);
		return -1;
	}
	seq = sqlite3_column_int(st, 0);
	b->len = (size_t)sqlite3_column_bytes(st, 1);
	if (seq != b->seq + 1) {
		spool_release(st);
		return body_damaged(b, errstr, "its part %d is missing",
		    b->seq + 1);
	}
	switch (row_is(b->sp, sql_chunk_row_is, sqlite3_column_int64(st, 2),
	    b->id, seq, &b->rc, errstr)) {
	case 0:
		spool_release(st);
		return body_damaged(b, errstr, "the spool's index gives it "
		    "another mail's part %d", seq);
	case -1:
		spool_release(st);
		return -1;
	}
	b->seq = seq;
	b->total += (long long)b->len;
	if (b->size >= 0 && b->total > b->size) {
		spool_release(st);
		return body_damaged(b, errstr, "it has more bytes than its "
		    "size, %lld", b->size);
	}
	if (b->len > b->cap) {
		b->cap = b->len;
		b->data = xrealloc(b->data, b->cap);
	}
	if (b->len > 0)
		memcpy(b->data, sqlite3_column_blob(st, 1), b->len);
	b->off = 0;
	spool_release(st);
	return 1;
}

int spool_body_prefetch(struct spool *sp, struct spool *reader,
    const char *id, long long size, struct spool_body **out, char **errstr)
{
	struct spool_body *b = body_new(sp, id, size);
	int rc;

	*out = NULL;
	if (next_chunk(b, errstr) < 0) {
		rc = b->rc;
		if (rc == EX_DATAERR) {
			free(*errstr);
			*errstr = NULL;
			rc = spool_hold_damaged(sp, id, b->damage, errstr);
		}
		spool_body_close(b);
		return rc;
	}
	/* A mail in one chunk never touches reader: the loop's connection
	 * would have to start a read transaction, and could wait for the
	 * writer's commit in progress. */
	b->done = b->total >= size;
	b->sp = reader;
	*out = b;
	return EX_OK;
}

ssize_t spool_body_read(void *arg, char *buf, size_t len, char **errstr)
{
	struct spool_body *b = arg;
	size_t n;
	int r;

	while (!b->done && b->off == b->len) {
		r = next_chunk(b, errstr);
		if (r < 0)
			return -1;
	}
	if (b->off == b->len)
		return 0;
	n = b->len - b->off;
	if (n > len)
		n = len;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

void spool_body_close(struct spool_body *b)
{
	if (b == NULL)
		return;
	free(b->data);
	free(b->damage);
	free(b);
}

int spool_rcpt_owes_bounce(const struct spool_attempt *a,
    const struct spool_rcpt_result *r)
{
	if (!a->bounce)
		return 0;
	return r->state == RCPT_FAILED ||
	    (a->state == MAIL_FAILED && r->state != RCPT_SENT);
}

/* record_rcpts - each recipient's state and reply. */
static int record_rcpts(struct spool *sp, const char *id,
    const struct spool_attempt *a, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err = SQLITE_DONE;
	size_t i;

	st = spool_cached(sp, sql_record_rcpt, &rc, errstr);
	if (st == NULL)
		return rc;
	for (i = 0; i < a->nrcpts && err == SQLITE_DONE; i++) {
		const struct spool_rcpt_result *r = &a->rcpts[i];

		sqlite3_reset(st);
		spool_bind_text(st, 1, spool_rcpt_state_name(r->state));
		if (r->code)
			sqlite3_bind_int(st, 2, r->code);
		else
			sqlite3_bind_null(st, 2);
		spool_bind_text(st, 3, r->enh && r->enh[0] ? r->enh : NULL);
		spool_bind_text(st, 4, r->text);
		spool_bind_text(st, 5, id);
		sqlite3_bind_int(st, 6, r->idx);
		sqlite3_bind_int(st, 7, spool_rcpt_owes_bounce(a, r));
		err = sqlite3_step(st);
	}
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot record the attempt", errstr);
	spool_release(st);
	return rc;
}

/* record_mail - the mail's new state; the lease ends with the attempt. */
static int record_mail(struct spool *sp, const char *id,
    const struct spool_attempt *a, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, sql_record_mail, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, spool_mail_state_name(a->state));
	sqlite3_bind_int(st, 2, a->reached ? 1 : 0);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)a->next_attempt);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)a->now);
	if (a->code)
		sqlite3_bind_int(st, 5, a->code);
	spool_bind_text(st, 6, a->enh && a->enh[0] ? a->enh : NULL);
	spool_bind_text(st, 7, a->text);
	spool_bind_text(st, 8, a->cls);
	spool_bind_text(st, 9, a->reason);
	spool_bind_text(st, 10, a->queued_as);
	spool_bind_text(st, 11, id);
	sqlite3_bind_int(st, 12, a->state == MAIL_UNCERTAIN || a->uncertain);
	spool_bind_text(st, 13, a->hint);
	err = sqlite3_step(st);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot record the attempt", errstr);
	spool_release(st);
	return rc;
}

/* drop_bytes - a delivered mail's bytes are no longer needed. */
static int drop_bytes(struct spool *sp, const char *id, char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_cached(sp, sql_drop_bytes, &rc, errstr);
	if (st == NULL)
		return rc;
	spool_bind_text(st, 1, id);
	err = sqlite3_step(st);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot record the attempt", errstr);
	spool_release(st);
	return rc;
}

int spool_record_in(struct spool *sp, const char *id,
    const struct spool_attempt *a, int drop, char **errstr)
{
	int rc;

	rc = record_rcpts(sp, id, a, errstr);
	if (rc == EX_OK)
		rc = record_mail(sp, id, a, errstr);
	if (rc == EX_OK && drop && a->state == MAIL_SENT)
		rc = drop_bytes(sp, id, errstr);
	return rc;
}

int spool_record(struct spool *sp, const char *id,
    const struct spool_attempt *a, char **errstr)
{
	int rc, sent = a->state == MAIL_SENT;

	if (sent)
		spool_zero_freed(sp, 1);
	rc = spool_begin_durable(sp, errstr);
	if (rc == EX_OK)
		rc = spool_record_in(sp, id, a, 1, errstr);
	if (rc == EX_OK)
		rc = spool_commit_durable(sp, sent, errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	if (sent)
		spool_zero_freed(sp, 0);
	return rc;
}

/* Sent mails whose bytes one transaction drops: a million at once made
 * a 2 GB WAL of zeroed pages and held every id in memory. */
#define DROP_BATCH	1000

/*
 * sent_with_bytes - up to DROP_BATCH sent mails that still have bytes,
 * after the id after (""): from the chunk index (every mail with bytes
 * has a chunk 0) to the mails, never the other way: the sent mails'
 * rows are kept, and only grow in number. CROSS JOIN fixes that order;
 * the cursor keeps each batch from reading again the unsent mails that
 * the ones before it passed.
 */
static int sent_with_bytes(struct spool *sp, const char *after,
    char (*ids)[SPOOL_ID_LEN + 1], size_t *n, char **errstr)
{
	const unsigned char *id;
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	*n = 0;
	st = spool_cached(sp, "SELECT c.mail_id FROM chunk AS c CROSS JOIN "
	    "mail AS m ON m.id = c.mail_id WHERE c.mail_id > ?1 AND "
	    "c.seq = 0 AND m.state = 'sent' ORDER BY c.mail_id LIMIT ?2",
	    &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, DROP_BATCH);
	while ((err = sqlite3_step(st)) == SQLITE_ROW)
		if ((id = sqlite3_column_text(st, 0)) != NULL)
			snprintf(ids[(*n)++], SPOOL_ID_LEN + 1, "%s", id);
	if (err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	spool_release(st);
	return rc;
}

/* drop_batch - the bytes of the next batch after *after, which moves on;
 * *n how many mails it had (0: done). */
static int drop_batch(struct spool *sp, char after[SPOOL_ID_LEN + 1],
    char (*ids)[SPOOL_ID_LEN + 1], size_t *n, char **errstr)
{
	sqlite3_stmt *st;
	size_t i;
	int rc, err;

	rc = spool_exec_cached(sp, "BEGIN IMMEDIATE", errstr);
	if (rc == EX_OK)
		rc = sent_with_bytes(sp, after, ids, n, errstr);
	st = rc == EX_OK ? spool_cached(sp, sql_drop_bytes, &rc, errstr) :
	    NULL;
	for (i = 0; st != NULL && rc == EX_OK && i < *n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		if ((err = sqlite3_step(st)) != SQLITE_DONE)
			rc = spool_error(sp, err, "cannot drop sent mail",
			    errstr);
	}
	spool_release(st);
	if (rc == EX_OK)
		rc = spool_exec_cached(sp, "COMMIT", errstr);
	if (rc != EX_OK) {
		spool_rollback(sp);
		return rc;
	}
	if (*n > 0)
		memcpy(after, ids[*n - 1], SPOOL_ID_LEN + 1);
	return EX_OK;
}

int spool_drop_sent_bytes(struct spool *sp, char **errstr)
{
	char (*ids)[SPOOL_ID_LEN + 1], after[SPOOL_ID_LEN + 1] = "";
	size_t n = 0;
	int rc;

	ids = xreallocarray(NULL, DROP_BATCH, sizeof(*ids));
	spool_zero_freed(sp, 1);
	do
		rc = drop_batch(sp, after, ids, &n, errstr);
	while (rc == EX_OK && n == DROP_BATCH);
	/* Once, after the last batch: emptying the WAL after each one
	 * copied and fsynced it, then truncated the file that the next
	 * batch grew again block by block. Between batches the WAL hook
	 * bounds it as for any commit; what it holds of the dropped bytes
	 * goes now, with the rest. */
	if (after[0] != '\0')
		spool_empty_wal(sp);
	spool_zero_freed(sp, 0);
	free(ids);
	return rc;
}

/* any_to_prune - whether a sent mail is due to go: most passes have
 * none, and then take no write lock at all. */
static int any_to_prune(struct spool *sp, time_t now, int *any,
    char **errstr)
{
	sqlite3_stmt *st;
	int rc = EX_OK, err;

	st = spool_prepare(sp, "SELECT 1 FROM mail WHERE state = 'sent' "
	    "AND next_attempt <= ? LIMIT 1", &rc, errstr);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	err = sqlite3_step(st);
	*any = err == SQLITE_ROW;
	if (err != SQLITE_ROW && err != SQLITE_DONE)
		rc = spool_error(sp, err, "cannot read the spool", errstr);
	sqlite3_finalize(st);
	return rc;
}

int spool_prune_sent(struct spool *sp, time_t now, char **errstr)
{
	sqlite3_stmt *st;
	int rc, err, any = 0;

	/* A sent mail's next_attempt is when its record goes (see
	 * spool_attempt): the mail_due index finds them at once. */
	rc = any_to_prune(sp, now, &any, errstr);
	if (rc != EX_OK || !any)
		return rc;
	rc = spool_exec(sp, "BEGIN IMMEDIATE", errstr);
	st = rc == EX_OK ? spool_prepare(sp, "DELETE FROM mail WHERE "
	    "state = 'sent' AND next_attempt <= ?", &rc, errstr) : NULL;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		if ((err = sqlite3_step(st)) != SQLITE_DONE)
			rc = spool_error(sp, err, "cannot prune sent mail",
			    errstr);
		if (rc == EX_OK && sqlite3_changes(sp->db) > 0)
			rc = spool_drop_orphan_snapshots(sp, errstr);
		sqlite3_finalize(st);
	}
	if (rc == EX_OK)
		rc = spool_exec(sp, "COMMIT", errstr);
	if (rc != EX_OK)
		spool_rollback(sp);
	return rc;
}
