/*
 * runner_test - the runner's rules for a pass: which waiting mails it
 * tries, which group (one session's worth) each joins, when a group may
 * start another session, and the circuit breaker that keeps a group
 * whose server could not be reached out of later passes
 * (runner/plan.h, runner/breaker.h, group_may_grow() in drain.h).
 *
 * Each rule has a table: one row per case, its inputs and the expected
 * result, the row's name printed when it fails.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/breaker.h"
#include "runner/drain.h"
#include "runner/plan.h"
#include "util/xalloc.h"
#include "unit.h"

#define NOW	((time_t)1700000000)

#define EXPECT(name, what, got, want) do {				\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		fprintf(stderr, "%s: %s is %lld, want %lld\n", (name),	\
		    (what), g_, w_);					\
		unit_failures++;					\
	}								\
} while (0)

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

/* --- plan_key(): which group a mail joins --- */

struct mail_in {
	const char	*account;
	const char	*conffile;
	long long	 snapshot;
};

struct key_case {
	const char	*name;
	struct mail_in	 a, b;
	int		 same;		/* one group, one session */
};

static const struct key_case key_cases[] = {
	{ "same account, file and settings: one group",
	    { "work", "/home/u/.msmtprc", 3 },
	    { "work", "/home/u/.msmtprc", 3 }, 1 },
	{ "settings changed between the two: two groups",
	    { "work", "/home/u/.msmtprc", 3 },
	    { "work", "/home/u/.msmtprc", 4 }, 0 },
	{ "another account: two groups",
	    { "work", "/home/u/.msmtprc", 3 },
	    { "home", "/home/u/.msmtprc", 3 }, 0 },
	{ "another configuration file: two groups",
	    { "work", "/home/u/.msmtprc", 3 },
	    { "work", "/etc/msmtprc", 3 }, 0 },
	{ "one from the command line: two groups",
	    { "work", "/home/u/.msmtprc", 3 },
	    { "work", NULL, 3 }, 0 },
	{ "both from the command line: one group",
	    { "", NULL, 7 }, { "", NULL, 7 }, 1 },
	{ "an account's name is not a prefix of another's",
	    { "work", "/x", 3 }, { "workshop", "/x", 3 }, 0 },
	{ "snapshot 1 and 11 differ", { "a", "/x", 1 }, { "a", "/x", 11 }, 0 },
};

static void mail_of(const struct mail_in *in, struct spool_waiting_mail *w)
{
	memset(w, 0, sizeof(*w));
	w->id = "1M8ABCDEFGHJ";
	w->account = in->account;
	w->conffile = in->conffile;
	w->snapshot = in->snapshot;
}

static void key_table(void)
{
	struct spool_waiting_mail wa, wb;
	char *ka, *kb;
	size_t k;

	for (k = 0; k < NROWS(key_cases); k++) {
		const struct key_case *c = &key_cases[k];

		mail_of(&c->a, &wa);
		mail_of(&c->b, &wb);
		ka = plan_key(&wa);
		kb = plan_key(&wb);
		EXPECT(c->name, "one group", strcmp(ka, kb) == 0, c->same);
		free(ka);
		free(kb);
	}
}

/* The key is what breakers and `msmtp-queue` remember a group by. */
static void key_format(void)
{
	struct mail_in in = { "work", "/home/u/.msmtprc", 42 };
	struct mail_in cmdline = { "", NULL, 5 };
	struct spool_waiting_mail w;
	char *key;

	mail_of(&in, &w);
	key = plan_key(&w);
	CHECK_STR(key, "work\n/home/u/.msmtprc\n42");
	free(key);
	mail_of(&cmdline, &w);
	key = plan_key(&w);
	CHECK_STR(key, "\n\n5");
	free(key);
}

/* --- plan_wanted(), plan_due(): which mails a pass tries --- */

struct wanted_case {
	const char	*name;
	int		 only;		/* restrict to the list below */
	const char	*list[3];
	const char	*id;
	int		 want;
};

static const struct wanted_case wanted_cases[] = {
	{ "no list: every mail", 0, { NULL }, "1M8AAAAAAAAA", 1 },
	{ "in the list", 1, { "1M8AAAAAAAAA", "1M8BBBBBBBBB" },
	    "1M8BBBBBBBBB", 1 },
	{ "not in the list", 1, { "1M8AAAAAAAAA", "1M8BBBBBBBBB" },
	    "1M8CCCCCCCCC", 0 },
	{ "an empty list: none", 1, { NULL }, "1M8AAAAAAAAA", 0 },
	{ "a prefix is not the id", 1, { "1M8AAAAAAAA" }, "1M8AAAAAAAAA",
	    0 },
};

static void wanted_table(void)
{
	struct strlist only;
	size_t k, i;

	for (k = 0; k < NROWS(wanted_cases); k++) {
		const struct wanted_case *c = &wanted_cases[k];

		strlist_init(&only);
		for (i = 0; i < 3 && c->list[i] != NULL; i++)
			strlist_add(&only, c->list[i]);
		EXPECT(c->name, "wanted",
		    plan_wanted(c->only ? &only : NULL, c->id), c->want);
		strlist_free(&only);
	}
}

struct due_case {
	const char	*name;
	time_t		 next_attempt;
	int		 forced;
	int		 want;
};

static const struct due_case due_cases[] = {
	{ "its time has come", NOW - 10, 0, 1 },
	{ "its time is now", NOW, 0, 1 },
	{ "one second early", NOW + 1, 0, 0 },
	{ "an hour early", NOW + 3600, 0, 0 },
	{ "early, but a flush tries every mail", NOW + 3600, 1, 1 },
	{ "due, and a flush", NOW - 1, 1, 1 },
	{ "a new mail (next attempt 0)", 0, 0, 1 },
};

static void due_table(void)
{
	struct spool_waiting_mail w;
	size_t k;

	for (k = 0; k < NROWS(due_cases); k++) {
		const struct due_case *c = &due_cases[k];

		memset(&w, 0, sizeof(w));
		w.next_attempt = c->next_attempt;
		EXPECT(c->name, "due", plan_due(&w, c->forced, NOW), c->want);
	}
}

/* --- plan_to_hold(): uncertain mail under queue_uncertain hold --- */

struct hold_case {
	const char	*name;
	int		 uncertain;
	int		 damaged;	/* no account: the snapshot is bad */
	int		 policy;
	int		 want;
};

static const struct hold_case hold_cases[] = {
	{ "uncertain, hold: held, not tried", 1, 0, UNCERTAIN_HOLD, 1 },
	{ "uncertain, resend: tried", 1, 0, UNCERTAIN_RESEND, 0 },
	{ "certain, hold: tried", 0, 0, UNCERTAIN_HOLD, 0 },
	{ "certain, resend: tried", 0, 0, UNCERTAIN_RESEND, 0 },
	{ "uncertain, damaged snapshot: held as damaged instead", 1, 1,
	    UNCERTAIN_HOLD, 0 },
};

static void hold_table(void)
{
	struct spool_waiting_mail w;
	struct account *acc;
	size_t k;

	for (k = 0; k < NROWS(hold_cases); k++) {
		const struct hold_case *c = &hold_cases[k];

		memset(&w, 0, sizeof(w));
		w.uncertain = c->uncertain;
		acc = c->damaged ? NULL : account_new("a");
		if (acc != NULL)
			acc->queue_uncertain = c->policy;
		EXPECT(c->name, "held", plan_to_hold(&w, acc), c->want);
		account_free(acc);
	}
}

/* --- plan_later(): when the daemon wakes for the next pass --- */

struct later_case {
	const char	*name;
	time_t		 earliest, when, want;
};

static const struct later_case later_cases[] = {
	{ "nothing yet: this one", 0, NOW + 60, NOW + 60 },
	{ "an earlier one: it", NOW + 30, NOW + 60, NOW + 30 },
	{ "a later one: this one", NOW + 90, NOW + 60, NOW + 60 },
	{ "the same time", NOW + 60, NOW + 60, NOW + 60 },
};

static void later_table(void)
{
	time_t earliest;
	size_t k;

	for (k = 0; k < NROWS(later_cases); k++) {
		const struct later_case *c = &later_cases[k];

		earliest = c->earliest;
		plan_later(&earliest, c->when);
		EXPECT(c->name, "the earliest", earliest, c->want);
	}
}

/* --- the circuit breaker --- */

#define KEY_A	"work\n/home/u/.msmtprc\n3"
#define KEY_B	"home\n/home/u/.msmtprc\n3"

struct trip {
	const char	*key;
	time_t		 until;
};

/* make_list - the breakers of trips[], tripped in order (the last one
 * first in the list, as breaker_trip() puts it). */
static struct breaker *make_list(const struct trip *trips)
{
	struct breaker *list = NULL;
	size_t i;

	for (i = 0; i < 3 && trips[i].key != NULL; i++)
		breaker_trip(&list, trips[i].key, trips[i].until);
	return list;
}

struct holding_case {
	const char	*name;
	struct trip	 trips[3];
	const char	*key;
	time_t		 want;		/* the holding one's until; 0: none */
};

static const struct holding_case holding_cases[] = {
	{ "no breaker: tried", { { NULL, 0 } }, KEY_A, 0 },
	{ "its breaker holds: skipped",
	    { { KEY_A, NOW + 60 } }, KEY_A, NOW + 60 },
	{ "its breaker ends now: tried",
	    { { KEY_A, NOW } }, KEY_A, 0 },
	{ "its breaker is over: tried",
	    { { KEY_A, NOW - 60 } }, KEY_A, 0 },
	{ "another group's breaker: tried",
	    { { KEY_B, NOW + 60 } }, KEY_A, 0 },
	{ "another group down too: skipped by its own",
	    { { KEY_A, NOW + 60 }, { KEY_B, NOW + 120 } }, KEY_A, NOW + 60 },
	{ "an old one over, a new one holding: skipped",
	    { { KEY_A, NOW - 60 }, { KEY_A, NOW + 30 } }, KEY_A, NOW + 30 },
	{ "a new one over behind an old one holding: skipped",
	    { { KEY_A, NOW + 30 }, { KEY_A, NOW - 60 } }, KEY_A, NOW + 30 },
	{ "one second left: skipped",
	    { { KEY_A, NOW + 1 } }, KEY_A, NOW + 1 },
};

static void holding_table(void)
{
	struct breaker *list;
	const struct breaker *b;
	size_t k;

	for (k = 0; k < NROWS(holding_cases); k++) {
		const struct holding_case *c = &holding_cases[k];

		list = make_list(c->trips);
		b = breaker_holding(list, c->key, NOW);
		EXPECT(c->name, "held until", b ? b->until : 0, c->want);
		if (b != NULL)
			EXPECT(c->name, "the key matches",
			    strcmp(b->key, c->key), 0);
		breaker_prune(&list, 0, 1);
		CHECK(list == NULL);
	}
}

struct prune_case {
	const char	*name;
	struct trip	 trips[3];
	int		 all;		/* a flush: the network came up */
	const char	*left;		/* the keys kept, first letters */
};

#define K(c, t)	{ c, t }

static const struct prune_case prune_cases[] = {
	{ "none", { { NULL, 0 } }, 0, "" },
	{ "one holding: kept", { K("a", NOW + 1) }, 0, "a" },
	{ "one ending now: forgotten", { K("a", NOW) }, 0, "" },
	{ "one over: forgotten", { K("a", NOW - 1) }, 0, "" },
	{ "over, holding, over: the holding one kept",
	    { K("a", NOW - 5), K("b", NOW + 5), K("c", NOW - 1) }, 0, "b" },
	{ "holding, over, holding: both kept (last tripped first)",
	    { K("a", NOW + 5), K("b", NOW - 5), K("c", NOW + 1) }, 0, "ca" },
	{ "a flush forgets even those holding",
	    { K("a", NOW + 5), K("b", NOW + 500) }, 1, "" },
};

static void prune_table(void)
{
	struct breaker *list, *b;
	char left[8];
	size_t k, n;

	for (k = 0; k < NROWS(prune_cases); k++) {
		const struct prune_case *c = &prune_cases[k];

		list = make_list(c->trips);
		breaker_prune(&list, NOW, c->all);
		n = 0;
		for (b = list; b != NULL && n < sizeof(left) - 1; b = b->next)
			left[n++] = b->key[0];
		left[n] = '\0';
		if (strcmp(left, c->left) != 0) {
			fprintf(stderr, "%s: kept \"%s\", want \"%s\"\n",
			    c->name, left, c->left);
			unit_failures++;
		}
		breaker_prune(&list, 0, 1);
	}
}

struct until_case {
	const char	*name;
	int		 backoff_min;
	time_t		 want;
};

static const struct until_case until_cases[] = {
	{ "the default queue_backoff_min (60 s)", -1, NOW + 60 },
	{ "queue_backoff_min 5m", 300, NOW + 300 },
	{ "queue_backoff_min 0: the next pass tries again", 0, NOW },
};

static void until_table(void)
{
	struct account *acc;
	size_t k;

	for (k = 0; k < NROWS(until_cases); k++) {
		const struct until_case *c = &until_cases[k];

		acc = account_new("a");
		if (c->backoff_min >= 0)
			acc->queue_backoff_min = c->backoff_min;
		EXPECT(c->name, "the breaker's end", breaker_until(acc, NOW),
		    c->want);
		account_free(acc);
	}
}

/* --- the group: its sessions, and going down --- */

struct grow_case {
	const char	*name;
	int		 stopping, down, opened, sessions, max;
	size_t		 next, n;	/* the next mail to claim, of n */
	int		 want;
};

static const struct grow_case grow_cases[] = {
	{ "logged in, room, mail left: one more", 0, 0, 1, 1, 4, 1, 5, 1 },
	{ "not logged in yet: wait for the first", 0, 0, 0, 1, 4, 1, 5, 0 },
	{ "at queue_max_connections: no", 0, 0, 1, 4, 4, 1, 5, 0 },
	{ "one below queue_max_connections: one more",
	    0, 0, 1, 3, 4, 1, 5, 1 },
	{ "every mail claimed: no", 0, 0, 1, 1, 4, 5, 5, 0 },
	{ "the last mail unclaimed: one more", 0, 0, 1, 1, 4, 4, 5, 1 },
	{ "the server is down: no", 0, 1, 1, 1, 4, 1, 5, 0 },
	{ "the pass is stopping: no", 1, 0, 1, 1, 4, 1, 5, 0 },
	{ "queue_max_connections 1: never a second", 0, 0, 1, 1, 1, 1, 5,
	    0 },
};

static void grow_table(void)
{
	struct drain d;
	struct group g;
	struct account *acc = account_new("a");
	size_t k;

	for (k = 0; k < NROWS(grow_cases); k++) {
		const struct grow_case *c = &grow_cases[k];

		memset(&d, 0, sizeof(d));
		memset(&g, 0, sizeof(g));
		d.stopping = c->stopping;
		g.d = &d;
		g.acc = acc;
		acc->queue_max_connections = c->max;
		g.down = c->down;
		g.opened = c->opened;
		g.sessions = c->sessions;
		g.next = c->next;
		g.ids.n = c->n;
		EXPECT(c->name, "may grow", group_may_grow(&g), c->want);
	}
	account_free(acc);
}

/* group_down(): the group stops, its breaker holds until the account's
 * first retry, and the next pass is due when it ends; a pass before
 * then skips the group, a flush forgets it. */
static void group_down_trips_breaker(void)
{
	struct drain d;
	struct group g;
	struct account *acc = account_new("a");

	memset(&d, 0, sizeof(d));
	memset(&g, 0, sizeof(g));
	acc->queue_backoff_min = 120;
	g.d = &d;
	g.acc = acc;
	g.key = xstrdup(KEY_A);
	d.earliest = NOW + 600;
	group_down(&g, NOW);
	CHECK_INT(g.down, 1);
	CHECK(breaker_holding(d.breakers, KEY_A, NOW + 119) != NULL);
	CHECK(breaker_holding(d.breakers, KEY_A, NOW + 120) == NULL);
	CHECK(breaker_holding(d.breakers, KEY_B, NOW) == NULL);
	CHECK_INT(d.earliest, NOW + 120);
	breaker_prune(&d.breakers, NOW + 60, 0);
	CHECK(breaker_holding(d.breakers, KEY_A, NOW + 60) != NULL);
	breaker_prune(&d.breakers, NOW + 60, 1);
	CHECK(d.breakers == NULL);
	free(g.key);
	account_free(acc);
}

UNIT_MAIN(
	UNIT_CASE(key_table),
	UNIT_CASE(key_format),
	UNIT_CASE(wanted_table),
	UNIT_CASE(due_table),
	UNIT_CASE(hold_table),
	UNIT_CASE(later_table),
	UNIT_CASE(holding_table),
	UNIT_CASE(prune_table),
	UNIT_CASE(until_table),
	UNIT_CASE(grow_table),
	UNIT_CASE(group_down_trips_breaker)
)
