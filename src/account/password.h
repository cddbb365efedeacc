/*
 * password - where the password for SMTP AUTH comes from, in msmtp's
 * order: the account's password; its passwordeval; the keyring (the
 * Secret Service's item with host HOST, service smtp, user USER:
 * util/keyring.h); ~/.netrc and then SYSCONFDIR/netrc (the first
 * "machine HOST login USER password P" entry that matches); a prompt on
 * /dev/tty without echo ("password for USER at HOST: ").
 *
 * passwordeval is run before any connection when the account
 * authenticates and has no password (password_eval()); the keyring, the
 * netrc files and the prompt are asked only when the chosen method
 * needs a password (password_lookup(), the engine's smtp_password_fn).
 * password_lookup() is in passlookup.c, apart, so that the front end,
 * which needs only password_eval(), does not link libsecret.
 *
 * Ownership: every password returned is newly allocated; the caller
 * wipes it (password_free()) when done. Errors are a sysexits code with
 * *errstr newly allocated (the caller frees it).
 *
 * DELIBERATE DIFFERENCE: the passwordeval command gets /dev/null as its
 * standard input (msmtp passes its own, which in sendmail mode is the
 * mail being sent).
 *
 * SECURITY: nothing here writes a password anywhere but to the caller;
 * the netrc files are parsed with a bounded tokenizer; the prompt turns
 * echo off and restores the terminal afterwards.
 */
#ifndef ACCOUNT_PASSWORD_H
#define ACCOUNT_PASSWORD_H

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

struct account;

/*
 * password_eval - the first line cmd prints under /bin/sh -c (its line
 * end, LF or CRLF, removed): util/secretline_eval(). Errors, EX_CONFIG as
 * msmtp, with secretline_eval()'s message: "cannot evaluate 'CMD':
 * STRERROR", "cannot read output of 'CMD'" (it printed nothing).
 */
int password_eval(const char *cmd, char **out, char **errstr);

/* password_netrc - user's password for host in the netrc file path, or
 * NULL (no file, no matching entry). */
char *password_netrc(const char *path, const char *host, const char *user);

/* password_prompt - ask on /dev/tty; NULL if there is no terminal. */
char *password_prompt(const char *host, const char *user);

/* password_lookup - the keyring, the netrc files, then the prompt; NULL
 * when none has it (no Secret Service is not an error). */
char *password_lookup(const char *host, const char *user);

/* password_free - wipe and free. */
void password_free(char *pw);

#endif
