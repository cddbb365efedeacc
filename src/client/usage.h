/*
 * usage - the texts of --version and --help, in msmtp's layout.
 */
#ifndef CLIENT_USAGE_H
#define CLIENT_USAGE_H

#include <stdio.h>

void usage_version(FILE *out, const char *sysconf, const char *userconf);
void usage_help(FILE *out);

#endif
