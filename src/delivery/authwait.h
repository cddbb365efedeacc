/*
 * authwait - when an account's passwordeval may run.
 *
 * msmtp runs passwordeval before it connects. Where the clear text rule
 * (smtp/auth.h) could still refuse the method, the command waits until
 * the session has passed that rule, so that no secret is fetched for a
 * server that will not get it. The front end asks this too (RMQS), and
 * links no SASL or TLS library: this file needs only smtp/cleartext.c.
 */
#ifndef DELIVERY_AUTHWAIT_H
#define DELIVERY_AUTHWAIT_H

#include "account/account.h"

/* password_must_wait - whether acc's passwordeval must wait until the
 * method has passed the clear text rule (smtp_auth_may_refuse()). */
int password_must_wait(const struct account *acc);

#endif
