/*
 * frontend - msmtp itself, run by msmtp-queue to spool a mail.
 *
 * --import-msmtpq must spool each mail exactly as msmtp run with its
 * saved arguments would: the same configuration, account choice,
 * recipients and header rules. Rather than link msmtp's front end into
 * the runner, it runs the front end (util/selfexe.h finds it) with the
 * arguments, the mail on stdin, and the import options of
 * client/cmdline.h, which make it spool without sending and write the
 * queue id to a pipe.
 *
 * frontend_spool() returns msmtp's exit code. EX_OK means the mail is
 * committed and id holds its queue id; any other code means nothing was
 * spooled, and *errstr (newly allocated; the caller frees it) holds the
 * last line msmtp wrote on stderr, without its "msmtp: ", or a
 * description of why msmtp could not be run (EX_OSERR). An exit of 0
 * without an id (arguments that do not send, such as -P) is EX_USAGE.
 */
#ifndef RUNNER_FRONTEND_H
#define RUNNER_FRONTEND_H

#include "queue/spool.h"
#include "util/strlist.h"

struct frontend_job {
	const struct strlist	*args;		/* msmtp's arguments, no argv[0] */
	int			 mail_fd;	/* the mail, read from its start */
	const char		*conffile;	/* -C unless args name one; or NULL */
	const char		*queue_file;	/* NULL: the account's spool */
};

int frontend_spool(const struct frontend_job *job, char id[SPOOL_ID_LEN + 1],
    char **errstr);

#endif
