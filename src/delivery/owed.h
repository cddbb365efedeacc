/*
 * owed - the bounces failed recipients owe their senders, queued.
 *
 * owed_bounces_queue() composes a delivery status notification
 * (mail/dsn.h) for each mail whose recipients owe one
 * (spool_bounce_each()) and enqueues it as an ordinary mail of the same
 * account, from the null sender; *queued says how many. The runner calls
 * it after each pass; msmtp after an attempt that owes one (a partial
 * refusal), so that the notice is queued whether or not a runner ever
 * runs. Returns a sysexits code for failures of the spool.
 */
#ifndef DELIVERY_OWED_H
#define DELIVERY_OWED_H

#include "queue/spool.h"

int owed_bounces_queue(struct spool *sp, int *queued, char **errstr);

#endif
