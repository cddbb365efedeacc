/*
 * NAME
 *	conf - the loaded configuration: its accounts and file names; see
 *	conf.h.
 * DESCRIPTION
 *	What a struct conf owns (conf_init, conf_free), looking an account
 *	up by name, and which msmtprc files msmtp reads by default. The
 *	pieces that fill a struct conf are elsewhere: the command table
 *	(conf_cmds.c), one command applied (conf_set.c), the file reader
 *	(conf_load.c) and the spool's snapshots (snapshot.c).
 */
#include "account/conf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/homedir.h"
#include "util/xalloc.h"

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nacc; i++)
		account_free(c->acc[i]);
	free(c->acc);
	free(c->sysfile);
	free(c->sysfile_error);
	free(c->userfile);
	free(c->userfile_error);
	free(c->default_of);
	conf_init(c);
}

struct account *conf_find(const struct conf *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nacc; i++)
		if (c->acc[i]->id != NULL && strcmp(c->acc[i]->id, id) == 0)
			return c->acc[i];
	return NULL;
}

/* exists - whether path names something stat() can see. */
static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

void conf_default_files(char **sysfile, char **userfile)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *home = homedir(), *dot, *cand;

	*sysfile = xstrdup(SYSCONFDIR "/msmtprc");
	dot = xasprintf("%s/.msmtprc", home);
	if (xdg != NULL)
		cand = xasprintf("%s/msmtp/config", xdg);
	else
		cand = xasprintf("%s/.config/msmtp/config", home);
	free(home);
	if (!exists(dot) && exists(cand)) {
		free(dot);
		*userfile = cand;
		return;
	}
	free(cand);
	*userfile = dot;
}
