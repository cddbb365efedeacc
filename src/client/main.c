/*
 * main - msmtp's entry point: parse the command line, dispatch the mode.
 *
 * Errors are reported here, once, as "msmtp: message" on stderr, and the
 * sysexits code becomes the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "account/conf.h"
#include "client/cmdline.h"
#include "client/configure.h"
#include "client/queuecmd.h"
#include "client/sendmail.h"
#include "client/servermode.h"
#include "client/usage.h"
#include "util/harden.h"

static void print_version(void)
{
	char *sysfile = NULL, *userfile = NULL;

	conf_default_files(&sysfile, &userfile);
	usage_version(stdout, sysfile ? sysfile : "", userfile ? userfile : "");
	free(sysfile);
	free(userfile);
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
		print_version();
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
