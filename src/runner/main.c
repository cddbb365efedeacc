/*
 * msmtp-queue - the queue runner: deliver, list and manage the spool.
 *
 * main() parses the command line and dispatches; errors are reported
 * here, once, as "msmtp-queue: message", and the sysexits code is the
 * exit status.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/conf.h"
#include "account/conffiles.h"
#include "delivery/owed.h"
#include "queue/spoolpath.h"
#include "runner/msmtpq.h"
#include "runner/runner.h"
#include "runner/spools.h"
#include "util/harden.h"
#include "util/xalloc.h"

enum command { CMD_NONE, CMD_FLUSH, CMD_RUN, CMD_DAEMON, CMD_LIST, CMD_SHOW,
    CMD_STATUS, CMD_HOLD, CMD_RELEASE, CMD_RETRY, CMD_DELETE, CMD_PURGE,
    CMD_IMPORT, CMD_SEND, CMD_VERSION, CMD_HELP };

/* Long options without a letter (the letters r and R are msmtpq's). */
enum { O_RMQS = 256, O_RAW, O_KEEP };

struct args {
	enum command	 cmd;
	char		*conffile;
	char		*queue_file;
	char		*account;
	char		*rmqs;
	int		 debug;
	int		 json;
	int		 raw;
	int		 yes;
	int		 sent;
	int		 keep;
	struct strlist	 ids;
};

static const char usage_text[] =
"Usage: msmtp-queue [option...] command [ID... | ALL]\n"
"Commands:\n"
"  --flush          deliver every queued mail now, ignoring retry times\n"
"  --run            deliver the mails that are due\n"
"  --daemon         stay in the foreground, delivering mails as they\n"
"                   become due, and all of them when the network comes\n"
"                   up (SIGHUP: reread the configuration; SIGUSR1:\n"
"                   try every waiting mail now)\n"
"  --list           show what is queued, and why\n"
"  --show ID        one mail's record and headers\n"
"  --status         the queue in one line (exit 0: empty, 75: some mail\n"
"                   waits, 69: a mail is held or failed)\n"
"  --hold ID...     keep mails from delivery until released\n"
"  --release ID...  queue held mails again\n"
"  --retry ID...    make mails due now (failed ones too)\n"
"  --delete ID...   remove mails from the queue\n"
"  --purge          remove every mail not yet sent (asks)\n"
"  --import-msmtpq [DIR]  move msmtpq's queue (default $MSMTPQ_Q,\n"
"                   else ~/.msmtp.queue) into the spool\n"
"  --version        print the version\n"
"  -h, --help       print this help\n"
"  ID may be ALL. msmtpq's -r, -R ID, -p ID and -a work too (see\n"
"  msmtp-queue(1)).\n"
"Options:\n"
"  -C, --file=FILE  configuration file (as msmtp)\n"
"  --queue-file=DB  this spool only (default: every spool the\n"
"                   configuration names: $MSMTP_QUEUE_FILE, each\n"
"                   account's queue_file, $XDG_STATE_HOME/msmtp/queue.db)\n"
"  -a, --account=NAME  only this account's mails\n"
"  --rmqs=ARG       after delivering, send ETRN ARG (host, @domain or\n"
"                   #queue) to each server (else the account's rmqs)\n"
"  -d, --debug      print the SMTP dialogues\n"
"  --json           with --list or --show: JSON for scripts (--show's\n"
"                   form when not on a terminal)\n"
"  --sent           with --list: the sent mails still on record instead\n"
"  --raw            with --show: the mail's bytes\n"
"  --yes            with --purge: do not ask (needed off a terminal)\n"
"  --keep           with --import-msmtpq: leave msmtpq's files\n"
"Exit: 0 when nothing is left waiting, 75 when some mail waits; see\n"
"msmtp-queue(1), EXIT STATUS.\n";

static const struct option opts[] = {
	{ "flush", no_argument, NULL, CMD_FLUSH },
	{ "run", no_argument, NULL, CMD_RUN },
	{ "daemon", no_argument, NULL, CMD_DAEMON },
	{ "list", no_argument, NULL, CMD_LIST },
	{ "show", no_argument, NULL, CMD_SHOW },
	{ "status", no_argument, NULL, CMD_STATUS },
	{ "hold", no_argument, NULL, CMD_HOLD },
	{ "release", no_argument, NULL, CMD_RELEASE },
	{ "retry", no_argument, NULL, CMD_RETRY },
	{ "delete", no_argument, NULL, CMD_DELETE },
	{ "purge", no_argument, NULL, CMD_PURGE },
	{ "import-msmtpq", no_argument, NULL, CMD_IMPORT },
	{ "version", no_argument, NULL, CMD_VERSION },
	{ "help", no_argument, NULL, CMD_HELP },
	{ "file", required_argument, NULL, 'C' },
	{ "queue-file", required_argument, NULL, 'Q' },
	{ "account", required_argument, NULL, 'a' },
	{ "rmqs", required_argument, NULL, O_RMQS },
	{ "debug", no_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "raw", no_argument, NULL, O_RAW },
	{ "yes", no_argument, NULL, 'y' },
	{ "sent", no_argument, NULL, 'S' },
	{ "keep", no_argument, NULL, O_KEEP },
	{ NULL, 0, NULL, 0 }
};

static void replace(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* msmtpq_option - msmtpq's queue options, mapped onto ours
 * (msmtp-queue(1), "Coming from msmtpq"). */
static int msmtpq_option(struct args *a, int c)
{
	switch (c) {
	case 'r': a->cmd = CMD_FLUSH; return 1;
	case 'R': a->cmd = CMD_SEND; return 1;
	case 'p': a->cmd = CMD_DELETE; return 1;
	case 'h': a->cmd = CMD_HELP; return 1;
	}
	return 0;
}

/* option - one option; 0 if getopt already reported it bad. */
static int option(struct args *a, int c)
{
	if (c > CMD_NONE && c <= CMD_HELP) {
		a->cmd = (enum command)c;
		return 1;
	}
	switch (c) {
	case 'C': replace(&a->conffile, optarg); return 1;
	case 'Q': replace(&a->queue_file, optarg); return 1;
	case 'a': replace(&a->account, optarg); return 1;
	case O_RMQS: replace(&a->rmqs, optarg); return 1;
	case 'd': a->debug = 1; return 1;
	case 'j': a->json = 1; return 1;
	case O_RAW: a->raw = 1; return 1;
	case 'y': a->yes = 1; return 1;
	case 'S': a->sent = 1; return 1;
	case O_KEEP: a->keep = 1; return 1;
	}
	return msmtpq_option(a, c);
	return 0;
}

static int takes_ids(enum command cmd)
{
	return cmd == CMD_SHOW || cmd == CMD_HOLD || cmd == CMD_RELEASE ||
	    cmd == CMD_RETRY || cmd == CMD_DELETE || cmd == CMD_SEND;
}

/* msmtpq_purge_all - msmtpq's "-a" alone purges the queue; ours takes an
 * account name, which a lone -a cannot have. */
static int msmtpq_purge_all(int argc, char **argv)
{
	return argc == 2 && strcmp(argv[1], "-a") == 0;
}

/* check_import - --import-msmtpq takes one directory at most, and
 * --keep goes with it only. */
static int check_import(const struct args *a, char **errstr)
{
	if (a->keep && a->cmd != CMD_IMPORT) {
		*errstr = xstrdup("--keep goes with --import-msmtpq only");
		return EX_USAGE;
	}
	if (a->cmd == CMD_IMPORT && a->ids.n > 1) {
		*errstr = xstrdup("--import-msmtpq takes one directory");
		return EX_USAGE;
	}
	return EX_OK;
}

static int parse(int argc, char **argv, struct args *a, char **errstr)
{
	int c;

	if (msmtpq_purge_all(argc, argv)) {
		a->cmd = CMD_PURGE;
		return EX_OK;
	}
	while ((c = getopt_long(argc, argv, "C:a:dhrRp", opts, NULL)) != -1)
		if (!option(a, c))
			return EX_USAGE;
	for (; optind < argc; optind++)
		strlist_add(&a->ids, argv[optind]);
	if (a->cmd == CMD_NONE) {
		*errstr = xstrdup("no command given (see --help)");
		return EX_USAGE;
	}
	if (a->sent && a->cmd != CMD_LIST) {
		*errstr = xstrdup("--sent goes with --list only");
		return EX_USAGE;
	}
	if (a->cmd == CMD_IMPORT || a->keep)
		return check_import(a, errstr);
	if (takes_ids(a->cmd) != (a->ids.n > 0) ||
	    (a->cmd == CMD_SHOW && a->ids.n != 1)) {
		*errstr = xstrdup(takes_ids(a->cmd) ? "which mail? give an "
		    "ID (or ALL)" : "this command takes no mail ID");
		return EX_USAGE;
	}
	return EX_OK;
}

/* conf_alias_only - the configuration, read only to know an account's
 * other name (account_alias()) for a command given its spool: one that
 * cannot be read leaves conf empty, as the command does not need it. */
static void conf_alias_only(const struct args *a, struct conf *conf)
{
	char *err = NULL;

	if (conf_load_default(a->conffile, NULL, conf, &err) != EX_OK) {
		conf_free(conf);
		conf_init(conf);
	}
	free(err);
}

/* The daemon's configuration, reread on SIGHUP. */
struct live_conf {
	const struct args	*a;
	struct conf		 conf;
};

static int reload_conf(void *arg, char **errstr)
{
	struct live_conf *lc = arg;
	struct conf fresh;
	int rc;

	conf_init(&fresh);
	rc = conf_load_default(lc->a->conffile, NULL, &fresh, errstr);
	if (rc != EX_OK) {
		conf_free(&fresh);
		return rc;
	}
	conf_free(&lc->conf);
	lc->conf = fresh;
	return EX_OK;
}

/* keep_error - the latest error is the one main() reports; an earlier
 * one (another spool's) is said now. */
static void keep_error(char **errstr, char *latest)
{
	if (*errstr != NULL && latest != NULL) {
		fprintf(stderr, "msmtp-queue: %s\n", *errstr);
		free(*errstr);
	}
	if (latest != NULL)
		*errstr = latest;
}

/* drain_and_bounce - one pass, then the bounces its failures owe, which
 * a second pass sends at once. */
static int drain_and_bounce(struct spool *sp, const struct runner_opts *o,
    char **errstr)
{
	int rc, queued = 0, brc;

	rc = runner_drain(sp, o, errstr);
	if (rc != EX_OK && rc != EX_TEMPFAIL)
		return rc;
	brc = owed_bounces_queue(sp, &queued, errstr);
	if (brc != EX_OK)
		return brc;
	return queued > 0 ? runner_drain(sp, o, errstr) : rc;
}

/* drain_each - --flush or --run over every spool, one after another. */
static int drain_each(const struct spools *s, const struct runner_opts *o,
    char **errstr)
{
	char *err;
	size_t i;
	int rc = EX_OK;

	for (i = 0; i < s->n; i++) {
		err = NULL;
		rc = spools_worse(rc, drain_and_bounce(s->sp[i], o, &err));
		keep_error(errstr, err);
	}
	return rc;
}

/* account_alias - the other name of the account --account names, when
 * "account default : provider" makes two names of one account (its
 * mails are spooled as "default"), or NULL. */
static const char *account_alias(const struct conf *conf,
    const char *account)
{
	if (account == NULL || conf->default_of == NULL)
		return NULL;
	if (strcmp(account, "default") == 0)
		return conf->default_of;
	return strcmp(account, conf->default_of) == 0 ? "default" : NULL;
}

static int drain(const struct args *a, struct conf *conf,
    const struct spools *s, const struct strlist *paths, char **errstr)
{
	struct runner_opts o;
	struct live_conf lc;
	char *alias;
	int rc;

	lc.a = a;
	lc.conf = *conf;	/* the daemon's now, to reload */
	conf_init(conf);
	memset(&o, 0, sizeof(o));
	o.conf = &lc.conf;
	o.account = a->account;
	/* A copy: a reload (SIGHUP) frees the configuration's. */
	alias = account_alias(&lc.conf, a->account) ? xstrdup(
	    account_alias(&lc.conf, a->account)) : NULL;
	o.account_alias = alias;
	o.rmqs = a->rmqs;
	o.force = a->cmd == CMD_FLUSH || a->cmd == CMD_SEND;
	if (a->cmd == CMD_SEND && strcmp(a->ids.v[0], "ALL") != 0)
		o.only = &a->ids;
	o.debug = a->debug;
	o.verbose = 1;
	o.reload = reload_conf;
	o.reload_arg = &lc;
	rc = a->cmd == CMD_DAEMON ? spools_daemon(paths, &o, errstr) :
	    drain_each(s, &o, errstr);
	conf_free(&lc.conf);
	free(alias);
	return rc;
}

/* holds - EX_OK when sp holds the mail id, EX_NOINPUT when not. */
static int holds(struct spool *sp, const char *id, char **errstr)
{
	char *json = NULL;
	int rc;

	rc = spool_json(sp, id, NULL, &json, errstr);
	if (rc == EX_OK && strcmp(json, "[]") == 0)
		rc = EX_NOINPUT;
	free(json);
	return rc;
}

/* show - --show ID from whichever spool holds it. */
static int show(const struct args *a, const struct spools *s,
    char **errstr)
{
	const char *id = a->ids.v[0];
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++) {
		rc = holds(s->sp[i], id, errstr);
		if (rc == EX_OK)
			return runner_show(s->sp[i], id, a->raw, !a->json &&
			    isatty(STDOUT_FILENO), errstr);
		if (rc != EX_NOINPUT)
			return rc;
	}
	*errstr = xasprintf("no mail %s in the queue", id);
	return EX_NOINPUT;
}

static int manage(const struct args *a, const struct spools *s,
    enum spool_action action, char **errstr)
{
	return runner_manage(s->sp, s->n, action, &a->ids, a->account, errstr);
}

static int dispatch(const struct args *a, const struct spools *s,
    char **errstr)
{
	switch (a->cmd) {
	case CMD_LIST:
		return runner_list(s->sp, s->n, a->account, a->json, a->sent,
		    errstr);
	case CMD_SHOW:
		return show(a, s, errstr);
	case CMD_STATUS:
		return runner_status(s->sp, s->n, a->account, errstr);
	case CMD_HOLD:
		return manage(a, s, SPOOL_HOLD, errstr);
	case CMD_RELEASE:
		return manage(a, s, SPOOL_RELEASE, errstr);
	case CMD_RETRY:
		return manage(a, s, SPOOL_RETRY, errstr);
	case CMD_DELETE:
		return manage(a, s, SPOOL_DELETE, errstr);
	case CMD_PURGE:
		return runner_purge(s->sp, s->n, a->account, a->yes, errstr);
	default:
		return EX_SOFTWARE;
	}
}

static int drains(enum command cmd)
{
	return cmd == CMD_FLUSH || cmd == CMD_RUN || cmd == CMD_DAEMON ||
	    cmd == CMD_SEND;
}

/* import - --import-msmtpq (msmtpq.h). */
static int import(const struct args *a, char **errstr)
{
	struct import_opts o;

	memset(&o, 0, sizeof(o));
	o.dir = a->ids.n > 0 ? a->ids.v[0] : NULL;
	o.conffile = a->conffile;
	o.queue_file = a->queue_file;
	o.keep = a->keep;
	return runner_import_msmtpq(&o, errstr);
}

/* spool_names - the spools to work over (queue/spoolpath.h); a name
 * that cannot be expanded is said and left out. */
static int spool_names(const struct args *a, const struct conf *conf,
    struct strlist *paths, char **errstr)
{
	struct strlist configured, skipped;
	size_t i;

	strlist_init(&configured);
	strlist_init(&skipped);
	for (i = 0; i < conf->nacc; i++)
		if (conf->acc[i]->queue_file != NULL)
			strlist_add(&configured, conf->acc[i]->queue_file);
	spoolpath_all(a->queue_file, &configured, paths, &skipped);
	strlist_free(&configured);
	if (a->queue_file != NULL && paths->n == 0) {
		*errstr = skipped.v[0];
		skipped.v[0] = NULL;
		strlist_free(&skipped);
		return EX_NOUSER;
	}
	for (i = 0; i < skipped.n; i++)
		fprintf(stderr, "msmtp-queue: %s\n", skipped.v[i]);
	strlist_free(&skipped);
	return EX_OK;
}

/* open_spools - the explicit --queue-file (created if need be) or the
 * named spools that exist; those that cannot be opened are said, and
 * their code is the result's. */
static int open_spools(const struct args *a, const struct strlist *paths,
    struct spools *s, char **errstr)
{
	struct strlist problems;
	size_t i;
	int rc;

	strlist_init(&problems);
	rc = spools_open(paths, a->queue_file != NULL, s, &problems, errstr);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "msmtp-queue: %s\n", problems.v[i]);
	strlist_free(&problems);
	return rc;
}

static int run(const struct args *a, char **errstr)
{
	struct strlist paths;
	struct spools s;
	struct conf conf;
	size_t i;
	int rc = EX_OK, orc = EX_OK;

	conf_init(&conf);
	strlist_init(&paths);
	memset(&s, 0, sizeof(s));
	/* The files msmtp reads: the spools their accounts name, and the
	 * accounts (passwords) a drain sends with. */
	if (a->queue_file == NULL || drains(a->cmd))
		rc = conf_load_default(a->conffile, NULL, &conf, errstr);
	else if (a->account != NULL)
		conf_alias_only(a, &conf);
	if (rc == EX_OK)
		rc = spool_names(a, &conf, &paths, errstr);
	if (rc == EX_OK && a->cmd != CMD_DAEMON) {
		orc = open_spools(a, &paths, &s, errstr);
		if (a->queue_file != NULL)
			rc = orc;
	}
	for (i = 0; i < s.n; i++)
		spool_account_alias(s.sp[i], a->account,
		    account_alias(&conf, a->account));
	if (rc == EX_OK && a->cmd == CMD_SEND)	/* msmtpq's -R: due now */
		rc = manage(a, &s, SPOOL_RETRY, errstr);
	if (rc == EX_OK && drains(a->cmd))
		rc = drain(a, &conf, &s, &paths, errstr);
	else if (rc == EX_OK)
		rc = dispatch(a, &s, errstr);
	rc = spools_worse(rc, orc);
	spools_close(&s);
	strlist_free(&paths);
	conf_free(&conf);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;
	char *errstr = NULL;
	int rc;

	harden_process();
	memset(&a, 0, sizeof(a));
	strlist_init(&a.ids);
	rc = parse(argc, argv, &a, &errstr);
	if (rc == EX_OK && a.cmd == CMD_VERSION)
		printf("msmtp-queue version %s\n", VERSION);
	else if (rc == EX_OK && a.cmd == CMD_HELP)
		fputs(usage_text, stdout);
	else if (rc == EX_OK && a.cmd == CMD_IMPORT)
		rc = import(&a, &errstr);
	else if (rc == EX_OK)
		rc = run(&a, &errstr);
	if (errstr != NULL)
		fprintf(stderr, "msmtp-queue: %s\n", errstr);
	free(errstr);
	free(a.conffile);
	free(a.queue_file);
	free(a.account);
	free(a.rmqs);
	strlist_free(&a.ids);
	return rc;
}
