/*
 * reread - a queued mail's account as its configuration file says now.
 *
 * A mail carries the snapshot of its account's settings taken when it
 * was spooled, and is sent with it, so that editing msmtprc does not
 * change mail already accepted. When the user fixes the account of a
 * held mail and asks for it again (msmtp-queue --release, --retry), the
 * mail's own account in its own file is read again and becomes its new
 * snapshot: that is the user asking for the file as it is now.
 *
 * What is re-read: the named file alone (the system file as msmtp reads
 * it, any other as a user file, with its permission check), the account
 * of that name, msmtp's expansion, defaults and checks. What is kept from
 * the old snapshot: the envelope-from, which belongs to the mail. What
 * is lost: settings that were given on msmtp's command line when the
 * mail was spooled (they are in no file).
 *
 * Ownership: every string returned is newly allocated; the caller frees
 * it. Errors: a sysexits code with *errstr newly allocated.
 */
#ifndef ACCOUNT_REREAD_H
#define ACCOUNT_REREAD_H

#include "account/conf.h"

/*
 * conf_load_file - file alone into out (conf_init()ed by the caller,
 * conf_free()d by it whatever the result): as the system file if it is
 * SYSCONFDIR/msmtprc, else as a -C file. Errors as conf_load().
 */
int conf_load_file(const char *file, struct conf *out, char **errstr);

/*
 * account_reread - the new snapshot (snapshot_dump() text) of the account id
 * of conffile, for a mail whose snapshot is old; *settings NULL when the
 * account came from the command line (no file to read: the old snapshot
 * stays). Errors (EX_CONFIG or conf_load()'s code): the file's own
 * error, "account ID no longer exists in FILE", msmtp's account checks.
 */
int account_reread(const char *conffile, const char *id, const char *old,
    char **settings, char **errstr);

#endif
