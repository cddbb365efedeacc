/*
 * cmdline - msmtp's command line, table-driven.
 *
 * cmdline_parse() reads argv the way msmtp 1.8 does (GNU getopt_long with
 * msmtp's option string, so options may follow recipients, and "--" ends
 * them): mode options, the sendmail-mode options, every option that
 * mirrors an msmtprc command (applied through conf_set(), so validation
 * is shared with the config reader), and the sendmail options msmtp
 * accepts and ignores (-A -B -bm -G -h -i -L -m -n -O -o...).
 *
 * The struct cmdline is owned by the caller: cmdline_init() before,
 * cmdline_free() after. Settings that mirror msmtprc commands land in
 * cl->acc with their mask bits set, ready for account_merge() over the
 * chosen account. On error it returns EX_USAGE with *errstr set (or with
 * *errstr NULL when getopt already printed the message, as msmtp does).
 * A CR or LF in -f, --rmqs, a recipient or an option that mirrors such an
 * msmtprc value (conf.h) is refused this way: it would start another
 * SMTP command (DELIBERATE DIFFERENCE: msmtp sends it).
 */
#ifndef CLIENT_CMDLINE_H
#define CLIENT_CMDLINE_H

#include "account/account.h"
#include "util/strlist.h"

enum cl_mode {
	MODE_SENDMAIL,
	MODE_SERVERINFO,
	MODE_RMQS,
	MODE_CONFIGURE,	/* over the others, whatever the order */
	MODE_QUEUE_FLUSH,	/* -q: msmtp-queue --flush */
	MODE_QUEUE_LIST,	/* -bp, mailq: msmtp-queue --list */
	MODE_OAUTH2_AUTHORIZE	/* --oauth2-authorize[=ACCOUNT] */
};

struct cmdline {
	enum cl_mode	 mode;
	int		 version;	/* --version: printed first, */
	int		 help;		/* then --help; then only
					   MODE_CONFIGURE runs, as in msmtp */
	int		 pretend;	/* -P */
	int		 debug;		/* -d, -v */
	char		*conffile;	/* -C */
	char		*account_id;	/* -a */
	char		*host;		/* --host: command line only */
	char		*from;		/* -f: envelope-from */
	int		 read_recipients;	/* -t */
	int		 read_envelope_from;
	char		*rmqs;		/* --rmqs argument */
	char		*configure;	/* --configure argument */
	struct account	*acc;		/* msmtprc-style settings given */
	struct strlist	 rcpts;		/* the recipient arguments */
	/* msmtp-queue --import-msmtpq's interface (runner/msmtpq.h), not
	 * the user's: --import-id-fd=N spools the mail without sending it
	 * and writes its queue id to fd N; --import-queue-file=F spools it
	 * into F rather than the account's spool. -1 / NULL: not given. */
	int		 import_fd;
	char		*import_queue_file;
};

void cmdline_init(struct cmdline *cl);
void cmdline_free(struct cmdline *cl);
int cmdline_parse(struct cmdline *cl, int argc, char **argv, char **errstr);

#endif
