/*
 * along - an interactive send takes the account's due queued mail along.
 *
 * A laptop queues mail while offline; the next mail its user sends
 * reaches the server. That session then carries the mails of the same
 * account that are due (the same account name, configuration file and
 * snapshot, so the same server and credentials), after the user's own
 * mail, each claimed from the spool before it is sent and recorded as a
 * runner records it (delivery/attempt.h: a refused recipient is owed a
 * bounce, since msmtp's exit code speaks only of the user's mail). The
 * user's send is bounded: at most ALONG_MAX mails, none started after
 * ALONG_SECONDS. Nothing is said on stderr: each mail has its log line,
 * and what is left waits for a runner as before.
 *
 * along_init() prepares it for mails sent with acc; along_extend(), an
 * attempt_extend_fn for attempt_run(), hooks it into the user's mail's
 * deliver_job (deliver.h: more, more_done) once that mail is loaded and
 * claimed; along_free() gives back what it holds. A mail claimed but
 * unreadable is given back at once (spool_unclaim()); one handed to the
 * engine whose end was never told is left in flight, to be taken back
 * as uncertain, since it may have been sent. Spool errors stop the
 * taking along and are not reported: the user's mail is not theirs.
 */
#ifndef DELIVERY_ALONG_H
#define DELIVERY_ALONG_H

#include <time.h>

#include "delivery/attempt.h"
#include "util/buf.h"
#include "util/strlist.h"

#define ALONG_MAX	20
#define ALONG_SECONDS	30

struct along {
	struct spool		*sp;
	const struct account	*acc;
	const struct engine_api	*engine;
	char			*conffile;	/* cur's, NULL for none */
	struct buf		 settings;	/* acc's snapshot */
	int			 debug;
	int			 listed;	/* ids is filled */
	struct strlist		 ids;		/* due mails of the account */
	size_t			 next;
	int			 taken;
	time_t			 deadline;
	/* the mail in flight */
	struct attempt_result	 res;
	struct spool_body	*body;
	struct deliver_job	 job;
};

void along_init(struct along *a, struct spool *sp, const struct account *acc,
    const struct engine_api *engine, int debug);
void along_extend(void *arg, const struct attempt_result *res,
    struct deliver_job *job);
void along_free(struct along *a);

#endif
