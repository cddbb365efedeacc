/*
 * directtls - a direct send's TLS sessions, in an existing spool; see
 * directtls.h.
 */
#include "client/directtls.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "queue/spool.h"
#include "queue/spoolpath.h"

void directtls_open(struct directtls *d, const struct account *acc,
    struct deliver_job *job)
{
	struct stat st;
	char *path = NULL, *err = NULL;

	memset(d, 0, sizeof(*d));
	if (!acc->tls)
		return;
	if (spoolpath_resolve(acc->queue_file, &path, &err) == EX_OK &&
	    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    spool_open(path, &d->sp, &err) == EX_OK) {
		tlscache_init(&d->tc, d->sp, 1);
		job->tls_cache = &d->tc.c;
	}
	free(path);
	free(err);
}

void directtls_close(struct directtls *d)
{
	if (d->sp == NULL)
		return;
	tlscache_flush(&d->tc, d->sp);
	tlscache_free(&d->tc);
	spool_close(d->sp);
	d->sp = NULL;
}
