/*
 * submit - the spooling front end: store the mail durably, then deliver
 * it as delivery_mode says.
 *
 * The mail (the prepared header block, then the rest of the input) and
 * its resolved account go into the spool in one transaction; nothing is
 * promised before that commit returns. Then:
 *   queue (-odq)        nothing more: a runner delivers it later;
 *   background (-odb)   a detached child delivers it, the caller returns
 *                       (client/background.h);
 *   interactive (-odi)  it is delivered now, in this process
 *                       (client/spooled.h).
 * Exit codes: 0 once the mail is safely spooled, unless an interactive
 * delivery was refused for good before anyone got it (then msmtp's code
 * for that refusal, the mail staying in the spool marked failed); a
 * temporary failure, or a problem the user must fix (the mail is then
 * held), leaves it queued and still exits 0, saying so on stderr.
 * Spool failures before the commit: EX_TEMPFAIL, EX_CANTCREAT or
 * EX_IOERR with *errstr set, and nothing is spooled. *no_spool is set
 * when no spool could be had at all -- it cannot be created (a home that
 * is not writable, as www-data's), is not the user's, or its name cannot
 * be expanded (queue/spoolpath.h) -- before any of the input was read:
 * the caller may then still send the mail directly, as msmtp would.
 */
#ifndef CLIENT_SUBMIT_H
#define CLIENT_SUBMIT_H

#include <stdio.h>

#include "account/account.h"
#include "util/strlist.h"

struct submission {
	const struct account	*acc;
	const struct strlist	*rcpts;
	const char		*headers;
	size_t			 headers_len;
	FILE			*body;
	const char		*message_id;	/* NULL if unknown */
	int			 debug;
	char			*queued_id;	/* NULL, or SPOOL_ID_LEN + 1
						   bytes for the queue id */
};

int submit(const struct submission *sub, int *no_spool, char **errstr);

#endif
