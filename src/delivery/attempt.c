/*
 * attempt - one delivery attempt of a spooled mail; see attempt.h.
 */
#include "delivery/attempt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>

#include "delivery/advice.h"
#include "delivery/tlscache.h"
#include "queue/backoff.h"
#include "util/xalloc.h"

int attempt_reached(const struct deliver_report *rep)
{
	switch (rep->outcome.terr) {
	case TERR_DNS_NOTFOUND:
	case TERR_DNS_TEMP:
	case TERR_CONNECT:
		return 0;
	default:
		return rep->outcome.stage != STAGE_CONNECT;
	}
}

int attempt_uncertain(const struct deliver_report *rep)
{
	return rep->outcome.stage == STAGE_EOM &&
	    rep->outcome.terr != TERR_NONE;
}

/* A transaction refused for good fails every recipient that the server
 * did not refuse only for now: those accepted, then refused with the
 * mail (DATA, the final dot), and those never asked about because the
 * sender was refused (MAIL). */
enum spool_rcpt_state attempt_rcpt_state(const struct deliver_report *rep,
    size_t i)
{
	const struct deliver_rcpt *r;
	int after_dot = rep->outcome.stage == STAGE_EOM &&
	    rep->outcome.terr == TERR_NONE;
	int refused = rep->outcome.cls == CLASS_PERM &&
	    !attempt_uncertain(rep);

	if (rep->rcpts == NULL || i >= rep->nrcpts)
		return RCPT_DEFERRED;	/* no transaction began */
	r = &rep->rcpts[i];
	if (r->code != 0 && r->cls == CLASS_PERM)
		return RCPT_FAILED;
	if (r->code != 0 && r->cls == CLASS_OK && after_dot)
		return RCPT_SENT;
	if (refused && (r->code == 0 || r->cls == CLASS_OK))
		return RCPT_FAILED;
	return RCPT_DEFERRED;
}

/* An uncertain mail is held when the account says so (queue_uncertain
 * hold): the user decides whether a possible duplicate goes out. */
enum spool_mail_state attempt_mail_state(const struct deliver_report *rep,
    int queue_uncertain, const struct spool_rcpt_result *rr, size_t n,
    int expired)
{
	int deferred = 0, failed = 0;
	size_t i;

	if (rep->outcome.cls == CLASS_LOCAL || n == 0)
		return MAIL_HELD;	/* n == 0: nobody got it */
	if (attempt_uncertain(rep))
		return queue_uncertain == UNCERTAIN_HOLD ? MAIL_HELD :
		    MAIL_UNCERTAIN;
	for (i = 0; i < n; i++) {
		deferred |= rr[i].state == RCPT_DEFERRED;
		failed |= rr[i].state == RCPT_FAILED;
	}
	if (deferred)
		return expired ? MAIL_FAILED : MAIL_DEFERRED;
	return failed ? MAIL_FAILED : MAIL_SENT;
}

/* Only the mail's lifetime fails it with recipients still deferred. */
int attempt_expired(enum spool_mail_state state,
    const struct spool_rcpt_result *rr, size_t n)
{
	size_t i;

	if (state != MAIL_FAILED)
		return 0;
	for (i = 0; i < n; i++)
		if (rr[i].state == RCPT_DEFERRED)
			return 1;
	return 0;
}

int attempt_held_uncertain(enum spool_mail_state state,
    const struct deliver_report *rep)
{
	return state == MAIL_HELD && attempt_uncertain(rep);
}

static unsigned random32(void)
{
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned)time(NULL);
	return r;
}

/* build_attempt - the record of this attempt for spool_record(). */
static void build_attempt(struct attempt_result *res,
    const struct account *acc, struct spool_rcpt_result *rr,
    struct spool_attempt *a)
{
	const struct deliver_report *rep = &res->rep;
	struct backoff_policy policy = { acc->queue_backoff_min,
	    acc->queue_backoff_max, acc->queue_lifetime };
	time_t now = time(NULL), first;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->now = now;
	a->reached = attempt_reached(rep);
	for (i = 0; i < res->mail.rcpts.n; i++) {
		rr[i].idx = res->mail.rcpt_idx[i];
		rr[i].state = attempt_rcpt_state(rep, i);
		if (rep->rcpts != NULL && i < rep->nrcpts) {
			rr[i].code = rep->rcpts[i].code;
			rr[i].enh = rep->rcpts[i].enh;
			rr[i].text = rep->rcpts[i].text;
		}
		if (rr[i].state == RCPT_FAILED && rr[i].code == 0) {
			/* failed with the mail (MAIL refused): its reply
			 * is the recipient's, for the bounce */
			rr[i].code = rep->reply_code;
			rr[i].enh = rep->outcome.enh;
			rr[i].text = rep->reply_text;
		}
	}
	first = res->mail.first_attempt ? res->mail.first_attempt :
	    (a->reached ? now : 0);
	res->attempt = res->mail.attempts + a->reached;
	res->state = attempt_mail_state(rep, acc->queue_uncertain, rr,
	    res->mail.rcpts.n, backoff_expired(&policy, first, now));
	res->expired = attempt_expired(res->state, rr, res->mail.rcpts.n);
	res->held_uncertain = attempt_held_uncertain(res->state, rep);
	free(res->hint);
	res->hint = (res->state == MAIL_HELD && !res->held_uncertain) ||
	    res->state == MAIL_FAILED ? advice_held(acc, rep) : NULL;
	/* No jitter is drawn (a system call) for a mail that is done; a
	 * sent mail's record is pruned after queue_keep_sent (see
	 * spool_prune_sent()). */
	res->next_attempt = res->state == MAIL_SENT ?
	    now + acc->queue_keep_sent :
	    backoff_next(&policy, res->attempt, now, random32());
	a->state = res->state;
	a->next_attempt = res->next_attempt;
	a->code = rep->reply_code;
	a->enh = rep->outcome.enh;
	a->text = rep->reply_text;
	a->cls = smtp_class_name(rep->outcome.cls);
	a->reason = res->state == MAIL_SENT ? NULL : res->held_uncertain ?
	    ATTEMPT_HELD_UNCERTAIN : rep->errmsg;
	a->queued_as = res->state == MAIL_SENT ? rep->reply_text : NULL;
	a->hint = res->hint;
	a->uncertain = res->held_uncertain;
	a->rcpts = rr;
	a->nrcpts = res->mail.rcpts.n;
	a->bounce = attempt_bounce(acc->queue_bounce, 0, res);
}

int attempt_begin(struct spool *sp, const char *id,
    const struct engine_api *engine, struct attempt_result *res,
    char **errstr)
{
	memset(res, 0, sizeof(*res));
	res->engine = engine;
	return spool_load(sp, id, &res->mail, errstr);
}

/* attempt_adopt - attempt_begin() of the mail m, loaded by the caller;
 * res takes it over and m is left empty. */
void attempt_adopt(struct spool_mail *m, const struct engine_api *engine,
    struct attempt_result *res)
{
	memset(res, 0, sizeof(*res));
	res->engine = engine;
	res->mail = *m;
	memset(m, 0, sizeof(*m));
}

void attempt_job(const struct attempt_result *res, const struct account *acc,
    struct spool_body *body, int debug, struct deliver_job *job)
{
	memset(job, 0, sizeof(*job));
	job->acc = acc;
	job->from = res->mail.envelope_from;
	job->rcpts = &res->mail.rcpts;
	job->read = spool_body_read;
	job->read_arg = body;
	job->per_recipient = 1;
	job->debug = debug;
}

struct spool_rcpt_result *attempt_classify(struct attempt_result *res,
    const struct account *acc, struct spool_attempt *a)
{
	struct spool_rcpt_result *rr;

	rr = xcalloc(res->mail.rcpts.n ? res->mail.rcpts.n : 1, sizeof(*rr));
	build_attempt(res, acc, rr, a);
	return rr;
}

int attempt_anyone_got_it(const struct attempt_result *res)
{
	size_t i;

	if (res->rep.outcome.stage != STAGE_EOM)
		return 0;
	for (i = 0; i < res->rep.nrcpts; i++)
		if (res->rep.rcpts[i].cls == CLASS_OK)
			return 1;
	return 0;
}

int attempt_exit_tells(const struct attempt_result *res)
{
	return res->state == MAIL_FAILED && !attempt_anyone_got_it(res);
}

int attempt_bounce(int queue_bounce, int told,
    const struct attempt_result *res)
{
	return queue_bounce && !(told && attempt_exit_tells(res));
}

/* record - classify and record; told: the sender learns a failure
 * from msmtp's exit code, and is owed no bounce for it. */
static int record(struct spool *sp, const struct account *acc,
    struct attempt_result *res, int told, char **errstr)
{
	struct spool_rcpt_result *rr;
	struct spool_attempt a;
	int rc;

	rr = attempt_classify(res, acc, &a);
	a.bounce = attempt_bounce(acc->queue_bounce, told, res);
	rc = spool_record(sp, res->mail.id, &a, errstr);
	free(rr);
	return rc;
}

int attempt_record(struct spool *sp, const struct account *acc,
    struct attempt_result *res, char **errstr)
{
	return record(sp, acc, res, 0, errstr);
}

/* give_back - the claim of an attempt that could not start, returned;
 * if even that fails, a runner takes the mail back as uncertain later,
 * which holds it at worst: nothing is lost either way. */
static void give_back(struct spool *sp, const char *id)
{
	char *errstr = NULL;

	spool_unclaim(sp, id, &errstr);
	free(errstr);
}

int attempt_run(struct spool *sp, const char *id, const struct account *acc,
    const struct engine_api *engine, int debug, attempt_extend_fn extend,
    void *extend_arg, struct attempt_result *res, char **errstr)
{
	struct spool_body *body;
	struct deliver_job job;
	struct tlscache tc;
	int rc;

	rc = attempt_begin(sp, id, engine, res, errstr);
	if (rc == EX_OK)
		rc = spool_body_open(sp, id, &body, errstr);
	if (rc != EX_OK) {
		give_back(sp, id);
		return rc;
	}
	attempt_job(res, acc, body, debug, &job);
	if (extend != NULL)
		extend(extend_arg, res, &job);
	tlscache_init(&tc, sp, 1);
	job.tls_cache = &tc.c;
	engine->deliver_now(&job, &res->rep);
	spool_body_close(body);
	tlscache_flush(&tc, sp);
	tlscache_free(&tc);
	return record(sp, acc, res, 1, errstr);
}

void attempt_result_free(struct attempt_result *res)
{
	if (res->engine != NULL)
		res->engine->deliver_report_free(&res->rep);
	spool_mail_free(&res->mail);
	free(res->hint);
	memset(res, 0, sizeof(*res));
}
