/*
 * secret - the password clients must give with --auth=USER[,EVAL]: the
 * first line EVAL prints under /bin/sh -c (as msmtp's passwordeval:
 * util/secretline_eval(), its stdin /dev/null, its exit status ignored), else asked once at start
 * on /dev/tty without echo. There is no keyring here.
 *
 * Ownership: *pw is allocated; the caller wipes and frees it with
 * secret_free(). Errors: EX_CONFIG ("cannot evaluate ...", "cannot read
 * output of ...", "no terminal to ask for the password"), *errstr
 * allocated (the caller frees it).
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
