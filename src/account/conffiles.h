/*
 * conffiles - the msmtprc files every program reads, in one place.
 *
 * conf_read() loads what msmtp loads: the system file (SYSCONFDIR
 * "/msmtprc"), then the user's (conffile, from -C, when not NULL and
 * then required; else conf_default_files()'s ~/.msmtprc or XDG file), as
 * conf_load() does. msmtp (sendmail mode, --serverinfo, --rmqs) and
 * msmtp-queue all call it, so they read the same files in the same
 * order. out is initialised here; the caller calls conf_free() on it
 * whatever the result. Errors are conf_load()'s.
 */
#ifndef ACCOUNT_CONFFILES_H
#define ACCOUNT_CONFFILES_H

#include "account/conf.h"

int conf_read(const char *conffile, struct conf *out, char **errstr);

#endif
