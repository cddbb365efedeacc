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

#include "client/conf.h"
#include "runner/runner.h"
#include "util/harden.h"
#include "util/xalloc.h"

enum command { CMD_NONE, CMD_FLUSH, CMD_RUN, CMD_DAEMON, CMD_LIST, CMD_SHOW, CMD_HOLD,
    CMD_RELEASE, CMD_RETRY, CMD_DELETE, CMD_PURGE, CMD_VERSION, CMD_HELP };

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
	struct strlist	 ids;
};

static const char usage_text[] =
"Usage: msmtp-queue [option...] command [ID... | ALL]\n"
"Commands:\n"
"  --flush          deliver every queued mail now, ignoring retry times\n"
"  --run            deliver the mails that are due\n"
"  --daemon         stay in the foreground, delivering mails as they\n"
"                   become due (SIGHUP: reread the configuration)\n"
"  --list           show what is queued, and why (--json for scripts;\n"
"                   --sent: the sent mails still on record instead)\n"
"  --show ID        one mail's record and headers (--raw: its bytes)\n"
"  --hold ID...     keep mails from delivery until released\n"
"  --release ID...  queue held mails again\n"
"  --retry ID...    make mails due now (failed ones too)\n"
"  --delete ID...   remove mails from the queue\n"
"  --purge          remove every mail (asks; --yes when not on a terminal)\n"
"  ID may be ALL.\n"
"Options:\n"
"  -C, --file=FILE  configuration file (as msmtp)\n"
"  --queue-file=DB  the spool (default $MSMTP_QUEUE_FILE, else\n"
"                   $XDG_STATE_HOME/msmtp/queue.db)\n"
"  --account=NAME   only this account's mails\n"
"  --rmqs=ARG       after delivering, send ETRN ARG (host, @domain or\n"
"                   #queue) to each server (else the account's rmqs)\n"
"  -d, --debug      print the SMTP dialogues\n"
"Exit: 0 when nothing is left waiting, 75 when some mail waits.\n";

static const struct option opts[] = {
	{ "flush", no_argument, NULL, CMD_FLUSH },
	{ "run", no_argument, NULL, CMD_RUN },
	{ "daemon", no_argument, NULL, CMD_DAEMON },
	{ "list", no_argument, NULL, CMD_LIST },
	{ "show", no_argument, NULL, CMD_SHOW },
	{ "hold", no_argument, NULL, CMD_HOLD },
	{ "release", no_argument, NULL, CMD_RELEASE },
	{ "retry", no_argument, NULL, CMD_RETRY },
	{ "delete", no_argument, NULL, CMD_DELETE },
	{ "purge", no_argument, NULL, CMD_PURGE },
	{ "version", no_argument, NULL, CMD_VERSION },
	{ "help", no_argument, NULL, CMD_HELP },
	{ "file", required_argument, NULL, 'C' },
	{ "queue-file", required_argument, NULL, 'Q' },
	{ "account", required_argument, NULL, 'a' },
	{ "rmqs", required_argument, NULL, 'R' },
	{ "debug", no_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "raw", no_argument, NULL, 'r' },
	{ "yes", no_argument, NULL, 'y' },
	{ "sent", no_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 }
};

static void replace(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
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
	case 'R': replace(&a->rmqs, optarg); return 1;
	case 'd': a->debug = 1; return 1;
	case 'j': a->json = 1; return 1;
	case 'r': a->raw = 1; return 1;
	case 'y': a->yes = 1; return 1;
	case 'S': a->sent = 1; return 1;
	}
	return 0;
}

static int takes_ids(enum command cmd)
{
	return cmd == CMD_SHOW || cmd == CMD_HOLD || cmd == CMD_RELEASE ||
	    cmd == CMD_RETRY || cmd == CMD_DELETE;
}

static int parse(int argc, char **argv, struct args *a, char **errstr)
{
	int c;

	while ((c = getopt_long(argc, argv, "C:a:d", opts, NULL)) != -1)
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
	if (takes_ids(a->cmd) != (a->ids.n > 0) ||
	    (a->cmd == CMD_SHOW && a->ids.n != 1)) {
		*errstr = xstrdup(takes_ids(a->cmd) ? "which mail? give an "
		    "ID (or ALL)" : "this command takes no mail ID");
		return EX_USAGE;
	}
	return EX_OK;
}

/* load_conf - msmtp's configuration files, for passwords. */
static int load_conf(const struct args *a, struct conf *conf, char **errstr)
{
	char *sysfile = NULL, *userfile = NULL;
	int rc;

	conf_default_files(&sysfile, &userfile);
	rc = conf_load(sysfile, a->conffile ? a->conffile : userfile,
	    a->conffile != NULL, geteuid(), conf, errstr);
	free(sysfile);
	free(userfile);
	return rc;
}

static int open_spool(const struct args *a, struct spool **sp, char **errstr)
{
	const char *env = getenv("MSMTP_QUEUE_FILE");
	char *path;
	int rc;

	if (a->queue_file != NULL)
		path = xstrdup(a->queue_file);
	else if (env != NULL && env[0] != '\0')
		path = xstrdup(env);
	else
		path = spool_default_path();
	rc = spool_open(path, sp, errstr);
	free(path);
	return rc;
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
	rc = load_conf(lc->a, &fresh, errstr);
	if (rc != EX_OK) {
		conf_free(&fresh);
		return rc;
	}
	conf_free(&lc->conf);
	lc->conf = fresh;
	return EX_OK;
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
	brc = runner_bounces(sp, &queued, errstr);
	if (brc != EX_OK)
		return brc;
	return queued > 0 ? runner_drain(sp, o, errstr) : rc;
}

static int drain(const struct args *a, struct spool *sp, char **errstr)
{
	struct runner_opts o;
	struct live_conf lc;
	int rc;

	lc.a = a;
	conf_init(&lc.conf);
	rc = load_conf(a, &lc.conf, errstr);
	if (rc == EX_OK) {
		memset(&o, 0, sizeof(o));
		o.conf = &lc.conf;
		o.account = a->account;
		o.rmqs = a->rmqs;
		o.force = a->cmd == CMD_FLUSH;
		o.debug = a->debug;
		o.verbose = 1;
		o.reload = reload_conf;
		o.reload_arg = &lc;
		rc = a->cmd == CMD_DAEMON ? runner_daemon(sp, &o, errstr) :
		    drain_and_bounce(sp, &o, errstr);
	}
	conf_free(&lc.conf);
	return rc;
}

static int dispatch(const struct args *a, struct spool *sp, char **errstr)
{
	switch (a->cmd) {
	case CMD_FLUSH:
	case CMD_RUN:
	case CMD_DAEMON:
		return drain(a, sp, errstr);
	case CMD_LIST:
		return (a->sent ? runner_list_sent : runner_list)(sp,
		    a->account, a->json, errstr);
	case CMD_SHOW:
		return runner_show(sp, a->ids.v[0], a->raw, errstr);
	case CMD_HOLD:
		return runner_manage(sp, SPOOL_HOLD, &a->ids, a->account, errstr);
	case CMD_RELEASE:
		return runner_manage(sp, SPOOL_RELEASE, &a->ids, a->account,
		    errstr);
	case CMD_RETRY:
		return runner_manage(sp, SPOOL_RETRY, &a->ids, a->account,
		    errstr);
	case CMD_DELETE:
		return runner_manage(sp, SPOOL_DELETE, &a->ids, a->account,
		    errstr);
	case CMD_PURGE:
		return runner_purge(sp, a->account, a->yes, errstr);
	default:
		return EX_SOFTWARE;
	}
}

static int run(const struct args *a, char **errstr)
{
	struct spool *sp;
	int rc;

	rc = open_spool(a, &sp, errstr);
	if (rc != EX_OK)
		return rc;
	rc = dispatch(a, sp, errstr);
	spool_close(sp);
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
