/*
 * submit - spool, then deliver; see submit.h.
 */
#include "client/submit.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/snapshot.h"
#include "client/background.h"
#include "client/spooled.h"
#include "delivery/engine.h"
#include "queue/spool.h"
#include "queue/spoolpath.h"
#include "util/buf.h"
#include "util/spill.h"
#include "util/xalloc.h"

/* absolute_conffile - the account's file as an absolute name, so that
 * a runner started elsewhere finds it again (account/passrule.h, --release
 * re-reading the account); NULL for a command-line account. */
static char *absolute_conffile(const struct account *acc)
{
	char *cwd;
	char *abs;

	if (acc->conffile == NULL || acc->conffile[0] == '/' ||
	    (cwd = getcwd(NULL, 0)) == NULL)
		return acc->conffile ? xstrdup(acc->conffile) : NULL;
	abs = xasprintf("%s/%s", cwd, acc->conffile);
	free(cwd);
	return abs;
}

/* Bytes of a mail kept in memory while it is read; the rest waits in a
 * temporary file beside the spool. */
#define STAGE_MEM	(1024 * 1024)

/* to_writer - a spill_sink into the spool. */
static int to_writer(void *arg, const char *data, size_t len, char **errstr)
{
	return spool_enqueue_write(arg, data, len, errstr);
}

/* stage_body - the rest of the input, read to its end into body, its
 * overflow in a file beside the spool at path. */
static int stage_body(const struct submission *sub, const char *path,
    struct spill *body, char **errstr)
{
	char *copy = xstrdup(path);
	int rc;

	rc = spill_read(body, sub->body, dirname(copy), errstr);
	free(copy);
	return rc;
}

/* begin_mail - the spool's transaction for sub's envelope, in *w. */
static int begin_mail(struct spool *sp, const struct submission *sub,
    struct spool_writer **w, char **errstr)
{
	struct spool_envelope env;
	struct buf settings;
	char *conffile;
	int rc;

	buf_init(&settings);
	snapshot_dump(sub->acc, &settings);
	memset(&env, 0, sizeof(env));
	env.account = sub->acc->id ? sub->acc->id : "";
	env.conffile = conffile = absolute_conffile(sub->acc);
	env.settings = settings.data;
	env.envelope_from = sub->acc->from ? sub->acc->from : "";
	env.message_id = sub->message_id;
	env.rcpts = sub->rcpts;
	/* Interactive delivery leases the mail from the start, so no runner
	 * takes it between the commit and our attempt. A background child
	 * claims it itself: a lease named after this process would look
	 * dead as soon as we exit. */
	env.claim = sub->acc->delivery_mode == DELIVER_INTERACTIVE;
	env.now = time(NULL);
	rc = spool_enqueue_begin(sp, &env, w, errstr);
	buf_free(&settings);
	free(conffile);
	return rc;
}

/* write_mail - the header block, then the staged body, into w; then
 * committed (id gets the mail's id), or on failure aborted. */
static int write_mail(struct spool_writer *w, const struct submission *sub,
    struct spill *body, char id[SPOOL_ID_LEN + 1], char **errstr)
{
	int rc;

	rc = spool_enqueue_write(w, sub->headers, sub->headers_len, errstr);
	if (rc == EX_OK)
		rc = spill_replay(body, to_writer, w, errstr);
	if (rc != EX_OK) {
		spool_enqueue_abort(w);
		return rc;
	}
	return spool_enqueue_commit(w, id, errstr);
}

/* enqueue_staged - enqueue()'s steps, body the caller's. */
static int enqueue_staged(struct spool *sp, const char *path,
    const struct submission *sub, struct spill *body,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	struct spool_writer *w;
	int rc;

	rc = stage_body(sub, path, body, errstr);
	if (rc != EX_OK)
		return rc;
	rc = begin_mail(sp, sub, &w, errstr);
	if (rc != EX_OK)
		return rc;
	return write_mail(w, sub, body, id, errstr);
}

/*
 * enqueue - the whole mail into the spool, durably; id gets its id.
 * The body is read to its end before the spool's write lock is taken:
 * a slow writer on our stdin must not stall every other msmtp and the
 * runner.
 */
static int enqueue(struct spool *sp, const char *path,
    const struct submission *sub, char id[SPOOL_ID_LEN + 1], char **errstr)
{
	struct spill body;
	int rc;

	spill_init(&body, STAGE_MEM);
	rc = enqueue_staged(sp, path, sub, &body, id, errstr);
	spill_free(&body);
	return rc;
}
/*
 * open_spool - the account's spool; *no_spool when there is none to be
 * had (it cannot be named, created, or is not the user's), which leaves
 * msmtp's direct send (see submit.h).
 */
static int open_spool(const struct submission *sub, char **path,
    struct spool **sp, int *no_spool, char **errstr)
{
	int rc;

	*path = NULL;
	rc = spoolpath_resolve(sub->acc->queue_file, path, errstr);
	if (rc == EX_OK)
		rc = spool_open(*path, sp, errstr);
	*no_spool = rc == EX_NOUSER || rc == EX_CANTCREAT;
	return rc;
}

/* store - the mail into the open spool; then, for interactive
 * delivery, its attempt now, once the engine preloaded is in. */
static int store(struct spool *sp, const char *path,
    const struct submission *sub, struct engine_preload *engine,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	int rc;

	rc = enqueue(sp, path, sub, id, errstr);
	/* The engine's loading takes longer than the enqueue: the attempt's
	 * SQL is parsed meanwhile, not once the engine is in. */
	if (rc == EX_OK && sub->acc->delivery_mode == DELIVER_INTERACTIVE)
		spool_prepare_attempt(sp);
	engine_preload_join(engine);
	if (rc != EX_OK)
		return rc;
	if (sub->queued_id != NULL)
		memcpy(sub->queued_id, id, SPOOL_ID_LEN + 1);
	if (sub->acc->delivery_mode != DELIVER_INTERACTIVE)
		return EX_OK;
	return spooled_deliver(sp, sub, id);
}

int submit(const struct submission *sub, int *no_spool, char **errstr)
{
	char id[SPOOL_ID_LEN + 1], *path;
	struct engine_preload engine = { .started = 0 };
	struct spool *sp;
	int rc;

	/* Interactive delivery needs the engine once the mail is spooled:
	 * it loads while the spool is opened and the mail written. */
	if (sub->acc->delivery_mode == DELIVER_INTERACTIVE)
		engine_preload_start(&engine);
	rc = open_spool(sub, &path, &sp, no_spool, errstr);
	if (rc == EX_OK) {
		rc = store(sp, path, sub, &engine, id, errstr);
		spool_close(sp);
	}
	engine_preload_join(&engine);
	if (rc == EX_OK && sub->acc->delivery_mode == DELIVER_BACKGROUND)
		background_deliver(path, sub, id);
	free(path);
	return rc;
}
