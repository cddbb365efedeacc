/*
 * spill - take in a stream of unknown length at the pace of its writer,
 * keeping at most a fixed amount in memory and spilling the rest to an
 * anonymous file, then hand it on in one go.
 *
 * Why: a writer that holds a lock (the spool's write transaction) must
 * not wait on a slow producer; reading everything first frees the lock
 * from the producer's pace without holding a big mail in memory.
 *
 * The spill file is created 0600 in the directory the caller names (the
 * spool's, which is private), unlinked at once, so it disappears with
 * the process whatever happens. A struct spill is owned by its declarer;
 * spill_free() releases memory and file. Errors are sysexits codes with
 * *errstr newly allocated (the caller frees it): EX_IOERR for input,
 * EX_TEMPFAIL when the disk is full, EX_CANTCREAT for other troubles
 * with the spill file, or the sink's own code.
 */
#ifndef UTIL_SPILL_H
#define UTIL_SPILL_H

#include <stdio.h>

#include "util/buf.h"

struct spill {
	struct buf	 mem;		/* the first bytes, up to the limit */
	size_t		 limit;
	int		 fd;		/* the rest; -1: none */
	long long	 size;		/* every byte taken in */
};

/* A consumer of the bytes: EX_OK or a sysexits code with *errstr set. */
typedef int (*spill_sink)(void *arg, const char *data, size_t len,
    char **errstr);

void spill_init(struct spill *s, size_t mem_limit);
/* spill_read - everything in until EOF; dir holds the spill file. */
int spill_read(struct spill *s, FILE *in, const char *dir, char **errstr);
/* spill_replay - every byte read, in order, to sink. */
int spill_replay(struct spill *s, spill_sink sink, void *arg,
    char **errstr);
void spill_free(struct spill *s);

#endif
