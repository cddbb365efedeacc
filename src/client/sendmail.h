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

#endif
