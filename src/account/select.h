/*
 * select - which account to use, its %-patterns, and msmtp's final checks.
 *
 * The caller loads the configuration (conf_load_default()) and asks
 * select_account() for the account, or, when --host was given (command
 * line only: no configuration is read), account_for_host(); it merges the
 * command-line settings over it (account_merge()), then calls
 * account_expand(), account_fill_defaults() and account_check(), in that
 * order, as msmtp does.
 *
 * Ownership: select_account() and account_for_host() return a new
 * account that the caller frees with account_free(); the conf is not
 * changed. Functions that return a string give a newly allocated one,
 * which the caller frees.
 *
 * Errors: a sysexits code, EX_OK on success; on failure *errstr is set to
 * a newly allocated message in msmtp's words (the caller frees it and
 * prints it after "msmtp: "). Every error here is EX_CONFIG.
 */
#ifndef ACCOUNT_SELECT_H
#define ACCOUNT_SELECT_H

#include "account/account.h"
#include "account/conf.h"

/* How the account was chosen; the -P lines the caller prints for each. */
enum select_rule {
	SELECT_BY_ID,	/* "using account specified on command line"
			   (1.8.33; Debian's 1.8.23 prints nothing) */
	SELECT_BY_FROM,	/* "account chosen by envelope from address %s: %s"
			   (the address, the account id) */
	SELECT_DEFAULT,	/* "falling back to default account" */
	SELECT_ENV	/* "falling back to default account", then
			   "using environment variables EMAIL and SMTPSERVER" */
};

/*
 * select_account - msmtp's choice: the account called id if id is not
 * NULL; else the first account (system file's first) whose from matches
 * envelope_from (-f or --read-envelope-from; may be NULL); else
 * "default"; else, if both EMAIL and SMTPSERVER are set (even empty), an
 * account with msmtp's defaults, host $SMTPSERVER, from $EMAIL, and NULL
 * id and conffile. Sets *out and *rule. Errors: "account ID not found in
 * SYSFILE and USERFILE" (naming the files that were loaded), "... not
 * found in FILE", "... not found: no configuration file available".
 * The from patterns are matched as written: msmtp 1.8.23 does not expand
 * %U and friends before matching.
 */
int select_account(const struct conf *c, const char *id,
    const char *envelope_from, struct account **out,
    enum select_rule *rule, char **errstr);

/* account_for_host - the account --host gives: msmtp's defaults with
 * that host, no id and no conffile. Never fails. */
struct account *account_for_host(const char *host);

/* select_by_from - the first account of c whose from matches addr. */
struct account *select_by_from(const struct conf *c, const char *addr);

/*
 * select_from_matches - whether an account's from matches addr: with
 * any of ? * [ it is an fnmatch(3) pattern (case-sensitive), otherwise
 * the comparison ignores case; if that fails and addr is user+detail@dom,
 * user@dom is tried the same way.
 */
int select_from_matches(const char *acc_from, const char *addr);

/* What the %-patterns need beyond the environment. */
struct expand_ctx {
	const char	*from_header;	/* %F: the From header's address;
					   NULL: expands to "" */
	const char	*mailname_file;	/* %M; NULL: "/etc/mailname" */
};

/*
 * select_expand_from - from with %U (user: $USER, else $LOGNAME, else
 * the passwd name), %H (host: $HOSTNAME, else gethostname()), %C (the
 * canonical name of %H, else %H), %M (first line of /etc/mailname) and
 * %F replaced; other '%' are kept. Only %M can fail ("<file>: <strerror>",
 * "Invalid argument" for an empty file). ctx may be NULL.
 */
int select_expand_from(const char *from, const struct expand_ctx *ctx,
    char **out, char **errstr);

/* select_expand_domain - the same for domain, which knows %H %C %M only. */
int select_expand_domain(const char *domain, const struct expand_ctx *ctx,
    char **out, char **errstr);

/*
 * account_expand - expand a->from and a->domain in place; then, if the
 * obsolete auto_from is on, set from to user@maildomain (just the user
 * if maildomain is unset or empty), overriding any from, as msmtp does.
 */
int account_expand(struct account *a, const struct expand_ctx *ctx,
    char **errstr);

/*
 * account_port - the port a will use: its own, else 465 for SMTP with
 * tls on and tls_starttls off, else 25 for SMTP; 0 for LMTP.
 */
int account_port(const struct account *a);

/* account_fill_defaults - set the derived port, and proxy_port 1080 if
 * a proxy host is set without a port, so -P shows what will be used. */
void account_fill_defaults(struct account *a);

/*
 * account_check - msmtp's check_account(), first failure wins:
 * "host not set" (unless socket), "port not set",
 * "envelope-from address is missing" (sendmail_mode only),
 * "tls_key_file requires tls_cert_file" and the reverse,
 * "tls requires either tls_trust_file (highly recommended) or
 * tls_fingerprint or a disabled tls_certcheck",
 * "tls_crl_file requires tls_trust_file". For an account from a file the
 * message reads "account ID from FILE: <problem>", as msmtp prints it.
 */
int account_check(const struct account *a, int sendmail_mode,
    char **errstr);

#endif
