/*
 * conf - msmtprc files: reading them, and applying one command.
 *
 * conf_set() applies one msmtprc command with its argument to an account,
 * validating it exactly as msmtp does, and sets the command's ACC_* bit
 * in the account's mask. The file reader and the command-line parser both
 * go through it, so values and error texts are shared. The argument is
 * taken as given (no quote stripping); a leading "~" of a file name
 * (tls_*_file, logfile, aliases) is replaced by the home directory.
 *
 * conf_load() reads the system file, then the user file, into a struct
 * conf that it owns on behalf of the caller: the caller declares it, and
 * must call conf_free() on it after conf_load() returns, whatever the
 * result. The accounts are the system file's (minus those the user file
 * redefines) followed by the user file's, each file in its own order.
 *
 * File syntax, as msmtp 1.8: one "command [argument]" per line; blank
 * lines and lines whose first non-blank is '#' are ignored; one trailing
 * CR is dropped; the argument is trimmed of blanks and, if it both starts
 * and ends with '"', loses those two quotes (there are no escapes). Lines
 * may be of any length (msmtp stops at 500). "eval CMD" runs CMD with
 * /bin/sh -c (stdin from /dev/null) and parses the first line of its
 * output in place of the eval line.
 *
 * Errors: every function that can fail returns a sysexits code, EX_OK on
 * success, and on failure sets *errstr to a newly allocated message (the
 * caller frees it and prints it after "msmtp: "):
 *   EX_CONFIG  a syntax or value error ("<file>: line N: <problem>"), the
 *              secret check ("<file>: contains secrets and therefore ...");
 *              a CR or LF in a value that reaches an SMTP command or a
 *              header line (host, domain, from, from_full_name,
 *              maildomain, rmqs: "command C: <value>: a line break ...",
 *              msmtp takes it). Values in messages are escaped
 *              (util/escape.h);
 *   EX_IOERR   a -C file that cannot be opened ("<file>: <strerror>"), a
 *              read error ("<file>: input error"), an eval that cannot
 *              run or gives no output ("<file>: " and secretline_eval()'s
 *              message: "cannot read output of '<cmd>'", ...).
 */
#ifndef ACCOUNT_CONF_H
#define ACCOUNT_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "account/account.h"
#include "util/buf.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/*
 * The loaded configuration. For -P the caller prints, in this order:
 * "ignoring system configuration file %s: %s" (sysfile, sysfile_error)
 * or "loaded system configuration file %s", then the same for the user
 * file ("ignoring user ..." / "loaded user ...").
 */
struct conf {
	struct account	**acc;		/* owned; system file's first */
	size_t		  nacc;
	size_t		  cap;		/* slots allocated in acc */
	char		 *sysfile;	/* name tried, NULL if none */
	int		  sysfile_loaded;
	char		 *sysfile_error;	/* strerror if ignored, or NULL */
	char		 *userfile;	/* name tried, NULL if none */
	int		  userfile_loaded;
	char		 *userfile_error;	/* strerror if ignored, or NULL */
	/* "account default : X" (one parent): X, which "default" is
	 * another name of, for msmtp-queue --account; NULL if none. */
	char		 *default_of;
};

/*
 * conf_set - apply one msmtprc command to a. cmd is a command name as in
 * msmtprc ("port", "tls_starttls", the compat aliases...); arg is its
 * argument, "" (or NULL) for none. "account", "defaults" and "eval" are
 * file structure, not settings: they are unknown here. Errors (EX_CONFIG,
 * without the "<file>: line N: " part):
 *   "unknown command <cmd>", "command <cmd> needs an argument",
 *   "command <cmd> does not take an argument",
 *   "invalid argument <arg> for command <cmd>".
 * On error a is unchanged.
 */
int conf_set(struct account *a, const char *cmd, const char *arg,
    char **errstr);

/*
 * conf_load - read the system file (if sysfile is not NULL) and then the
 * user file (if userfile is not NULL) into out, which it initialises.
 * A file that cannot be opened is skipped and its strerror kept in
 * sysfile_error/userfile_error, except a user file given with -C
 * (userfile_required), which is EX_IOERR "<file>: <strerror>". If the
 * user file holds a literal "password" command and euid is not 0, the
 * file must be owned by euid and have no bits beyond user read/write
 * (EX_CONFIG otherwise); pass geteuid(). The system file is never
 * checked.
 */
int conf_load(const char *sysfile, const char *userfile,
    int userfile_required, uid_t euid, struct conf *out, char **errstr);

/* conf_init - an empty conf; conf_free - release it (reusable after). */
void conf_init(struct conf *c);
void conf_free(struct conf *c);

/* conf_find - the account called id, or NULL; it stays c's. */
struct account *conf_find(const struct conf *c, const char *id);

/*
 * conf_default_files - msmtp's file names, newly allocated: the system
 * file SYSCONFDIR "/msmtprc", and the user file ~/.msmtprc if it exists,
 * else $XDG_CONFIG_HOME/msmtp/config (XDG_CONFIG_HOME defaulting to
 * ~/.config) if that exists, else ~/.msmtprc.
 */
void conf_default_files(char **sysfile, char **userfile);


#endif
