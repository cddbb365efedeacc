/*
 * passlookup - password_lookup(), the order of the sources asked when
 * the account names no password and no passwordeval; see password.h.
 *
 * It lives apart from password.c because it is the one step of account/
 * that reaches the keyring (libsecret): the front end takes password.o
 * for passwordeval, and must not carry libsecret with it. Only the
 * delivery code (the engine, msmtp-queue) calls this.
 */
#include "account/password.h"

#include <stdlib.h>

#include "util/homedir.h"
#include "util/keyring.h"
#include "util/xalloc.h"

/* password_keyring - the Secret Service's item for (host, smtp, user). */
static char *password_keyring(const char *host, const char *user)
{
	return keyring_lookup(host, "smtp", user);
}

/* password_netrcs - ~/.netrc, then SYSCONFDIR/netrc. */
static char *password_netrcs(const char *host, const char *user)
{
	char *home, *path, *pw;

	home = homedir();
	path = xasprintf("%s/.netrc", home);
	free(home);
	pw = password_netrc(path, host, user);
	free(path);
	if (pw == NULL)
		pw = password_netrc(SYSCONFDIR "/netrc", host, user);
	return pw;
}

char *password_lookup(const char *host, const char *user)
{
	char *pw;

	if ((pw = password_keyring(host, user)) != NULL)
		return pw;
	if ((pw = password_netrcs(host, user)) != NULL)
		return pw;
	return password_prompt(host, user);
}
