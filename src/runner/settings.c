/*
 * settings - --show's account block: the settings a mail will be sent
 * with, as msmtprc lines (its snapshot; account/reread.h says when that
 * changes), and where its password will come from, never the password
 * itself (account/passrule.h).
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "account/passrule.h"
#include "account/password.h"
#include "account/snapshot.h"
#include "util/xalloc.h"

/* password_line - where the password will come from. */
static void password_line(const struct account *a)
{
	char *pw, *hint = NULL;

	if (a->auth_mech == NULL)
		return;
	if (a->passwordeval != NULL) {
		printf("# password: from passwordeval when needed\n");
		return;
	}
	pw = password_configured(a, NULL, &hint);
	if (pw != NULL)
		printf("password \"********\"\n");
	else if (hint != NULL)
		printf("# password: none: %s\n", hint);
	else
		printf("# password: from the keyring, ~/.netrc, " SYSCONFDIR
		    "/netrc or a prompt, when needed\n");
	password_free(pw);
	free(hint);
}

int runner_show_settings(struct spool *sp, const char *id, char **errstr)
{
	char *account, *conffile, *settings;
	struct account *a;
	int rc;

	rc = spool_snapshot_of(sp, id, &account, &conffile, &settings,
	    errstr);
	if (rc != EX_OK)
		return rc;
	a = account_new(account[0] ? account : NULL);
	a->conffile = conffile ? xstrdup(conffile) : NULL;
	if (snapshot_undump(settings, a, errstr) == EX_OK) {
		if (conffile != NULL && account[0] != '\0')
			printf("# sent with account %s from %s, as it was when "
			    "queued or last released:\n", account, conffile);
		else
			printf("# sent with the settings given on the command "
			    "line:\n");
		fputs(settings, stdout);
		password_line(a);
		printf("\n");
	} else {
		rc = EX_DATAERR;
	}
	account_free(a);
	free(account);
	free(conffile);
	free(settings);
	return rc;
}
