/*
 * attempt_test - the queue's state rules (delivery/attempt.h): which
 * state each recipient and the mail get from the engine's report, when
 * msmtp's exit code tells the failure, and who is owed a bounce.
 *
 * Each rule has a table: one row per case, its inputs and the expected
 * result, the row's name printed when it fails. A report is written as
 * its outcome (class, stage, transport error) and each recipient's reply
 * code: 0 no answer, 2xx accepted, 4xx refused for now, 5xx for good;
 * NO_TXN: no transaction began (rcpts NULL). As the engine reports it,
 * a reply after the final dot is every accepted recipient's answer
 * (SMTP; LMTP gives each its own): a 451 there is written 451, not 250.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/attempt.h"
#include "util/xalloc.h"
#include "unit.h"

#define NO_TXN		(-1)
#define MAXR		3

/* The report of one case. */
struct rep_in {
	enum smtp_class	 cls;
	enum smtp_stage	 stage;
	enum smtp_terr	 terr;
	int		 nrcpts;		/* NO_TXN: none */
	int		 codes[MAXR];
};

/* Outcomes, by what happened. */
#define SENT_OK		CLASS_OK, STAGE_EOM, TERR_NONE
#define EOM_TEMP	CLASS_TEMP, STAGE_EOM, TERR_NONE	/* 451 after . */
#define EOM_PERM	CLASS_PERM, STAGE_EOM, TERR_NONE	/* 554 after . */
#define EOM_LOST	CLASS_TEMP, STAGE_EOM, TERR_CLOSED	/* no verdict */
#define EOM_TIMEOUT	CLASS_TEMP, STAGE_EOM, TERR_TIMEOUT
#define EOM_LOST_PERM	CLASS_PERM, STAGE_EOM, TERR_IO
#define BODY_LOST	CLASS_TEMP, STAGE_BODY, TERR_IO
#define DATA_PERM	CLASS_PERM, STAGE_DATA, TERR_NONE
#define DATA_TEMP	CLASS_TEMP, STAGE_DATA, TERR_NONE
#define MAIL_PERM	CLASS_PERM, STAGE_MAIL, TERR_NONE
#define MAIL_TEMP	CLASS_TEMP, STAGE_MAIL, TERR_NONE
#define RCPT_TEMP	CLASS_TEMP, STAGE_RCPT, TERR_NONE
#define CONN_REFUSED	CLASS_TEMP, STAGE_CONNECT, TERR_CONNECT
#define DNS_GONE	CLASS_PERM, STAGE_CONNECT, TERR_DNS_NOTFOUND
#define AUTH_LOCAL	CLASS_LOCAL, STAGE_AUTH, TERR_AUTH
#define TLS_LOCAL	CLASS_LOCAL, STAGE_TLS, TERR_TLS_VERIFY
#define EOM_LOCAL	CLASS_LOCAL, STAGE_EOM, TERR_LOCAL
/* An outcome alone, for the rules that look at no recipient's reply. */
#define OUTCOME(...)	{ __VA_ARGS__, NO_TXN, { 0 } }

static enum smtp_class class_of(int code)
{
	if (code >= 500)
		return CLASS_PERM;
	if (code >= 400)
		return CLASS_TEMP;
	return CLASS_OK;
}

/* make_rep - the report of in; its recipients live in r[]. */
static void make_rep(const struct rep_in *in, struct deliver_report *rep,
    struct deliver_rcpt r[MAXR])
{
	int i;

	memset(rep, 0, sizeof(*rep));
	memset(r, 0, MAXR * sizeof(*r));
	rep->outcome.cls = in->cls;
	rep->outcome.stage = in->stage;
	rep->outcome.terr = in->terr;
	if (in->nrcpts == NO_TXN)
		return;
	for (i = 0; i < in->nrcpts; i++) {
		r[i].code = in->codes[i];
		r[i].cls = class_of(in->codes[i]);
	}
	rep->rcpts = r;
	rep->nrcpts = (size_t)in->nrcpts;
}

/* expect - one row's result against its expectation, named. */
#define EXPECT(name, what, got, want, namefn) do {			\
	int g_ = (int)(got), w_ = (int)(want);				\
	if (g_ != w_) {							\
		fprintf(stderr, "%s: %s is %s, want %s\n", (name),	\
		    (what), namefn(g_), namefn(w_));			\
		unit_failures++;					\
	}								\
} while (0)

static const char *rcpt_name(int s)
{
	return spool_rcpt_state_name((enum spool_rcpt_state)s);
}

static const char *mail_name(int s)
{
	return spool_mail_state_name((enum spool_mail_state)s);
}

static const char *bool_name(int b)
{
	return b ? "yes" : "no";
}

/* int_name - n as text; two buffers, for got and want. */
static const char *int_name(int n)
{
	static char buf[2][16];
	static int which;

	which = !which;
	snprintf(buf[which], sizeof(buf[which]), "%d", n);
	return buf[which];
}

/* --- attempt_rcpt_state() --- */

struct rcpt_case {
	const char		*name;
	struct rep_in		 rep;
	size_t			 i;
	enum spool_rcpt_state	 want;
};

static const struct rcpt_case rcpt_cases[] = {
	{ "accepted, mail accepted after the dot: sent",
	    { SENT_OK, 2, { 250, 250 } }, 1, RCPT_SENT },
	{ "LMTP: accepted after the dot, the last one refused: sent",
	    { EOM_PERM, 2, { 250, 550 } }, 0, RCPT_SENT },
	{ "LMTP: refused after the dot, another accepted: failed",
	    { EOM_PERM, 2, { 250, 550 } }, 1, RCPT_FAILED },
	{ "refused for good at RCPT, the others sent: failed",
	    { SENT_OK, 2, { 250, 550 } }, 1, RCPT_FAILED },
	{ "refused for good at RCPT, mail deferred: failed",
	    { EOM_TEMP, 2, { 451, 550 } }, 1, RCPT_FAILED },
	{ "refused for now at RCPT, the others sent: deferred",
	    { SENT_OK, 2, { 250, 450 } }, 1, RCPT_DEFERRED },
	{ "refused for now, the mail refused for good: deferred",
	    { DATA_PERM, 2, { 250, 451 } }, 1, RCPT_DEFERRED },
	{ "accepted, the mail refused for now after the dot: deferred",
	    { EOM_TEMP, 1, { 451 } }, 0, RCPT_DEFERRED },
	{ "accepted, the mail refused for good after the dot: failed",
	    { EOM_PERM, 1, { 554 } }, 0, RCPT_FAILED },
	{ "accepted, DATA refused for good: failed with the mail",
	    { DATA_PERM, 1, { 250 } }, 0, RCPT_FAILED },
	{ "accepted, DATA refused for now: deferred",
	    { DATA_TEMP, 1, { 250 } }, 0, RCPT_DEFERRED },
	{ "never asked, the sender refused for good: failed",
	    { MAIL_PERM, 2, { 0, 0 } }, 1, RCPT_FAILED },
	{ "never asked, the sender refused for now: deferred",
	    { MAIL_TEMP, 2, { 0, 0 } }, 0, RCPT_DEFERRED },
	{ "accepted, connection lost after the dot: deferred (uncertain)",
	    { EOM_LOST, 1, { 250 } }, 0, RCPT_DEFERRED },
	{ "accepted, timeout after the dot: deferred (uncertain)",
	    { EOM_TIMEOUT, 1, { 250 } }, 0, RCPT_DEFERRED },
	{ "accepted, lost after the dot, class perm: not refused",
	    { EOM_LOST_PERM, 1, { 250 } }, 0, RCPT_DEFERRED },
	{ "refused for good, lost after the dot: failed all the same",
	    { EOM_LOST, 2, { 250, 550 } }, 1, RCPT_FAILED },
	{ "accepted, lost while sending the body: deferred",
	    { BODY_LOST, 1, { 250 } }, 0, RCPT_DEFERRED },
	{ "accepted, the session failed at a later RCPT: deferred",
	    { RCPT_TEMP, 2, { 250, 0 } }, 0, RCPT_DEFERRED },
	{ "no transaction (connection refused): deferred",
	    { CONN_REFUSED, NO_TXN, { 0 } }, 0, RCPT_DEFERRED },
	{ "no transaction, class perm (no such host): deferred",
	    { DNS_GONE, NO_TXN, { 0 } }, 0, RCPT_DEFERRED },
	{ "no transaction, a local problem: deferred",
	    { AUTH_LOCAL, NO_TXN, { 0 } }, 0, RCPT_DEFERRED },
	{ "past the report's recipients: deferred",
	    { EOM_PERM, 1, { 554 } }, 1, RCPT_DEFERRED },
};

static void rcpt_state_table(void)
{
	struct deliver_report rep;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); k++) {
		const struct rcpt_case *c = &rcpt_cases[k];

		make_rep(&c->rep, &rep, r);
		EXPECT(c->name, "the recipient's state",
		    attempt_rcpt_state(&rep, c->i), c->want, rcpt_name);
	}
}

/* --- attempt_uncertain() --- */

struct uncertain_case {
	const char	*name;
	struct rep_in	 rep;
	int		 want;
};

static const struct uncertain_case uncertain_cases[] = {
	{ "connection closed after the dot", { EOM_LOST, 1, { 250 } }, 1 },
	{ "timeout after the dot", { EOM_TIMEOUT, 1, { 250 } }, 1 },
	{ "I/O error after the dot, whatever the class",
	    { EOM_LOST_PERM, 1, { 250 } }, 1 },
	{ "a reply after the dot: accepted", { SENT_OK, 1, { 250 } }, 0 },
	{ "a reply after the dot: refused", { EOM_PERM, 1, { 554 } }, 0 },
	{ "lost before the dot", { BODY_LOST, 1, { 250 } }, 0 },
	{ "never connected", { CONN_REFUSED, NO_TXN, { 0 } }, 0 },
};

static void uncertain_table(void)
{
	struct deliver_report rep;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(uncertain_cases) / sizeof(uncertain_cases[0]);
	    k++) {
		const struct uncertain_case *c = &uncertain_cases[k];

		make_rep(&c->rep, &rep, r);
		EXPECT(c->name, "uncertain", attempt_uncertain(&rep), c->want,
		    bool_name);
	}
}

/* --- attempt_reached(): did the attempt spend one of the mail's? --- */

struct reached_case {
	const char	*name;
	struct rep_in	 rep;
	int		 want;
};

static const struct reached_case reached_cases[] = {
	{ "no such host", OUTCOME(DNS_GONE), 0 },
	{ "the resolver failed",
	    OUTCOME(CLASS_TEMP, STAGE_CONNECT, TERR_DNS_TEMP), 0 },
	{ "connection refused", OUTCOME(CONN_REFUSED), 0 },
	{ "connection refused, reported past connect",
	    OUTCOME(CLASS_TEMP, STAGE_GREETING, TERR_CONNECT), 0 },
	{ "a host name with no A-label form",
	    OUTCOME(CLASS_LOCAL, STAGE_CONNECT, TERR_DNS_NAME), 0 },
	{ "the proxy failed while connecting",
	    OUTCOME(CLASS_TEMP, STAGE_CONNECT, TERR_PROXY), 0 },
	{ "closed before the greeting",
	    OUTCOME(CLASS_TEMP, STAGE_GREETING, TERR_CLOSED), 1 },
	{ "the certificate refused", OUTCOME(TLS_LOCAL), 1 },
	{ "authentication failed", OUTCOME(AUTH_LOCAL), 1 },
	{ "the mail refused", { DATA_PERM, 1, { 250 } }, 1 },
	{ "sent", { SENT_OK, 1, { 250 } }, 1 },
	{ "lost after the dot", { EOM_LOST, 1, { 250 } }, 1 },
};

static void reached_table(void)
{
	struct deliver_report rep;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(reached_cases) / sizeof(reached_cases[0]);
	    k++) {
		const struct reached_case *c = &reached_cases[k];

		make_rep(&c->rep, &rep, r);
		EXPECT(c->name, "reached", attempt_reached(&rep), c->want,
		    bool_name);
	}
}

/* --- attempt_mail_state() --- */

#define S	RCPT_SENT
#define F	RCPT_FAILED
#define D	RCPT_DEFERRED

struct mail_case {
	const char		*name;
	struct rep_in		 rep;		/* its outcome only */
	int			 policy;	/* queue_uncertain */
	int			 n;
	enum spool_rcpt_state	 states[MAXR];
	int			 expired;
	enum spool_mail_state	 want;
};

static const struct mail_case mail_cases[] = {
	{ "everyone sent: sent",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 2, { S, S }, 0, MAIL_SENT },
	{ "everyone sent, lifetime over: sent all the same",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 1, { S }, 1, MAIL_SENT },
	{ "one deferred: deferred",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 2, { S, D }, 0, MAIL_DEFERRED },
	{ "one deferred, one failed: deferred while any is",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 3, { S, F, D }, 0,
	    MAIL_DEFERRED },
	{ "one deferred, lifetime over: failed (expired)",
	    OUTCOME(EOM_TEMP), UNCERTAIN_RESEND, 2, { D, D }, 1, MAIL_FAILED },
	{ "one failed, the rest sent: failed",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 2, { S, F }, 0, MAIL_FAILED },
	{ "everyone failed: failed, none left to try",
	    OUTCOME(DATA_PERM), UNCERTAIN_RESEND, 2, { F, F }, 0, MAIL_FAILED },
	{ "our problem (auth): held",
	    OUTCOME(AUTH_LOCAL), UNCERTAIN_RESEND, 1, { D }, 0, MAIL_HELD },
	{ "our problem (certificate), lifetime over: held, not failed",
	    OUTCOME(TLS_LOCAL), UNCERTAIN_RESEND, 1, { D }, 1, MAIL_HELD },
	{ "our problem after the dot: held, not uncertain",
	    OUTCOME(EOM_LOCAL), UNCERTAIN_HOLD, 1, { D }, 0, MAIL_HELD },
	{ "no recipient: held",
	    OUTCOME(SENT_OK), UNCERTAIN_RESEND, 0, { S }, 0, MAIL_HELD },
	{ "lost after the dot: uncertain",
	    OUTCOME(EOM_LOST), UNCERTAIN_RESEND, 1, { D }, 0, MAIL_UNCERTAIN },
	{ "lost after the dot, lifetime over: uncertain",
	    OUTCOME(EOM_LOST), UNCERTAIN_RESEND, 1, { D }, 1, MAIL_UNCERTAIN },
	{ "lost after the dot, queue_uncertain hold: held",
	    OUTCOME(EOM_TIMEOUT), UNCERTAIN_HOLD, 1, { D }, 0, MAIL_HELD },
	{ "lost after the dot, one refused: uncertain",
	    OUTCOME(EOM_LOST), UNCERTAIN_RESEND, 2, { D, F }, 0, MAIL_UNCERTAIN },
	{ "queue_uncertain hold, a certain outcome: sent",
	    OUTCOME(SENT_OK), UNCERTAIN_HOLD, 1, { S }, 0, MAIL_SENT },
	{ "lost before the dot: deferred",
	    OUTCOME(BODY_LOST), UNCERTAIN_HOLD, 1, { D }, 0, MAIL_DEFERRED },
	{ "never connected: deferred",
	    OUTCOME(CONN_REFUSED), UNCERTAIN_RESEND, 2, { D, D }, 0,
	    MAIL_DEFERRED },
};

static void mail_state_table(void)
{
	struct deliver_report rep;
	struct deliver_rcpt r[MAXR];
	struct spool_rcpt_result rr[MAXR];
	size_t k;
	int i;

	for (k = 0; k < sizeof(mail_cases) / sizeof(mail_cases[0]); k++) {
		const struct mail_case *c = &mail_cases[k];

		make_rep(&c->rep, &rep, r);
		memset(rr, 0, sizeof(rr));
		for (i = 0; i < c->n; i++)
			rr[i].state = c->states[i];
		EXPECT(c->name, "the mail's state",
		    attempt_mail_state(&rep, c->policy, rr, (size_t)c->n,
		    c->expired), c->want, mail_name);
	}
}

/* --- attempt_expired(), attempt_held_uncertain() --- */

struct expired_case {
	const char		*name;
	enum spool_mail_state	 state;
	int			 n;
	enum spool_rcpt_state	 states[MAXR];
	int			 want;
};

static const struct expired_case expired_cases[] = {
	{ "failed with one deferred: expired",
	    MAIL_FAILED, 2, { F, D }, 1 },
	{ "failed, everyone failed: refused, not expired",
	    MAIL_FAILED, 2, { F, F }, 0 },
	{ "failed, some sent, some failed: not expired",
	    MAIL_FAILED, 2, { S, F }, 0 },
	{ "deferred: not expired", MAIL_DEFERRED, 1, { D }, 0 },
	{ "held with deferred ones: not expired", MAIL_HELD, 1, { D }, 0 },
	{ "failed, no recipient: not expired", MAIL_FAILED, 0, { D }, 0 },
};

static void expired_table(void)
{
	struct spool_rcpt_result rr[MAXR];
	size_t k;
	int i;

	for (k = 0; k < sizeof(expired_cases) / sizeof(expired_cases[0]);
	    k++) {
		const struct expired_case *c = &expired_cases[k];

		memset(rr, 0, sizeof(rr));
		for (i = 0; i < c->n; i++)
			rr[i].state = c->states[i];
		EXPECT(c->name, "expired", attempt_expired(c->state, rr,
		    (size_t)c->n), c->want, bool_name);
	}
}

struct held_case {
	const char		*name;
	enum spool_mail_state	 state;
	struct rep_in		 rep;
	int			 want;
};

static const struct held_case held_cases[] = {
	{ "held, lost after the dot: held as uncertain",
	    MAIL_HELD, { EOM_LOST, 1, { 250 } }, 1 },
	{ "held for our problem: not as uncertain",
	    MAIL_HELD, { AUTH_LOCAL, NO_TXN, { 0 } }, 0 },
	{ "uncertain, not held", MAIL_UNCERTAIN, { EOM_LOST, 1, { 250 } },
	    0 },
	{ "sent", MAIL_SENT, { SENT_OK, 1, { 250 } }, 0 },
};

static void held_uncertain_table(void)
{
	struct deliver_report rep;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(held_cases) / sizeof(held_cases[0]); k++) {
		const struct held_case *c = &held_cases[k];

		make_rep(&c->rep, &rep, r);
		EXPECT(c->name, "held as uncertain",
		    attempt_held_uncertain(c->state, &rep), c->want,
		    bool_name);
	}
}

/* --- attempt_exit_tells(), attempt_bounce() --- */

struct tells_case {
	const char		*name;
	enum spool_mail_state	 state;
	struct rep_in		 rep;
	int			 got_it;	/* attempt_anyone_got_it */
	int			 tells;		/* attempt_exit_tells */
};

static const struct tells_case tells_cases[] = {
	{ "failed, nobody got it: the exit code tells",
	    MAIL_FAILED, { EOM_PERM, 2, { 554, 554 } }, 0, 1 },
	{ "failed at DATA: the exit code tells",
	    MAIL_FAILED, { DATA_PERM, 1, { 250 } }, 0, 1 },
	{ "failed, the sender refused: the exit code tells",
	    MAIL_FAILED, { MAIL_PERM, 1, { 0 } }, 0, 1 },
	{ "failed, no transaction: the exit code tells",
	    MAIL_FAILED, { DNS_GONE, NO_TXN, { 0 } }, 0, 1 },
	{ "partly refused: exits 0, a bounce tells",
	    MAIL_FAILED, { SENT_OK, 2, { 250, 550 } }, 1, 0 },
	{ "expired, someone got it: a bounce tells",
	    MAIL_FAILED, { SENT_OK, 2, { 250, 450 } }, 1, 0 },
	{ "expired, nobody got it: the exit code tells",
	    MAIL_FAILED, { EOM_TEMP, 1, { 451 } }, 0, 1 },
	{ "everyone refused at RCPT, mail accepted: exit code tells",
	    MAIL_FAILED, { SENT_OK, 2, { 550, 551 } }, 0, 1 },
	{ "sent: nothing to tell", MAIL_SENT, { SENT_OK, 1, { 250 } }, 1, 0 },
	{ "deferred: nothing to tell",
	    MAIL_DEFERRED, { EOM_TEMP, 1, { 451 } }, 0, 0 },
	{ "held: nothing to tell",
	    MAIL_HELD, { AUTH_LOCAL, NO_TXN, { 0 } }, 0, 0 },
	{ "uncertain: the server may have it",
	    MAIL_UNCERTAIN, { EOM_LOST, 1, { 250 } }, 1, 0 },
};

static void exit_tells_table(void)
{
	struct attempt_result res;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(tells_cases) / sizeof(tells_cases[0]); k++) {
		const struct tells_case *c = &tells_cases[k];

		memset(&res, 0, sizeof(res));
		make_rep(&c->rep, &res.rep, r);
		res.state = c->state;
		EXPECT(c->name, "anyone got it", attempt_anyone_got_it(&res),
		    c->got_it, bool_name);
		EXPECT(c->name, "the exit code tells",
		    attempt_exit_tells(&res), c->tells, bool_name);
	}
}

struct bounce_case {
	const char	*name;
	int		 queue_bounce, told;
	enum spool_mail_state state;
	struct rep_in	 rep;
	int		 want;
};

static const struct bounce_case bounce_cases[] = {
	{ "runner, partly refused: bounce", 1, 0,
	    MAIL_FAILED, { SENT_OK, 2, { 250, 550 } }, 1 },
	{ "runner, refused altogether: bounce (nobody else tells)", 1, 0,
	    MAIL_FAILED, { DATA_PERM, 1, { 250 } }, 1 },
	{ "msmtp, refused altogether: its exit code tells, no bounce", 1, 1,
	    MAIL_FAILED, { DATA_PERM, 1, { 250 } }, 0 },
	{ "msmtp, partly refused: exit 0, so bounce", 1, 1,
	    MAIL_FAILED, { SENT_OK, 2, { 250, 550 } }, 1 },
	{ "msmtp, deferred: bounce later if need be", 1, 1,
	    MAIL_DEFERRED, { SENT_OK, 2, { 250, 450 } }, 1 },
	{ "queue_bounce off: never", 0, 0,
	    MAIL_FAILED, { SENT_OK, 2, { 250, 550 } }, 0 },
	{ "queue_bounce off, msmtp: never", 0, 1,
	    MAIL_FAILED, { DATA_PERM, 1, { 250 } }, 0 },
};

static void bounce_table(void)
{
	struct attempt_result res;
	struct deliver_rcpt r[MAXR];
	size_t k;

	for (k = 0; k < sizeof(bounce_cases) / sizeof(bounce_cases[0]); k++) {
		const struct bounce_case *c = &bounce_cases[k];

		memset(&res, 0, sizeof(res));
		make_rep(&c->rep, &res.rep, r);
		res.state = c->state;
		EXPECT(c->name, "a bounce is owed",
		    attempt_bounce(c->queue_bounce, c->told, &res), c->want,
		    bool_name);
	}
}

/* --- spool_rcpt_owes_bounce(): which recipients the spool marks --- */

struct owes_case {
	const char		*name;
	int			 bounce;
	enum spool_mail_state	 mail;
	enum spool_rcpt_state	 rcpt;
	int			 want;
};

static const struct owes_case owes_cases[] = {
	{ "failed for good, mail failed", 1, MAIL_FAILED, F, 1 },
	{ "failed for good, mail deferred", 1, MAIL_DEFERRED, F, 1 },
	{ "failed for good, mail uncertain", 1, MAIL_UNCERTAIN, F, 1 },
	{ "still deferred when the mail expired", 1, MAIL_FAILED, D, 1 },
	{ "sent, in a mail that failed", 1, MAIL_FAILED, S, 0 },
	{ "deferred, mail deferred", 1, MAIL_DEFERRED, D, 0 },
	{ "deferred, mail held", 1, MAIL_HELD, D, 0 },
	{ "sent, mail sent", 1, MAIL_SENT, S, 0 },
	{ "failed for good, no bounce wanted", 0, MAIL_FAILED, F, 0 },
	{ "expired, no bounce wanted", 0, MAIL_FAILED, D, 0 },
};

static void owes_table(void)
{
	struct spool_attempt a;
	struct spool_rcpt_result r;
	size_t k;

	for (k = 0; k < sizeof(owes_cases) / sizeof(owes_cases[0]); k++) {
		const struct owes_case *c = &owes_cases[k];

		memset(&a, 0, sizeof(a));
		memset(&r, 0, sizeof(r));
		a.bounce = c->bounce;
		a.state = c->mail;
		r.state = c->rcpt;
		EXPECT(c->name, "owes a bounce", spool_rcpt_owes_bounce(&a, &r),
		    c->want, bool_name);
	}
}

/* --- attempt_classify(): the rules applied together --- */

struct classify_case {
	const char		*name;
	struct rep_in		 rep;
	int			 policy;
	time_t			 first_ago;	/* 0: never reached */
	int			 attempts;	/* before this one */
	enum spool_mail_state	 want;
	enum spool_rcpt_state	 rcpts[MAXR];
	int			 expired, held_uncertain, attempt;
	int			 uncertain;	/* a.uncertain */
	const char		*reason;	/* a.reason: ERR for the
						   report's errmsg */
	int			 reached;
};

#define DAY	(24 * 3600)
#define ERR	"the report's error"
#define HELD	ATTEMPT_HELD_UNCERTAIN

/* Rows: report, queue_uncertain, first attempt (seconds ago, 0: none),
 * attempts before; then the mail's state, the recipients', expired,
 * held as uncertain, attempts after, a.uncertain, a.reason, reached. */
static const struct classify_case classify_cases[] = {
	{ "sent to both",
	    { SENT_OK, 2, { 250, 250 } }, UNCERTAIN_RESEND, 0, 0,
	    MAIL_SENT, { S, S }, 0, 0, 1, 0, NULL, 1 },
	{ "one refused, one sent",
	    { SENT_OK, 2, { 550, 250 } }, UNCERTAIN_RESEND, DAY, 2,
	    MAIL_FAILED, { F, S }, 0, 0, 3, 0, ERR, 1 },
	{ "refused for now, young: deferred",
	    { EOM_TEMP, 1, { 451 } }, UNCERTAIN_RESEND, DAY, 1,
	    MAIL_DEFERRED, { D }, 0, 0, 2, 0, ERR, 1 },
	{ "refused for now, lifetime over: expired",
	    { EOM_TEMP, 2, { 451, 550 } }, UNCERTAIN_RESEND, 30 * DAY, 9,
	    MAIL_FAILED, { D, F }, 1, 0, 10, 0, ERR, 1 },
	{ "unreachable, lifetime over: no attempt spent, expired",
	    { CONN_REFUSED, NO_TXN, { 0 } }, UNCERTAIN_RESEND, 30 * DAY, 4,
	    MAIL_FAILED, { D, D }, 1, 0, 4, 0, ERR, 0 },
	{ "unreachable, never reached: deferred, no attempt spent",
	    { CONN_REFUSED, NO_TXN, { 0 } }, UNCERTAIN_RESEND, 0, 0,
	    MAIL_DEFERRED, { D }, 0, 0, 0, 0, ERR, 0 },
	{ "lost after the dot: uncertain",
	    { EOM_LOST, 1, { 250 } }, UNCERTAIN_RESEND, 0, 0,
	    MAIL_UNCERTAIN, { D }, 0, 0, 1, 0, ERR, 1 },
	{ "lost after the dot, hold: held as uncertain",
	    { EOM_LOST, 1, { 250 } }, UNCERTAIN_HOLD, 0, 0,
	    MAIL_HELD, { D }, 0, 1, 1, 1, HELD, 1 },
	{ "bad password: held",
	    { AUTH_LOCAL, NO_TXN, { 0 } }, UNCERTAIN_HOLD, 0, 0,
	    MAIL_HELD, { D }, 0, 0, 1, 0, ERR, 1 },
};

static int count_rcpts(const enum spool_rcpt_state *s)
{
	int n = 0;

	while (n < MAXR && s[n] != RCPT_PENDING)
		n++;
	return n;
}

static void classify_table(void)
{
	struct account *acc = account_new("test");
	struct attempt_result res;
	struct spool_rcpt_result *rr;
	struct spool_attempt a;
	struct deliver_rcpt r[MAXR];
	time_t now = time(NULL);
	size_t k;
	int i, n;

	acc->queue_bounce = 1;
	for (k = 0; k < sizeof(classify_cases) / sizeof(classify_cases[0]);
	    k++) {
		const struct classify_case *c = &classify_cases[k];

		memset(&res, 0, sizeof(res));
		make_rep(&c->rep, &res.rep, r);
		res.rep.errmsg = (char *)ERR;
		acc->queue_uncertain = c->policy;
		n = count_rcpts(c->rcpts);
		strlist_init(&res.mail.rcpts);
		for (i = 0; i < n; i++)
			strlist_add(&res.mail.rcpts, "rcpt@example.org");
		res.mail.rcpt_idx = xcalloc((size_t)n, sizeof(int));
		res.mail.attempts = c->attempts;
		res.mail.first_attempt = c->first_ago ? now - c->first_ago : 0;
		rr = attempt_classify(&res, acc, &a);
		EXPECT(c->name, "the mail's state", res.state, c->want,
		    mail_name);
		EXPECT(c->name, "the recorded state", a.state, c->want,
		    mail_name);
		for (i = 0; i < n; i++)
			EXPECT(c->name, "a recipient's state", rr[i].state,
			    c->rcpts[i], rcpt_name);
		EXPECT(c->name, "expired", res.expired, c->expired,
		    bool_name);
		EXPECT(c->name, "held as uncertain", res.held_uncertain,
		    c->held_uncertain, bool_name);
		EXPECT(c->name, "recorded as uncertain", a.uncertain,
		    c->uncertain, bool_name);
		if ((a.reason == NULL) != (c->reason == NULL) ||
		    (a.reason != NULL && strcmp(a.reason, c->reason) != 0)) {
			fprintf(stderr, "%s: the reason is \"%s\", want "
			    "\"%s\"\n", c->name, a.reason ? a.reason : "",
			    c->reason ? c->reason : "");
			unit_failures++;
		}
		EXPECT(c->name, "reached", a.reached, c->reached, bool_name);
		EXPECT(c->name, "the bounce flag", a.bounce, 1, bool_name);
		EXPECT(c->name, "attempts", res.attempt, c->attempt,
		    int_name);
		if (res.next_attempt < now)
			EXPECT(c->name, "the next attempt in the past", 1, 0,
			    bool_name);
		free(rr);
		free(res.mail.rcpt_idx);
		strlist_free(&res.mail.rcpts);
	}
	account_free(acc);
}

/* A recipient failed with the mail (the sender refused) gets the
 * mail's reply, for its bounce; one refused by itself keeps its own. */
static void classify_sender_refused(void)
{
	struct account *acc = account_new(NULL);
	struct attempt_result res;
	struct spool_rcpt_result *rr;
	struct spool_attempt a;
	struct deliver_rcpt r[MAXR];
	static const struct rep_in in = { MAIL_PERM, 2, { 0, 0 } };
	int idx[2] = { 0, 3 };

	memset(&res, 0, sizeof(res));
	make_rep(&in, &res.rep, r);
	r[1].code = 551;
	r[1].cls = CLASS_PERM;
	r[1].text = (char *)"551 not here";
	res.rep.reply_code = 553;
	res.rep.reply_text = (char *)"553 sender refused";
	strlist_init(&res.mail.rcpts);
	strlist_add(&res.mail.rcpts, "a@example.org");
	strlist_add(&res.mail.rcpts, "b@example.org");
	res.mail.rcpt_idx = idx;
	rr = attempt_classify(&res, acc, &a);
	CHECK_INT(res.state, MAIL_FAILED);
	CHECK_INT(rr[0].state, RCPT_FAILED);
	CHECK_INT(rr[0].code, 553);
	CHECK_STR(rr[0].text, "553 sender refused");
	CHECK_INT(rr[1].idx, 3);
	CHECK_INT(rr[1].code, 551);
	CHECK_STR(rr[1].text, "551 not here");
	free(rr);
	strlist_free(&res.mail.rcpts);
	account_free(acc);
}

UNIT_MAIN(
	UNIT_CASE(reached_table),
	UNIT_CASE(rcpt_state_table),
	UNIT_CASE(uncertain_table),
	UNIT_CASE(mail_state_table),
	UNIT_CASE(expired_table),
	UNIT_CASE(held_uncertain_table),
	UNIT_CASE(exit_tells_table),
	UNIT_CASE(bounce_table),
	UNIT_CASE(owes_table),
	UNIT_CASE(classify_table),
	UNIT_CASE(classify_sender_refused)
)
