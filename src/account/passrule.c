/*
 * passrule - which configured password a queued mail may use; see
 * passrule.h.
 *
 * SECURITY: the password returned is the caller's to wipe
 * (password_free()); the configuration read here is freed with it.
 */
#include "account/passrule.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/reread.h"
#include "account/select.h"
#include "util/xalloc.h"

/* same_str - equal, NULL equal to NULL only. */
static int same_str(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* same_file - whether two names are one file (a relative -C name and
 * the absolute one the spool keeps). */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (a == NULL || b == NULL)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* own_account - snap's account in the file it came from: in loaded if
 * that is the file, else read from the file into *own. */
static const struct account *own_account(const struct account *snap,
    const struct conf *loaded, struct conf *own)
{
	const struct account *cur;
	char *err = NULL;

	cur = loaded != NULL ? conf_find(loaded, snap->id) : NULL;
	if (cur != NULL && same_file(cur->conffile, snap->conffile))
		return cur;
	if (conf_load_file(snap->conffile, own, &err) != EX_OK) {
		free(err);
		return NULL;
	}
	cur = conf_find(own, snap->id);
	return cur != NULL && same_file(cur->conffile, snap->conffile) ?
	    cur : NULL;
}

char *password_configured(const struct account *snap,
    const struct conf *loaded, char **hint)
{
	const struct account *cur;
	struct conf own;
	char *pw = NULL;

	*hint = NULL;
	if (snap->auth_mech == NULL || snap->passwordeval != NULL ||
	    snap->password != NULL || snap->id == NULL ||
	    snap->conffile == NULL)
		return NULL;
	conf_init(&own);
	cur = own_account(snap, loaded, &own);
	if (cur == NULL)
		*hint = xasprintf("no password: account %s cannot be read "
		    "from %s; fix it, then run 'msmtp-queue --release ID'",
		    snap->id, snap->conffile);
	else if (cur->password == NULL)
		*hint = xasprintf("no password: account %s in %s has no "
		    "password or passwordeval, and no netrc entry matches; "
		    "add one, then run 'msmtp-queue --release ID'", snap->id,
		    snap->conffile);
	else if (same_str(cur->host, snap->host) &&
	    account_port(cur) == account_port(snap) &&
	    same_str(cur->user, snap->user))
		pw = xstrdup(cur->password);
	else
		*hint = xasprintf("the password of account %s in %s is for "
		    "another server or user than this mail was queued for; "
		    "to send it with the account as it is now, run "
		    "'msmtp-queue --release ID'", snap->id, snap->conffile);
	conf_free(&own);
	return pw;
}
