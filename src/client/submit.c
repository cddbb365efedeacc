/*
 * submit - spool, then deliver; see submit.h.
 */
#include "client/submit.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/conf.h"
#include "account/snapshot.h"
#include "client/report.h"
#include "delivery/along.h"
#include "delivery/attempt.h"
#include "delivery/engine.h"
#include "delivery/logline.h"
#include "delivery/notify.h"
#include "delivery/owed.h"
#include "delivery/runners.h"
#include "mail/dsn.h"
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

/* queue_fields - what the queue adds to msmtp's log line. */
static char *queue_fields(const char *id, const struct attempt_result *res)
{
	char next[32] = "";
	struct tm tm;

	if (res->state == MAIL_DEFERRED || res->state == MAIL_UNCERTAIN) {
		localtime_r(&res->next_attempt, &tm);
		strftime(next, sizeof(next), " next=%Y-%m-%dT%H:%M:%S", &tm);
	}
	return xasprintf("queueid=%s attempt=%d outcome=%s%s", id,
	    res->attempt, spool_mail_state_name(res->state), next);
}

/* tell_refusals - msmtp's lines for each recipient the server refused,
 * when the transaction itself went through (per-recipient delivery). */
static void tell_refusals(const struct attempt_result *res)
{
	const struct deliver_rcpt *r;
	size_t i;

	for (i = 0; i < res->rep.nrcpts && i < res->mail.rcpts.n; i++) {
		r = &res->rep.rcpts[i];
		if (r->code == 0 || r->cls == CLASS_OK)
			continue;
		fprintf(stderr, "msmtp: recipient address %s not accepted by "
		    "the server\n", res->mail.rcpts.v[i]);
		if (r->text != NULL)
			report_reply("server message", r->text);
	}
}

/* tell_server - what failed (why) and the server's words for it, as
 * msmtp says them, if the server said any; 0 if it did not (nothing
 * told). A refused recipient's words are told with it instead. */
static int tell_server(const struct attempt_result *res, const char *why)
{
	if (why == NULL || res->rep.outcome.terr != TERR_NONE ||
	    res->rep.reply_text == NULL)
		return 0;
	fprintf(stderr, "msmtp: %s\n", why);
	report_reply("server message", res->rep.reply_text);
	return 1;
}

/* tell_not_taken - msmtp's lines for a transaction that went on (per
 * recipient delivery gives no errmsg) but gave the mail to nobody: the
 * mail refused after its data, or each recipient refused. */
static void tell_not_taken(const struct attempt_result *res)
{
	if (res->rep.outcome.stage != STAGE_EOM) {
		tell_refusals(res);
		return;
	}
	fprintf(stderr, "msmtp: the server did not accept the mail\n");
	if (res->rep.reply_text != NULL)
		report_reply("server message", res->rep.reply_text);
}

/* tell_refused - msmtp's lines for a mail failed in a transaction that
 * went on: when nobody got it, what msmtp says when it could not send
 * the mail; otherwise only the recipients refused. */
static void tell_refused(const struct account *acc,
    const struct attempt_result *res)
{
	if (attempt_anyone_got_it(res)) {
		tell_refusals(res);
	} else if (res->rep.lmtp_partial) {
		report_failure(acc, &res->rep);
	} else {
		tell_not_taken(res);
		report_not_sent(acc);
	}
}

/* What to do when nothing will retry a queued mail (delivery/runners.h). */
#define NO_RUNNER	"no queue runner is active: run 'msmtp-queue " \
			"--flush' when the network is back, or set one up " \
			"(see msmtp-queue(1))"

/*
 * tell_waiting - the last line for a mail left waiting in the queue
 * (why, NULL for no reason): when it will be retried, only if a runner
 * will retry it (delivery/runners.h); otherwise how to get it sent.
 */
static void tell_waiting(const char *spool, const char *why, const char *id,
    time_t next)
{
	char when[32];
	struct tm tm;

	fprintf(stderr, "msmtp: %s%sthe mail is queued as %s", why ? why : "",
	    why ? "; " : "", id);
	if (runner_active(spool) == NULL) {
		fprintf(stderr, "; %s\n", NO_RUNNER);
		return;
	}
	if (next == 0) {
		fputc('\n', stderr);
		return;
	}
	localtime_r(&next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, " and will be retried after %s\n", when);
}

/*
 * tell_held - msmtp's own lines for a failure the user must fix, then
 * that the mail is kept: exit with msmtp's code for the failure, so that
 * a caller that shows errors only on a failed exit shows it, while one
 * that ignores exit codes (cron) loses nothing.
 */
static int tell_held(const struct account *acc, const char *id,
    const struct attempt_result *res)
{
	if (res->rep.errmsg != NULL)
		report_failure(acc, &res->rep);
	else if (!tell_server(res, "the server refused the account"))
		fprintf(stderr, "msmtp: unknown error\n");
	fprintf(stderr, "msmtp: the mail is held in the queue as %s: fix "
	    "the account, then run 'msmtp-queue --release %s'\n", id, id);
	return res->rep.exitcode != EX_OK ? res->rep.exitcode : EX_SOFTWARE;
}

/* tell_user - what happened to the spooled mail, in a few lines; the
 * exit code (see msmtp(1), EXIT STATUS with a queue). */
static int tell_user(const struct account *acc, const char *spool,
    const char *id, const struct attempt_result *res)
{
	const char *why = res->rep.errmsg;

	switch (res->state) {
	case MAIL_SENT:
		return EX_OK;
	case MAIL_DEFERRED:
	case MAIL_UNCERTAIN:
		if (why == NULL && attempt_anyone_got_it(res)) {
			tell_refusals(res);
			why = "some recipients were refused for now";
		} else if (why == NULL) {
			tell_not_taken(res);
			why = "the server refused for now";
		} else if (tell_server(res, why)) {
			why = "the server refused for now";
		}
		tell_waiting(spool, why, id, res->next_attempt);
		if (res->state == MAIL_UNCERTAIN)
			fprintf(stderr, "msmtp: %s\n", UNCERTAIN_NOTE);
		return EX_OK;
	case MAIL_HELD:
		if (res->held_uncertain) {
			fprintf(stderr, "msmtp: %s\nmsmtp: the mail is held "
			    "in the queue as %s: the server may have it "
			    "already; run 'msmtp-queue --release %s' to send "
			    "it again, or 'msmtp-queue --delete %s'\n",
			    why ? why : "connection lost", id, id, id);
			return EX_OK;
		}
		return tell_held(acc, id, res);
	default:
		break;
	}
	if (why == NULL)
		tell_refused(acc, res);
	else
		report_failure(acc, &res->rep);
	fprintf(stderr, "msmtp: the mail stays in the queue as %s, marked "
	    "failed\n", id);
	if (attempt_exit_tells(res))
		return res->rep.exitcode;
	if (!acc->queue_bounce || !dsn_wanted(res->mail.envelope_from))
		return EX_OK;
	fprintf(stderr, "msmtp: the other recipients got it; the sender "
	    "gets a delivery status notification for those refused");
	if (runner_active(spool) == NULL)
		fprintf(stderr, ", queued; %s", NO_RUNNER);
	fputc('\n', stderr);
	return EX_OK;
}

/* queue_owed - the bounces a partial refusal (or a mail taken along)
 * owes, queued now: exit 0 promises the sender a notice, whether or not
 * a runner ever runs. A spool error is told and left to the runner's
 * next pass. */
static void queue_owed(struct spool *sp, const struct attempt_result *res,
    int taken)
{
	char *errstr = NULL;
	int queued;

	if (taken == 0 && (res->state == MAIL_SENT ||
	    res->state == MAIL_HELD || attempt_exit_tells(res)))
		return;
	if (owed_bounces_queue(sp, &queued, &errstr) != EX_OK)
		fprintf(stderr, "msmtp: %s\n", errstr ? errstr :
		    "cannot queue a bounce");
	free(errstr);
}

/* deliver_spooled - one attempt now; msmtp's report and log line. */
static int deliver_spooled(struct spool *sp, const struct submission *sub,
    const char *id)
{
	const struct engine_api *engine;
	struct attempt_result res;
	struct along along;
	char *errstr = NULL, *extra;
	int rc, taken;

	engine = engine_load(&errstr);
	if (engine == NULL) {
		tell_waiting(spool_path(sp), errstr, id, 0);
		free(errstr);
		return EX_OK;
	}
	memset(&along, 0, sizeof(along));
	rc = attempt_run(sp, id, sub->acc, engine, sub->debug, &along, &res,
	    &errstr);
	taken = along.taken;
	along_free(&along);
	if (rc != EX_OK) {
		/* The mail is spooled; a runner will find it. */
		tell_waiting(spool_path(sp), errstr, id, 0);
		free(errstr);
		attempt_result_free(&res);
		return EX_OK;
	}
	extra = queue_fields(id, &res);
	logline_delivery(sub->acc, sub->rcpts, &res.rep, extra);
	free(extra);
	queue_owed(sp, &res, taken);
	rc = tell_user(sub->acc, spool_path(sp), id, &res);
	notify_attempt(sub->acc, &res);
	attempt_result_free(&res);
	return rc;
}

/* detach - become a grandchild in a new session, stdio on /dev/null;
 * 1 in that grandchild, 0 in the caller (also when fork fails: the mail
 * is queued and a runner will send it). */
static int detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return 0;
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 1;
}

/*
 * in_background - deliver from a detached process; the caller returns.
 * The spool is opened afresh there (an SQLite connection must not cross
 * a fork) and the mail claimed under the new process's name; if a runner
 * was quicker, it is the runner's to send. No one waits for it, so it
 * has the runner's deadline when the account sets none.
 */
static void in_background(const char *path, const struct submission *sub,
    char id[SPOOL_ID_LEN + 1])
{
	struct submission bg;
	struct account acc;
	struct spool *sp;
	char *errstr = NULL;

	if (!detach())
		return;
	/* A shallow copy: nothing here frees the account's fields. */
	acc = *sub->acc;
	if (acc.timeout <= 0)
		acc.timeout = ATTEMPT_UNATTENDED_TIMEOUT;
	bg = *sub;
	bg.acc = &acc;
	if (spool_open(path, &sp, &errstr) == EX_OK) {
		if (spool_claim(sp, time(NULL), NULL, id, &errstr) == EX_OK)
			deliver_spooled(sp, &bg, id);
		spool_close(sp);
	}
	free(errstr);
	_exit(0);
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
 * delivery, its attempt now. */
static int store(struct spool *sp, const char *path,
    const struct submission *sub, char id[SPOOL_ID_LEN + 1], char **errstr)
{
	int rc;

	rc = enqueue(sp, path, sub, id, errstr);
	if (rc != EX_OK)
		return rc;
	if (sub->queued_id != NULL)
		memcpy(sub->queued_id, id, SPOOL_ID_LEN + 1);
	if (sub->acc->delivery_mode != DELIVER_INTERACTIVE)
		return EX_OK;
	return deliver_spooled(sp, sub, id);
}

int submit(const struct submission *sub, int *no_spool, char **errstr)
{
	char id[SPOOL_ID_LEN + 1], *path;
	struct spool *sp;
	int rc;

	rc = open_spool(sub, &path, &sp, no_spool, errstr);
	if (rc == EX_OK) {
		rc = store(sp, path, sub, id, errstr);
		spool_close(sp);
	}
	if (rc == EX_OK && sub->acc->delivery_mode == DELIVER_BACKGROUND)
		in_background(path, sub, id);
	free(path);
	return rc;
}
