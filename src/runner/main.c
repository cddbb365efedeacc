/*
 * msmtp-queue - the queue runner: deliver, list and manage the spool.
 *
 * Errors are reported here, once, as "msmtp-queue: message".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "client/conf.h"
#include "runner/runner.h"
#include "util/xalloc.h"

enum command { CMD_NONE, CMD_FLUSH, CMD_RUN, CMD_LIST, CMD_VERSION,
    CMD_HELP };

struct args {
	enum command	 cmd;
	char		*conffile;
	char		*queue_file;
	char		*account;
	int		 debug;
};

static const char usage_text[] =
"Usage: msmtp-queue [option...] command\n"
"Commands:\n"
"  --flush          deliver every queued mail now, ignoring retry times\n"
"  --run            deliver the mails that are due\n"
"  --list           show what is queued, and why\n"
"Options:\n"
"  -C, --file=FILE  configuration file (as msmtp)\n"
"  --queue-file=DB  the spool (default $MSMTP_QUEUE_FILE, else\n"
"                   $XDG_STATE_HOME/msmtp/queue.db)\n"
"  --account=NAME   only this account's mails\n"
"  -d, --debug      print the SMTP dialogues\n"
"Exit: 0 when nothing is left waiting, 75 when some mail waits.\n";

static int parse(int argc, char **argv, struct args *a, char **errstr)
{
	static const struct option opts[] = {
		{ "flush", no_argument, NULL, 'q' },
		{ "run", no_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "file", required_argument, NULL, 'C' },
		{ "queue-file", required_argument, NULL, 'Q' },
		{ "account", required_argument, NULL, 'a' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "C:a:d", opts, NULL)) != -1) {
		switch (c) {
		case 'q': a->cmd = CMD_FLUSH; break;
		case 'r': a->cmd = CMD_RUN; break;
		case 'l': a->cmd = CMD_LIST; break;
		case 'V': a->cmd = CMD_VERSION; break;
		case 'h': a->cmd = CMD_HELP; break;
		case 'C': free(a->conffile); a->conffile = xstrdup(optarg); break;
		case 'Q': free(a->queue_file); a->queue_file = xstrdup(optarg);
			break;
		case 'a': free(a->account); a->account = xstrdup(optarg); break;
		case 'd': a->debug = 1; break;
		default: return EX_USAGE;
		}
	}
	if (optind < argc || a->cmd == CMD_NONE) {
		*errstr = xstrdup("give one command: --flush, --run or --list "
		    "(see --help)");
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

static int run(const struct args *a, char **errstr)
{
	struct runner_opts o;
	struct spool *sp;
	struct conf conf;
	int rc;

	conf_init(&conf);
	rc = a->cmd == CMD_LIST ? EX_OK : load_conf(a, &conf, errstr);
	if (rc == EX_OK)
		rc = open_spool(a, &sp, errstr);
	if (rc == EX_OK) {
		memset(&o, 0, sizeof(o));
		o.conf = &conf;
		o.account = a->account;
		o.force = a->cmd == CMD_FLUSH;
		o.debug = a->debug;
		o.verbose = 1;
		rc = a->cmd == CMD_LIST ? runner_list(sp, errstr) :
		    runner_drain(sp, &o, errstr);
		spool_close(sp);
	}
	conf_free(&conf);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;
	char *errstr = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
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
	return rc;
}
