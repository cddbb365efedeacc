/*
 * conffiles - the msmtprc files every program reads, in one place.
 *
 * conf_load_default() loads what msmtp loads: nothing at all when host
 * is not NULL (--host: the command line is the whole account, no file
 * is read); else the system file (SYSCONFDIR "/msmtprc"), then the
 * user's (conffile, from -C, when not NULL and then required; else
 * conf_default_files()'s ~/.msmtprc or XDG file), as conf_load() does.
 * msmtp (sendmail mode, --serverinfo, --rmqs) and msmtp-queue (which
 * has no --host: it passes NULL) all call it, so they read the same
 * files in the same order. out is initialised here (left empty with a
 * host); the caller calls conf_free() on it whatever the result. Errors
 * are conf_load()'s.
 */
#ifndef ACCOUNT_CONFFILES_H
#define ACCOUNT_CONFFILES_H

#include "account/conf.h"

int conf_load_default(const char *conffile, const char *host,
    struct conf *out, char **errstr);

#endif
