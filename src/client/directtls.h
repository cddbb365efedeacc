/*
 * directtls - the TLS sessions of msmtp's direct send (--queue=off, or
 * no spool to be had): kept in the account's spool when that spool
 * already exists, so that a direct send resumes the session of the one
 * before it, as a spooled send does (delivery/tlscache.h). A direct send
 * never creates a spool for this: without one, every handshake is full.
 *
 *   directtls_open()   hook job to the spool's sessions (job->tls_cache),
 *                      if the account uses TLS and its spool exists;
 *   directtls_close()  write the session the engine gave, close.
 *
 * Nothing here fails the send: a spool that cannot be opened or written
 * costs a full handshake. The struct is the caller's, and must outlive
 * the job's run.
 */
#ifndef CLIENT_DIRECTTLS_H
#define CLIENT_DIRECTTLS_H

#include "account/account.h"
#include "delivery/deliver.h"
#include "delivery/tlscache.h"

struct directtls {
	struct spool		*sp;	/* NULL: no cache */
	struct tlscache		 tc;
};

void directtls_open(struct directtls *d, const struct account *acc,
    struct deliver_job *job);
void directtls_close(struct directtls *d);

#endif
