/*
 * sendmail - msmtp's sendmail mode: read one mail from stdin and send it.
 *
 * sendmail_run() follows msmtp 1.8's order: load the configuration
 * (none with --host), read the header block, choose the account, lay
 * the command-line settings over it, settle the envelope, rewrite the
 * headers, then deliver. It is the edge for delivery failures: it prints
 * msmtp's lines for them ("msmtp: <what failed>", "msmtp: server message:
 * ...", "msmtp: could not send mail (account A from F)") and writes the
 * log line. Other errors come back as a sysexits code with *errstr set
 * (newly allocated; the caller prints and frees it).
 */
#ifndef CLIENT_SENDMAIL_H
#define CLIENT_SENDMAIL_H

#include "client/cmdline.h"

int sendmail_run(struct cmdline *cl, char **errstr);

/*
 * sendmail_import - msmtp-queue --import-msmtpq's mail (cl->import_fd
 * set): read from stdin and spooled exactly as msmtp run with cl's
 * arguments would spool it (the same configuration, account choice,
 * recipients and header rules), but never delivered here: the runner
 * sends it. It goes into cl->import_queue_file if set, else into the
 * account's spool. One transaction: on EX_OK it is committed and its
 * queue id and a newline are written to cl->import_fd, which is then
 * closed; otherwise nothing is spooled and *errstr says why (EX_USAGE:
 * cl is not a sendmail-mode command line, or -P).
 */
int sendmail_import(struct cmdline *cl, char **errstr);

#endif
