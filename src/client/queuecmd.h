/*
 * queuecmd - sendmail's queue commands, handed to msmtp-queue.
 *
 * msmtp -q flushes the queue and msmtp -bp (or msmtp called as mailq)
 * lists it, exactly as msmtp-queue --flush and --list do: queuecmd_exec()
 * replaces this process with msmtp-queue (found beside the running
 * program, else in BINDIR), passing -C and --queue-file along. Only an
 * explicit --queue-file is passed: msmtp-queue then finds the spools
 * from the same configuration files and the same rule
 * (queue/spoolpath.h) as msmtp uses to spool, so -q and -bp see every
 * mail msmtp spooled, whichever account's spool it is in. It returns
 * only on failure, with EX_OSERR and *errstr set.
 */
#ifndef CLIENT_QUEUECMD_H
#define CLIENT_QUEUECMD_H

#include "client/cmdline.h"

int queuecmd_exec(const struct cmdline *cl, char **errstr);

#endif
