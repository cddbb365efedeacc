/*
 * main - msmtp's entry point: parse the command line, dispatch the mode.
 *
 * Errors are reported here, once, as "msmtp: message" on stderr, and the
 * sysexits code becomes the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "account/account.h"
#include "account/conf.h"
#include "account/conffiles.h"
#include "account/select.h"
#include "client/cmdline.h"
#include "client/configure.h"
#include "client/oauth2cmd.h"
#include "client/queuecmd.h"
#include "client/sendmail.h"
#include "client/servermode.h"
#include "client/usage.h"
#include "queue/spoolpath.h"
#include "util/harden.h"
#include "util/xalloc.h"

/* configured_spool - the queue_file of the account a mail sent now
 * would use (--queue-file, else the chosen account's), new or NULL;
 * a configuration that cannot be read names none. */
static char *configured_spool(const struct cmdline *cl)
{
	struct account *acc = NULL;
	enum select_rule rule;
	struct conf conf;
	char *err = NULL, *name = NULL;

	if (cl->acc->queue_file != NULL)
		return xstrdup(cl->acc->queue_file);
	if (conf_load_default(cl->conffile, cl->host, &conf, &err) == EX_OK &&
	    cl->host == NULL && select_account(&conf, cl->account_id, NULL,
	    &acc, &rule, &err) == EX_OK && acc->queue_file != NULL)
		name = xstrdup(acc->queue_file);
	conf_free(&conf);
	account_free(acc);
	free(err);
	return name;
}

/* version_spool - the spool --version names (queue/spoolpath.h's rule),
 * or why there is none; new. */
static char *version_spool(const struct cmdline *cl)
{
	char *configured = configured_spool(cl), *path = NULL, *err = NULL;

	if (spoolpath_resolve(configured, &path, &err) != EX_OK) {
		path = xasprintf("(none: %s)", err ? err : "unknown");
		free(err);
	}
	free(configured);
	return path;
}

static void print_version(const struct cmdline *cl)
{
	char *sysfile = NULL, *userfile = NULL, *spool = version_spool(cl);

	conf_default_files(&sysfile, &userfile);
	usage_version(stdout, sysfile ? sysfile : "", userfile ? userfile : "",
	    spool);
	free(sysfile);
	free(userfile);
	free(spool);
}

/* run_mode - what the command line asks for beyond --version/--help. */
static int run_mode(struct cmdline *cl, char **errstr)
{
	switch (cl->mode) {
	case MODE_QUEUE_FLUSH:
	case MODE_QUEUE_LIST:
		return queuecmd_exec(cl, errstr);
	case MODE_SERVERINFO:
	case MODE_RMQS:
		return servermode_run(cl, errstr);
	case MODE_CONFIGURE:
		return configure_run(cl, errstr);
	case MODE_OAUTH2_AUTHORIZE:
		return oauth2cmd_run(cl, errstr);
	case MODE_SENDMAIL:
		break;
	}
	return sendmail_run(cl, errstr);
}

/*
 * run - as msmtp: --version, then --help, are printed first; after them
 * only --configure still runs.
 */
static int run(struct cmdline *cl, char **errstr)
{
	if (cl->import_fd >= 0)
		return sendmail_import(cl, errstr);
	if (cl->version)
		print_version(cl);
	if (cl->help)
		usage_help(stdout);
	if ((cl->version || cl->help) && cl->mode != MODE_CONFIGURE)
		return EX_OK;
	return run_mode(cl, errstr);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	char *errstr = NULL;
	int rc;

	harden_process();
	cmdline_init(&cl);
	rc = cmdline_parse(&cl, argc, argv, &errstr);
	if (rc == EX_OK)
		rc = run(&cl, &errstr);
	if (errstr != NULL)
		fprintf(stderr, "msmtp: %s\n", errstr);
	free(errstr);
	cmdline_free(&cl);
	return rc;
}
