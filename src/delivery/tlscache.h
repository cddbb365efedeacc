/*
 * tlscache - TLS sessions kept in the spool, for the engine to resume
 * (deliver.h: struct deliver_tls_cache; queue/tlssession.h: the table).
 *
 * A session lives under a key that names the server identity and the
 * TLS settings (deliver_tls_key()), so it is never offered to another
 * host, port, SNI name or under other trust settings; it expires with
 * the session's lifetime as GnuTLS gives it, and never later than 24
 * hours after it was received (tls.c); the spool is private to its user.
 *
 * The sessions the engine gives are held in memory first, where the
 * next connection of the same process finds them, and written to the
 * spool: at once when the cache is immediate and the spool's connection
 * is free (else at tlscache_flush(): the front end's connection is
 * inside a transaction while it reads the mail); at tlscache_flush()
 * when it is not (a runner, whose loop must not wait for the spool's
 * lock while its commits run beside it). Each session given also counts
 * one handshake, full or resumed (spool_tls_counts()).
 *
 *   tlscache_init()   a cache over sp, for job->tls_cache;
 *   tlscache_flush()  write what is held to sp (which may be another
 *                     connection to the same spool);
 *   tlscache_free()   release it (what was not written is lost: the
 *                     next process makes a full handshake).
 *
 * Spool errors are not reported: a session not kept costs a full
 * handshake, never a mail. The struct is the caller's; it must outlive
 * the jobs that point to its c.
 */
#ifndef DELIVERY_TLSCACHE_H
#define DELIVERY_TLSCACHE_H

#include <stddef.h>
#include <time.h>

#include "delivery/deliver.h"

struct spool;
struct tlscache_entry;

struct tlscache {
	struct deliver_tls_cache c;
	struct spool		*sp;		/* read from, and written to
						   when immediate */
	int			 immediate;
	struct tlscache_entry	*held;		/* not yet written */
};

void tlscache_init(struct tlscache *tc, struct spool *sp, int immediate);
void tlscache_flush(struct tlscache *tc, struct spool *sp);
void tlscache_free(struct tlscache *tc);

#endif
