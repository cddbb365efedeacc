/*
 * opts - msmtpd's command line (long options only, as msmtp's msmtpd).
 *
 *   --version, --help, --inetd, --interface=IP (127.0.0.1), --port=N
 *   (25), --log=none|syslog|FILE (none), --command=CMD ("MSMTP -f %F
 *   --", MSMTP the msmtp installed beside msmtpd, else BINDIR's:
 *   util/selfexe.h), --auth=USER[,PASSWORDEVAL]; and, new here,
 *   --max-sessions=N (16), --timeout=SECONDS (300; 0 = none),
 *   --max-size=BYTES (the SIZE announced, 64 MiB; 0 = none), and
 *   --allow-open-relay, --allow-cleartext-auth (exposure.h).
 *
 * Ownership: opts_parse() fills a caller-owned struct opts whose strings
 * it allocates; opts_free() releases them. Errors: EX_USAGE with *errstr
 * allocated (the caller frees it), in msmtp's words where msmtp has some
 * ("option '--port' requires non-empty argument").
 */
#ifndef MSMTPD_OPTS_H
#define MSMTPD_OPTS_H

#include "msmtpd/argv.h"

#define OPTS_DEFAULT_SIZE	(64ULL * 1024 * 1024)

struct opts {
	int			 help;
	int			 version;
	int			 inetd;
	char			*interface;
	int			 port;
	char			*log;		/* "none", "syslog" or a path */
	char			*command;
	int			 command_default; /* no --command given */
	struct pipecmd		 pipecmd;	/* the command, read */
	char			*auth_user;	/* NULL: no AUTH */
	char			*auth_eval;	/* NULL: ask on the terminal */
	unsigned		 max_sessions;
	unsigned		 timeout;	/* seconds, 0: none */
	unsigned long long	 max_size;	/* 0: none */
	int			 allow_open_relay;
	int			 allow_cleartext_auth;
};

int opts_parse(int argc, char **argv, struct opts *o, char **errstr);
void opts_free(struct opts *o);

/* opts_usage - the --help text. */
const char *opts_usage(void);

#endif
