/*
 * queue_test - the backoff policy as a table, and the spool API on a
 * database in a fresh temporary directory.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "queue/backoff.h"
#include "queue/spool.h"
#include "unit.h"
#include "util/xalloc.h"

static const struct backoff_policy policy = { 60, 3600, 5 * 86400 };

static const struct {
	int	attempts;
	unsigned rnd;
	long	lo, hi;		/* the delay must fall in [lo, hi) */
} backoff_cases[] = {
	{ 0, 0, 48, 49 },		/* never reached: min, jitter 0.8 */
	{ 1, 0, 48, 49 },
	{ 1, 0xffff, 71, 72 },		/* jitter just under 1.2 */
	{ 2, 0x8000, 120, 121 },	/* doubled, jitter 1.0 */
	{ 3, 0x8000, 240, 241 },
	{ 6, 0x8000, 1920, 1921 },
	{ 7, 0x8000, 3600, 3601 },	/* capped */
	{ 40, 0x8000, 3600, 3601 },	/* no overflow however many */
	{ 1000000, 0xffff, 4319, 4320 },
};

static void test_backoff_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(backoff_cases) / sizeof(backoff_cases[0]); i++) {
		long d = (long)(backoff_next(&policy, backoff_cases[i].attempts,
		    1000000, backoff_cases[i].rnd) - 1000000);

		if (d < backoff_cases[i].lo || d >= backoff_cases[i].hi)
			fprintf(stderr, "case %zu: delay %ld\n", i, d);
		CHECK(d >= backoff_cases[i].lo && d < backoff_cases[i].hi);
	}
}

static void test_backoff_lifetime(void)
{
	CHECK(!backoff_expired(&policy, 0, 1000000000));	/* offline */
	CHECK(!backoff_expired(&policy, 1000, 1000 + 5 * 86400));
	CHECK(backoff_expired(&policy, 1000, 1000 + 5 * 86400 + 1));
}

/* spool_in_tmp - a fresh spool in a new directory below /tmp. */
static struct spool *spool_in_tmp(char *dir, size_t len)
{
	struct spool *sp = NULL;
	char *err = NULL, *path;

	snprintf(dir, len, "/tmp/queue_test_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return NULL;
	path = xasprintf("%s/sub/queue.db", dir);
	CHECK_INT(spool_open(path, &sp, &err), EX_OK);
	free(err);
	free(path);
	return sp;
}

/* enqueue_one - a mail of `len` bytes of `fill` for two recipients. */
static void enqueue_one(struct spool *sp, size_t len, int claim,
    char id[SPOOL_ID_LEN + 1])
{
	struct spool_envelope env = { 0 };
	struct spool_writer *w;
	struct strlist rcpts;
	char *err = NULL, *data = xmalloc(len);

	memset(data, 'x', len);
	strlist_init(&rcpts);
	strlist_add(&rcpts, "a@example.org");
	strlist_add(&rcpts, "b@example.org");
	env.account = "acc";
	env.settings = "host \"127.0.0.1\"\n";
	env.envelope_from = "me@example.org";
	env.message_id = "<id@example.org>";
	env.rcpts = &rcpts;
	env.claim = claim;
	env.now = 1000;
	CHECK_INT(spool_enqueue_begin(sp, &env, &w, &err), EX_OK);
	CHECK_INT(spool_enqueue_write(w, data, len, &err), EX_OK);
	CHECK_INT(spool_enqueue_commit(w, id, &err), EX_OK);
	CHECK_INT(strlen(id), SPOOL_ID_LEN);
	free(err);
	free(data);
	strlist_free(&rcpts);
}

static void test_spool_files_are_private(void)
{
	char dir[64], *path;
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct stat st;

	path = xasprintf("%s/sub", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	free(path);
	path = xasprintf("%s/sub/queue.db", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(path);
	spool_close(sp);
}

static void test_spool_roundtrip(void)
{
	char dir[64], id[SPOOL_ID_LEN + 1], *err = NULL, buf[1000];
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct spool_body *b;
	struct spool_mail m;
	size_t total = 0;
	ssize_t n;

	/* Larger than one chunk, so the body spans several rows. */
	enqueue_one(sp, 300000, 0, id);
	CHECK_INT(spool_load(sp, id, &m, &err), EX_OK);
	CHECK_STR(m.account, "acc");
	CHECK_STR(m.envelope_from, "me@example.org");
	CHECK_STR(m.message_id, "<id@example.org>");
	CHECK_INT(m.size, 300000);
	CHECK_INT(m.rcpts.n, 2);
	CHECK_STR(m.rcpts.v[1], "b@example.org");
	CHECK_INT(spool_body_open(sp, id, &b, &err), EX_OK);
	while ((n = spool_body_read(b, buf, sizeof(buf), &err)) > 0)
		total += (size_t)n;
	CHECK_INT(n, 0);
	CHECK_INT(total, 300000);
	spool_body_close(b);
	spool_mail_free(&m);
	CHECK_INT(spool_load(sp, "NOSUCHMAIL00", &m, &err), EX_NOINPUT);
	free(err);
	spool_close(sp);
}

static void test_spool_claim_and_record(void)
{
	char dir[64], id[SPOOL_ID_LEN + 1], got[SPOOL_ID_LEN + 1] = "";
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct spool_rcpt_result rr[2] = {
		{ 0, RCPT_SENT, 250, "2.0.0", "250 ok" },
		{ 1, RCPT_DEFERRED, 451, "4.3.0", "451 later" },
	};
	struct spool_attempt a = { 0 };
	struct spool_mail m;
	char *err = NULL;

	enqueue_one(sp, 10, 0, id);
	CHECK_INT(spool_claim(sp, 2000, NULL, got, &err), EX_OK);
	CHECK_STR(got, id);
	/* In flight under a living owner (us): nobody else gets it. */
	got[0] = '\0';
	CHECK_INT(spool_claim(sp, 2000, NULL, got, &err), EX_NOINPUT);
	a.now = 2000;
	a.reached = 1;
	a.state = MAIL_DEFERRED;
	a.next_attempt = 2060;
	a.rcpts = rr;
	a.nrcpts = 2;
	CHECK_INT(spool_record(sp, id, &a, &err), EX_OK);
	/* Only the deferred recipient is left to deliver. */
	CHECK_INT(spool_load(sp, id, &m, &err), EX_OK);
	CHECK_INT(m.rcpts.n, 1);
	CHECK_STR(m.rcpts.v[0], "b@example.org");
	CHECK_INT(m.attempts, 1);
	CHECK_INT(m.first_attempt, 2000);
	spool_mail_free(&m);
	/* Not due before its time; due after. */
	got[0] = '\0';
	CHECK_INT(spool_claim(sp, 2059, NULL, got, &err), EX_NOINPUT);
	CHECK_INT(spool_claim(sp, 2060, NULL, got, &err), EX_OK);
	free(err);
	spool_close(sp);
}

static void test_spool_dead_owner_is_uncertain(void)
{
	char dir[64], id[SPOOL_ID_LEN + 1], got[SPOOL_ID_LEN + 1] = "";
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct spool_mail m;
	char *err = NULL, *path;
	sqlite3 *db;

	enqueue_one(sp, 10, 1, id);	/* leased to us at enqueue */
	/* Pretend the owner was a process of an earlier boot. */
	path = xasprintf("%s/sub/queue.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE mail SET lease_owner = "
	    "'old-boot:1:1'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(path);
	CHECK_INT(spool_claim(sp, 1000, NULL, got, &err), EX_OK);
	CHECK_STR(got, id);
	CHECK_INT(spool_load(sp, id, &m, &err), EX_OK);
	CHECK_INT(m.uncertain, 1);
	spool_mail_free(&m);
	free(err);
	spool_close(sp);
}

/* Collects what spool_waiting_each() reports. */
struct seen {
	struct strlist	ids;
	int		bad;
};

static void see(const struct spool_waiting_mail *w, void *arg)
{
	struct seen *s = arg;

	strlist_add(&s->ids, w->id);
	s->bad |= strcmp(w->account, "acc") != 0 ||
	    strcmp(w->settings, "host \"127.0.0.1\"\n") != 0 ||
	    w->conffile != NULL;
}

static void test_spool_waiting_each_and_claim_due(void)
{
	char dir[64], a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1];
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct spool_attempt at = { 0 };
	struct spool_step step = { 0 };
	struct seen s = { 0 };
	char *err = NULL;

	enqueue_one(sp, 10, 0, a);
	enqueue_one(sp, 10, 0, b);
	strlist_init(&s.ids);
	CHECK_INT(spool_waiting_each(sp, NULL, see, &s, &err), EX_OK);
	CHECK_INT(s.ids.n, 2);
	CHECK(!s.bad);
	/* Oldest first (both are of the same second here: then by id). */
	CHECK(strcmp(s.ids.v[0], s.ids.v[1]) < 0);
	CHECK((strcmp(s.ids.v[0], a) == 0 && strcmp(s.ids.v[1], b) == 0) ||
	    (strcmp(s.ids.v[0], b) == 0 && strcmp(s.ids.v[1], a) == 0));
	strlist_free(&s.ids);
	strlist_init(&s.ids);
	CHECK_INT(spool_waiting_each(sp, "other", see, &s, &err), EX_OK);
	CHECK_INT(s.ids.n, 0);
	strlist_free(&s.ids);

	/* Deferred to 2060: not due at 2000, due at 2060. */
	CHECK_INT(spool_claim_due(sp, 2000, a, &err), EX_OK);
	at.now = 2000;
	at.reached = 1;
	at.state = MAIL_DEFERRED;
	at.next_attempt = 2060;
	/* Recorded, and b claimed, in one transaction. */
	step.id = a;
	step.a = &at;
	step.due = 1;
	snprintf(step.next, sizeof(step.next), "%s", b);
	step.reader = sp;
	CHECK_INT(spool_record_claim(sp, &step, 1, 2000, &err), EX_OK);
	CHECK_STR(step.next, b);
	/* ... and loaded, with its bytes. */
	CHECK_STR(step.mail.id, b);
	CHECK_INT(step.mail.rcpts.n, 2);
	CHECK(step.body != NULL);
	spool_mail_free(&step.mail);
	spool_body_close(step.body);
	CHECK_INT(spool_claim_due(sp, 2000, b, &err), EX_NOINPUT);
	CHECK_INT(spool_claim_due(sp, 2000, a, &err), EX_NOINPUT);
	/* The record stands when the next mail cannot be claimed. */
	at.next_attempt = 2100;
	step.id = b;
	snprintf(step.next, sizeof(step.next), "%s", a);
	CHECK_INT(spool_record_claim(sp, &step, 1, 2000, &err), EX_OK);
	CHECK_STR(step.next, "");
	CHECK_INT(spool_claim_due(sp, 2059, a, &err), EX_NOINPUT);
	CHECK_INT(spool_claim_due(sp, 2060, a, &err), EX_OK);
	CHECK_INT(spool_claim_due(sp, 2060, b, &err), EX_NOINPUT);
	/* spool_claim() by id ignores the time (--flush). */
	CHECK_INT(spool_claim(sp, 2060, NULL, b, &err), EX_OK);
	free(err);
	spool_close(sp);
}

/* Statements parsed ahead hold nothing: another connection still
 * writes and empties the WAL, and the first then reads what it wrote. */
static void test_spool_prepare_attempt_holds_nothing(void)
{
	char dir[64], a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], *wal;
	struct spool *sp = spool_in_tmp(dir, sizeof(dir)), *other = NULL;
	struct spool_rcpt_result rr[2] = {
		{ 0, RCPT_SENT, 250, "2.0.0", "250 ok" },
		{ 1, RCPT_SENT, 250, "2.0.0", "250 ok" },
	};
	struct spool_attempt at = { 0 };
	struct seen s = { 0 };
	struct spool_mail m;
	struct stat st;
	char *err = NULL;

	enqueue_one(sp, 10, 1, a);
	spool_prepare_attempt(sp);
	spool_prepare_attempt(sp);	/* twice: still one of each */
	CHECK_INT(spool_open(spool_path(sp), &other, &err), EX_OK);
	enqueue_one(other, 10, 1, b);
	at.now = 2000;
	at.reached = 1;
	at.state = MAIL_SENT;
	at.rcpts = rr;
	at.nrcpts = 2;
	CHECK_INT(spool_record(other, b, &at, &err), EX_OK);
	wal = xasprintf("%s-wal", spool_path(sp));
	CHECK(stat(wal, &st) == 0 && st.st_size == 0);
	free(wal);
	spool_close(other);
	CHECK_INT(spool_load(sp, a, &m, &err), EX_OK);
	CHECK_INT(m.rcpts.n, 2);
	spool_mail_free(&m);
	CHECK_INT(spool_record(sp, a, &at, &err), EX_OK);
	strlist_init(&s.ids);
	CHECK_INT(spool_waiting_each(sp, NULL, see, &s, &err), EX_OK);
	CHECK_INT(s.ids.n, 0);
	strlist_free(&s.ids);
	free(err);
	spool_close(sp);
}

/* A claim given back unused leaves the mail as it was, claimable. */
static void test_spool_unclaim(void)
{
	char dir[64], a[SPOOL_ID_LEN + 1], buf[3 * 128 * 1024];
	struct spool *sp = spool_in_tmp(dir, sizeof(dir));
	struct spool_step step = { 0 };
	struct spool_mail m;
	char *err = NULL;
	ssize_t n, total = 0;

	enqueue_one(sp, sizeof(buf) - 5, 0, a);
	step.reader = sp;
	snprintf(step.next, sizeof(step.next), "%s", a);
	CHECK_INT(spool_record_claim(sp, &step, 1, 1000, &err), EX_OK);
	CHECK_STR(step.next, a);
	/* Three chunks: the first prefetched, the others read later. */
	while ((n = spool_body_read(step.body, buf, sizeof(buf), &err)) > 0)
		total += n;
	CHECK_INT(n, 0);
	CHECK_INT(total, sizeof(buf) - 5);
	spool_body_close(step.body);
	spool_mail_free(&step.mail);
	CHECK_INT(spool_claim_due(sp, 1000, a, &err), EX_NOINPUT);
	memset(&step, 0, sizeof(step));
	step.unclaim = a;
	CHECK_INT(spool_record_claim(sp, &step, 1, 1000, &err), EX_OK);
	CHECK_INT(spool_load(sp, a, &m, &err), EX_OK);
	CHECK_INT(m.uncertain, 0);
	spool_mail_free(&m);
	CHECK_INT(spool_claim_due(sp, 1000, a, &err), EX_OK);
	free(err);
	spool_close(sp);
}

static void test_spool_refuses_foreign_database(void)
{
	char dir[64], *path, *err = NULL;
	struct spool *sp = NULL;
	sqlite3 *db;

	snprintf(dir, sizeof(dir), "/tmp/queue_test_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/other.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) ==
	    SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(spool_open(path, &sp, &err), EX_IOERR);
	CHECK(sp == NULL);
	CHECK(err != NULL && strstr(err, "not a msmtp spool") != NULL);
	free(err);
	free(path);
}

/* Damage to a mail's rows, and where it shows: at load (its sender or
 * recipients) or while its bytes are read. */
static const struct {
	const char	*sql;		/* %s: the mail's id */
	int		 at_load;
} damage_cases[] = {
	{ "DELETE FROM rcpt WHERE mail_id = '%s'", 1 },
	{ "UPDATE rcpt SET state = 'sent' WHERE mail_id = '%s'", 1 },
	{ "UPDATE rcpt SET address = 'a@x' || char(13, 10) || 'RSET' "
	    "WHERE mail_id = '%s' AND idx = 1", 1 },
	{ "UPDATE rcpt SET address = '' WHERE mail_id = '%s'", 1 },
	{ "UPDATE rcpt SET address = x'61006200' WHERE mail_id = '%s'", 1 },
	{ "UPDATE mail SET envelope_from = 'me@exa' || char(0) || 'mple.org' "
	    "WHERE id = '%s'", 1 },
	{ "UPDATE mail SET envelope_from = x'6d65' WHERE id = '%s'", 1 },
	{ "UPDATE mail SET size = -5 WHERE id = '%s'", 1 },
	{ "DELETE FROM chunk WHERE mail_id = '%s' AND seq = 1", 0 },
	{ "DELETE FROM chunk WHERE mail_id = '%s' AND seq = 0", 0 },
	{ "UPDATE chunk SET seq = 5 WHERE mail_id = '%s' AND seq = 2", 0 },
	{ "UPDATE mail SET size = size + 1 WHERE id = '%s'", 0 },
	{ "UPDATE mail SET size = size - 1 WHERE id = '%s'", 0 },
	{ "DELETE FROM chunk WHERE mail_id = '%s'", 0 },
};

/* state_of - the mail's state and reason, read behind the spool's back. */
static void state_of(const char *path, const char *id, char *state,
    char *reason, size_t len)
{
	sqlite3_stmt *st;
	sqlite3 *db;

	state[0] = reason[0] = '\0';
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT state, coalesce(reason, '') "
	    "FROM mail WHERE id = ?", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(state, len, "%s", sqlite3_column_text(st, 0));
		snprintf(reason, len, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_spool_damaged_mail_is_held(void)
{
	char dir[64], id[SPOOL_ID_LEN + 1], *err, *sql, buf[65536];
	char state[128], reason[128];
	struct spool_body *b;
	struct spool_mail m;
	struct spool *sp;
	sqlite3 *db;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(damage_cases) / sizeof(damage_cases[0]); i++) {
		err = NULL;
		sp = spool_in_tmp(dir, sizeof(dir));
		enqueue_one(sp, 300000, 1, id);		/* three chunks */
		CHECK(sqlite3_open(spool_path(sp), &db) == SQLITE_OK);
		sql = xasprintf(damage_cases[i].sql, id);
		CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
		free(sql);
		sqlite3_close(db);
		if (damage_cases[i].at_load) {
			CHECK_INT(spool_load(sp, id, &m, &err), EX_DATAERR);
		} else {
			CHECK_INT(spool_load(sp, id, &m, &err), EX_OK);
			spool_mail_free(&m);
			CHECK_INT(spool_body_open(sp, id, &b, &err), EX_OK);
			while ((n = spool_body_read(b, buf, sizeof(buf),
			    &err)) > 0)
				continue;
			CHECK_INT(n, -1);
			spool_body_close(b);
		}
		CHECK(err != NULL && strstr(err, "damaged") != NULL);
		free(err);
		/* Held at load; a damaged body is held by the attempt's
		 * record (CLASS_LOCAL), here still in flight. */
		state_of(spool_path(sp), id, state, reason, sizeof(state));
		CHECK_STR(state, damage_cases[i].at_load ? "held" :
		    "inflight");
		if (damage_cases[i].at_load)
			CHECK(strstr(reason, "the mail is damaged") != NULL);
		spool_close(sp);
	}
}

UNIT_MAIN(
	UNIT_CASE(test_backoff_table),
	UNIT_CASE(test_backoff_lifetime),
	UNIT_CASE(test_spool_files_are_private),
	UNIT_CASE(test_spool_roundtrip),
	UNIT_CASE(test_spool_claim_and_record),
	UNIT_CASE(test_spool_dead_owner_is_uncertain),
	UNIT_CASE(test_spool_waiting_each_and_claim_due),
	UNIT_CASE(test_spool_prepare_attempt_holds_nothing),
	UNIT_CASE(test_spool_unclaim),
	UNIT_CASE(test_spool_refuses_foreign_database),
	UNIT_CASE(test_spool_damaged_mail_is_held)
)
