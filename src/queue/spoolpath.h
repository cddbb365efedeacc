/*
 * spoolpath - where the spool is: the one rule msmtp, msmtp-queue, -q,
 * -bp and mailq all follow.
 *
 * msmtp puts a mail into the first of
 *   1. msmtp's --queue-file,
 *   2. the account's queue_file (msmtprc: the account's, else the
 *      defaults'),
 *   3. $MSMTP_QUEUE_FILE (when set and not empty),
 *   4. $XDG_STATE_HOME/msmtp/queue.db ($XDG_STATE_HOME when absolute,
 *      else ~/.local/state);
 * 1 and 2 reach spoolpath_resolve() as one value, the account after the
 * command line. So the environment is a default for the accounts that
 * name no spool, not an override of those that do.
 *
 * msmtp-queue works over every spool the configuration names
 * (spoolpath_all()): --queue-file alone when it is given; otherwise
 * $MSMTP_QUEUE_FILE, each account's queue_file, and the XDG default,
 * each file once.
 *
 * The home directory (~, the XDG default) is homedir()'s: $HOME, else
 * the password database, so a program started without HOME (cron)
 * finds the same spool as its user does.
 *
 * A leading "~" or "~/" in any of these names is the home directory (so
 * --queue-file=~/q.db, which no shell expands, is not taken as a
 * directory named "~"); "~user" is refused with EX_NOUSER.
 *
 * Patterns: in every one of these names %U is the user's login name and
 * %u the user id (the password database's entry of the real user), %%
 * a '%'; any other '%' stays as it is. A system-wide msmtprc can so give
 * each user a spool of their own, e.g.
 *   queue_file /var/spool/msmtp/%U/queue.db
 *
 * Ownership: every path returned (char *, strlist entries) is newly
 * allocated and the caller's to free.
 *
 * Errors: EX_NOUSER with *errstr (the caller's) when %U is asked for and
 * the user has no name.
 */
#ifndef QUEUE_SPOOLPATH_H
#define QUEUE_SPOOLPATH_H

#include "util/strlist.h"

/* spoolpath_default - 4. above, newly allocated. */
char *spoolpath_default(void);

/* spoolpath_expand - name with its %-patterns replaced, in *out (new). */
int spoolpath_expand(const char *name, char **out, char **errstr);

/* spoolpath_resolve - the spool of a mail whose account (after msmtp's
 * command line) names configured (NULL: none), expanded, in *out. */
int spoolpath_resolve(const char *configured, char **out, char **errstr);

/*
 * spoolpath_all - the spools msmtp-queue works over, expanded, each
 * once, in out (initialised by the caller): option (--queue-file) alone
 * when not NULL, else $MSMTP_QUEUE_FILE, each of configured (the
 * accounts' queue_file) and the default. A name that cannot be expanded
 * is left out, and its message added to skipped (initialised by the
 * caller), so that the other spools are still served.
 */
void spoolpath_all(const char *option, const struct strlist *configured,
    struct strlist *out, struct strlist *skipped);

#endif
