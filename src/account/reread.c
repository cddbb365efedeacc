/*
 * reread - a queued mail's account as its configuration file says now;
 * see reread.h.
 */
#include "account/reread.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/select.h"
#include "account/snapshot.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* is_system_file - whether file is SYSCONFDIR/msmtprc, by name or not. */
static int is_system_file(const char *file)
{
	struct stat a, b;

	if (strcmp(file, SYSCONFDIR "/msmtprc") == 0)
		return 1;
	return stat(file, &a) == 0 && stat(SYSCONFDIR "/msmtprc", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int conf_load_file(const char *file, struct conf *out, char **errstr)
{
	int sys = is_system_file(file);

	return conf_load(sys ? file : NULL, sys ? NULL : file, !sys,
	    geteuid(), out, errstr);
}

/* keep_from - the old snapshot's envelope-from, into a. */
static void keep_from(struct account *a, const char *old)
{
	struct account *was = account_new(NULL);
	char *err = NULL;

	if (snapshot_undump(old, was, &err) == EX_OK &&
	    (was->mask & ACC_MASK(ACC_FROM))) {
		free(a->from);
		a->from = was->from ? xstrdup(was->from) : NULL;
		a->mask |= ACC_MASK(ACC_FROM);
	}
	free(err);
	account_free(was);
}

/* settle - msmtp's expansion, defaults and checks; the snapshot text. */
static int settle(struct account *a, const char *old, char **settings,
    char **errstr)
{
	struct buf b;
	int rc;

	rc = account_expand(a, NULL, errstr);
	if (rc != EX_OK)
		return rc;
	keep_from(a, old);
	account_fill_defaults(a);
	rc = account_check(a, 0, errstr);
	if (rc != EX_OK)
		return rc;
	buf_init(&b);
	snapshot_dump(a, &b);
	*settings = buf_steal(&b);
	return EX_OK;
}

int account_reread(const char *conffile, const char *id, const char *old,
    char **settings, char **errstr)
{
	const struct account *found;
	struct account *a;
	struct conf c;
	int rc;

	*settings = NULL;
	if (conffile == NULL || id == NULL || id[0] == '\0')
		return EX_OK;
	conf_init(&c);
	rc = conf_load_file(conffile, &c, errstr);
	if (rc == EX_OK && (found = conf_find(&c, id)) == NULL) {
		*errstr = xasprintf("account %s no longer exists in %s", id,
		    conffile);
		rc = EX_CONFIG;
	}
	if (rc == EX_OK) {
		a = account_copy(found, NULL);
		rc = settle(a, old ? old : "", settings, errstr);
		account_free(a);
	}
	conf_free(&c);
	return rc;
}
