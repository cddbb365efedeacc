/*
 * attempt - one delivery attempt of a spooled mail, recorded in the spool.
 *
 * attempt_run() loads the mail and its pending recipients, streams its
 * bytes from the spool through the engine (per recipient: a refused
 * recipient does not stop the others), turns the engine's outcome into
 * the queue's states and records them in one transaction:
 *   - a recipient is sent only when the server accepted the mail for it
 *     after the final dot; refused for good (5xx), by itself or with the
 *     whole transaction (its sender, DATA or the mail refused), it fails;
 *     otherwise it stays deferred;
 *   - the mail is held when the problem is ours to fix (configuration,
 *     credentials, certificate: CLASS_LOCAL), uncertain when the
 *     connection died after the final dot (held instead, with the
 *     reason ATTEMPT_HELD_UNCERTAIN, under queue_uncertain hold),
 *     deferred while any recipient is, failed when none is left to
 *     try or its lifetime is over (expired), and sent otherwise;
 *   - a mail held for us to fix, or failed, keeps the advice msmtp
 *     prints for it (advice_held()), recorded as its hint: --list,
 *     --show and the notification say how to fix it long after msmtp's
 *     stderr is gone.
 * A recipient failed for good owes its sender a bounce (queue_bounce),
 * unless msmtp's exit code tells the failure (attempt_exit_tells():
 * the mail failed and nobody got it): a partial refusal exits 0, so its
 * refused recipients are bounced, as the runner's are.
 * Each of these rules is one pure function, below ("The state rules");
 * tests/unit/attempt_test.c holds a table of cases for each.
 * The caller owns the result and frees it with attempt_result_free().
 * Returns a sysexits code for failures of the spool itself (the attempt
 * is then not recorded); the delivery's outcome is in the result.
 */
#ifndef DELIVERY_ATTEMPT_H
#define DELIVERY_ATTEMPT_H

#include <time.h>

#include "account/account.h"
#include "delivery/engine.h"
#include "queue/spool.h"

/* The deadline for each reply (and connect, and write) of an attempt no
 * one watches (the runner, msmtp -odb's background child) when the
 * account sets no timeout: nobody is there to interrupt what a silent or
 * dripping server holds. RFC 5321 4.5.3.2 asks clients to wait 5 minutes
 * for most replies (10 for the one after the final dot: set timeout 600
 * for a server that takes that long). msmtp's interactive delivery keeps
 * msmtp's default. */
#define ATTEMPT_UNATTENDED_TIMEOUT	300

/* Why a mail is held under queue_uncertain hold. */
#define ATTEMPT_HELD_UNCERTAIN "the connection was lost after the mail " \
	"was sent, so the server may have it: a resend may be a duplicate " \
	"(queue_uncertain hold); release it to resend it, or delete it"

struct attempt_result {
	enum spool_mail_state	 state;
	time_t			 next_attempt;
	int			 attempt;	/* attempts that reached the
						   server, this one included */
	int			 expired;	/* failed: lifetime over */
	int			 held_uncertain;	/* queue_uncertain
							   hold held it */
	char			*hint;		/* held, failed: the advice
						   (delivery/advice.h),
						   NULL if none; owned */
	struct spool_mail	 mail;
	struct deliver_report	 rep;
	const struct engine_api	*engine;
};

/* extend: if not NULL, called with the mail's job before it is run, so
 * that the caller may add to it (delivery/along.h takes the account's
 * due mail along in the same session). When the attempt cannot start
 * (the mail or its bytes cannot be read), the claim is given back
 * (spool_unclaim()) before the error returns. */
typedef void (*attempt_extend_fn)(void *arg, const struct attempt_result *res,
    struct deliver_job *job);
int attempt_run(struct spool *sp, const char *id, const struct account *acc,
    const struct engine_api *engine, int debug, attempt_extend_fn extend,
    void *extend_arg, struct attempt_result *res, char **errstr);

/*
 * The steps of attempt_run(), for a caller that drives the engine's
 * sessions itself (the queue runner), so that the classification above
 * is the same whoever delivers:
 *   attempt_begin()  load the claimed mail and its pending recipients
 *                    (attempt_adopt(): take one loaded already);
 *   attempt_job()    the engine's job for it, its bytes read from body;
 *   (the caller fills res->rep, e.g. with deliver_keep())
 *   attempt_record() classify res->rep and record it in the spool;
 *   or attempt_classify() to record it otherwise (res->state and the
 *   rest are set; a->rcpts is the returned array, for the caller to
 *   free() once recorded).
 * attempt_reached() says whether an attempt got as far as the server
 * (an answer, or a failure after connecting); a failure before that
 * (DNS, connection refused, connect timeout) spends no attempt.
 */
int attempt_begin(struct spool *sp, const char *id,
    const struct engine_api *engine, struct attempt_result *res,
    char **errstr);
void attempt_adopt(struct spool_mail *m, const struct engine_api *engine,
    struct attempt_result *res);
void attempt_job(const struct attempt_result *res, const struct account *acc,
    struct spool_body *body, int debug, struct deliver_job *job);
int attempt_record(struct spool *sp, const struct account *acc,
    struct attempt_result *res, char **errstr);
struct spool_rcpt_result *attempt_classify(struct attempt_result *res,
    const struct account *acc, struct spool_attempt *a);
int attempt_reached(const struct deliver_report *rep);
/* attempt_anyone_got_it - whether the server took the mail for at least
 * one recipient; attempt_exit_tells - whether msmtp's exit code says the
 * mail failed (it failed, and nobody got it). */
int attempt_anyone_got_it(const struct attempt_result *res);
int attempt_exit_tells(const struct attempt_result *res);
void attempt_result_free(struct attempt_result *res);

/*
 * The state rules: pure functions of the engine's report (and of the
 * states they gave), which build_attempt() applies in this order.
 *   attempt_uncertain()      the final dot went out and no verdict came
 *                            back (the connection died, or timed out);
 *   attempt_rcpt_state()     recipient i's state (RCPT_SENT, RCPT_FAILED
 *                            or RCPT_DEFERRED); a report with no
 *                            transaction defers everyone;
 *   attempt_mail_state()     the mail's state from the report and its n
 *                            recipients' states rr[].state;
 *                            queue_uncertain is the account's (enum
 *                            acc_uncertain), expired whether the mail's
 *                            lifetime is over;
 *   attempt_expired()        the mail failed with recipients still
 *                            deferred: its lifetime ended it;
 *   attempt_held_uncertain() it is held because it is uncertain;
 *   attempt_bounce()         whether this attempt's recipients failing
 *                            for good owe their sender a bounce: the
 *                            account's queue_bounce, unless the sender
 *                            was told by msmtp's exit code (told: the
 *                            attempt has msmtp's exit code behind it);
 *                            the spool picks the recipients
 *                            (spool_rcpt_owes_bounce()).
 */
int attempt_uncertain(const struct deliver_report *rep);
enum spool_rcpt_state attempt_rcpt_state(const struct deliver_report *rep,
    size_t i);
enum spool_mail_state attempt_mail_state(const struct deliver_report *rep,
    int queue_uncertain, const struct spool_rcpt_result *rr, size_t n,
    int expired);
int attempt_expired(enum spool_mail_state state,
    const struct spool_rcpt_result *rr, size_t n);
int attempt_held_uncertain(enum spool_mail_state state,
    const struct deliver_report *rep);
int attempt_bounce(int queue_bounce, int told,
    const struct attempt_result *res);

#endif
