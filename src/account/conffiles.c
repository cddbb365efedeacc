/*
 * conffiles - the msmtprc files every program reads; see conffiles.h.
 */
#include "account/conffiles.h"

#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

int conf_load_default(const char *conffile, const char *host,
    struct conf *out, char **errstr)
{
	char *sysfile = NULL, *userfile = NULL;
	int rc;

	if (host != NULL) {
		conf_init(out);
		return EX_OK;
	}
	conf_default_files(&sysfile, &userfile);
	rc = conf_load(sysfile, conffile != NULL ? conffile : userfile,
	    conffile != NULL, geteuid(), out, errstr);
	free(sysfile);
	free(userfile);
	return rc;
}
