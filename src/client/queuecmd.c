/*
 * queuecmd - hand -q and -bp to msmtp-queue; see queuecmd.h.
 */
#include "client/queuecmd.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/xalloc.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

/* runner_path - msmtp-queue beside the running program, else BINDIR's. */
static char *runner_path(void)
{
	char exe[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			path = xasprintf("%s/msmtp-queue", exe);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return xstrdup(BINDIR "/msmtp-queue");
}

int queuecmd_exec(const struct cmdline *cl, char **errstr)
{
	char *argv[8], *path = runner_path();
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
