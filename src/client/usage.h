/*
 * usage - the texts of --version and --help, in msmtp's layout.
 */
#ifndef CLIENT_USAGE_H
#define CLIENT_USAGE_H

#include <stdio.h>

/* usage_version - msmtp's --version text, with the spool after the
 * configuration files. */
void usage_version(FILE *out, const char *sysconf, const char *userconf,
    const char *spool);
void usage_help(FILE *out);

#endif
