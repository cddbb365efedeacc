/*
 * queuecmd - hand -q and -bp to msmtp-queue; see queuecmd.h.
 */
#include "client/queuecmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/selfexe.h"
#include "util/xalloc.h"

int queuecmd_exec(const struct cmdline *cl, char **errstr)
{
	char *argv[8], *path = selfexe_program("msmtp-queue");
	int n = 0;

	argv[n++] = "msmtp-queue";
	argv[n++] = cl->mode == MODE_QUEUE_FLUSH ? "--flush" : "--list";
	if (cl->conffile != NULL) {
		argv[n++] = "-C";
		argv[n++] = cl->conffile;
	}
	/* The command line's --queue-file, not an account's queue_file:
	 * without it msmtp-queue works over every spool. */
	if (cl->acc->queue_file != NULL) {
		argv[n++] = "--queue-file";
		argv[n++] = cl->acc->queue_file;
	}
	argv[n] = NULL;
	execv(path, argv);
	*errstr = xasprintf("cannot run %s: %s", path, strerror(errno));
	free(path);
	return EX_OSERR;
}
