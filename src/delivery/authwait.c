/*
 * authwait - when passwordeval may run; see authwait.h.
 */
#include "delivery/authwait.h"

#include "smtp/auth.h"

int password_must_wait(const struct account *acc)
{
	return acc->auth_mech != NULL && smtp_auth_may_refuse(acc->auth_mech,
	    acc->tls, acc->host, acc->proxy_host != NULL,
	    acc->socket != NULL);
}
