/*
 * spools - the spools one msmtp-queue works over; internal to
 * src/runner.
 *
 * queue/spoolpath.h says which files they are. spools_open() opens
 * them: with create (an explicit --queue-file) each one, created when
 * missing, and a failure is the command's; otherwise (the files the
 * configuration names) only those that exist, each file once however
 * it is named, a spool that cannot be opened being reported in
 * problems (one message each, the caller's) and left out while the
 * others are served. spools_close() closes what it opened.
 *
 * spools_daemon() runs --daemon over the spools of paths: in this
 * process for one; for several, one child process each (a spool's
 * SQLite connection and libuv loop are its own), the parent passing
 * SIGHUP, SIGTERM, SIGINT and SIGUSR1 on to them and returning when all
 * have ended, with the worst of their exit codes. A child whose spool cannot
 * be opened says why on stderr and ends; the others go on.
 *
 * spools_worse() combines two results: an error beats EX_TEMPFAIL,
 * which beats EX_OK; between two errors, the first stays.
 */
#ifndef RUNNER_SPOOLS_H
#define RUNNER_SPOOLS_H

#include <stddef.h>

#include "runner/runner.h"
#include "util/strlist.h"

struct spools {
	struct spool	**sp;
	size_t		  n;
};

int spools_open(const struct strlist *paths, int create, struct spools *out,
    struct strlist *problems, char **errstr);
void spools_close(struct spools *s);
int spools_daemon(const struct strlist *paths, const struct runner_opts *o,
    char **errstr);
int spools_worse(int a, int b);

#endif
