/*
 * spooled - the attempt msmtp makes at once at a mail it has just
 * spooled (interactive delivery, or the -odb child), and what it tells
 * the user about it.
 *
 * spooled_deliver() claims nothing: the mail id must already be leased
 * to this process (spool_claim(), or enqueued with the claim). It loads
 * the engine, runs one attempt (delivery/attempt.h, taking due mail of
 * the same account along), records it, writes msmtp's log line with the
 * queue's fields, queues the bounces a partial refusal owes, runs
 * queue_notify, and says on stderr, in msmtp's words, what happened and
 * what the user can do. It returns the exit code msmtp gives (see
 * submit.h): 0 whenever the mail stays safely queued, also when the
 * engine cannot be loaded or the attempt cannot be started (a runner
 * will find the mail; stderr says so). Nothing is left for the caller
 * to free.
 */
#ifndef CLIENT_SPOOLED_H
#define CLIENT_SPOOLED_H

#include "client/submit.h"
#include "queue/spool.h"

int spooled_deliver(struct spool *sp, const struct submission *sub,
    const char *id);

#endif
