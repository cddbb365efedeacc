/*
 * oauth2cmd - msmtp --oauth2-authorize[=ACCOUNT]: the account chosen as
 * for a send (-a, -C, the default account), checked, then authorized by
 * the engine (delivery/oauth2auth.h), which stores its refresh token.
 * Instructions go to stdout; errors are a sysexits code and *errstr,
 * newly allocated, printed by main.
 */
#ifndef CLIENT_OAUTH2CMD_H
#define CLIENT_OAUTH2CMD_H

#include "client/cmdline.h"

int oauth2cmd_run(struct cmdline *cl, char **errstr);

#endif
