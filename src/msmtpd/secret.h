/*
 * secret - the password clients must give with --auth=USER[,EVAL]: the
 * first line EVAL prints under /bin/sh -c (as msmtp's passwordeval:
 * util/secretline_eval(), its stdin /dev/null, its exit status ignored);
 * without EVAL, as msmtp's msmtpd, the keyring's item with host
 * localhost, service smtp and user USER (util/keyring.h: e.g. stored by
 * "secret-tool store --label=msmtpd host localhost service smtp user
 * USER"), else asked once at start on /dev/tty without echo.
 *
 * Ownership: *pw is allocated; the caller wipes and frees it with
 * secret_free(). Errors: EX_CONFIG ("cannot evaluate ...", "cannot read
 * output of ...", "cannot get password for (localhost, smtp, USER): not
 * in the keyring, no passwordeval and no terminal to ask for the
 * password"), *errstr allocated (the caller frees it).
 *
 * SECURITY: the eval command is the administrator's, never the
 * client's; buffers that held the password are wiped.
 */
#ifndef MSMTPD_SECRET_H
#define MSMTPD_SECRET_H

int secret_get(const char *user, const char *eval, char **pw,
    char **errstr);
void secret_free(char *pw);

#endif
