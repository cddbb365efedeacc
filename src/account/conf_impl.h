/*
 * conf_impl - what the files of the msmtprc reader share (conf_cmds.c,
 * conf_set.c, conf_load.c, snapshot.c, conf.c); not for other modules,
 * whose API is conf.h.
 *
 * Every msmtprc command is one row of conf_cmds[]: its name, how its
 * argument is parsed (enum kind, F_* flags), which account field it sets
 * (off) and which ACC_* bit it marks. conf_set() (conf_set.c) applies a
 * row; snapshot_dump() (snapshot.c) writes the same rows back, so a snapshot
 * reads back through conf_set() like any file. The table is constant
 * data: nothing here allocates or frees.
 */
#ifndef ACCOUNT_CONF_IMPL_H
#define ACCOUNT_CONF_IMPL_H

#include <stddef.h>

#include "account/conf.h"

/* How a command's argument is read. */
enum kind {
	K_STR,		/* a string; "" unsets it (NULL) */
	K_TEXT,		/* a string; "" is kept */
	K_WORD,		/* one of words[], stored as its ival */
	K_NAME,		/* one of words[], stored as its sval (may be NULL) */
	K_INT,		/* an integer in min..max; "" is 0 */
	K_NOARG,	/* no argument; stores ival */
	K_DSN,		/* dsn_notify: off, never, or failure,delay,success */
	K_FPR,		/* tls_fingerprint: MD5, SHA1 or SHA256 in hex */
	K_NOOP		/* accepted and ignored */
};

#define F_REQ	0x1	/* an empty argument is an error */
#define F_HOME	0x2	/* a file name: a leading '~' is $HOME */
#define F_OFF	0x4	/* K_INT: "off" means 0 */
#define F_DUR	0x10	/* K_INT: a duration, "5m" (util/duration.h) */
#define F_LINE	0x8	/* goes on an SMTP command or header line: no CR
			   or LF, which would start another one there */

struct word {
	const char	*word;
	int		 ival;
	const char	*sval;
};

struct cmd {
	const char		*name;
	enum kind		 kind;
	int			 flags;
	size_t			 off;	/* offsetof(struct account, ...) */
	int			 bit;	/* ACC_*, or -1 */
	const struct word	*words;	/* K_WORD, K_NAME */
	long			 min, max;	/* K_INT */
	int			 ival;	/* K_NOARG */
};

/* The command table (conf_cmds.c), conf_ncmds rows. */
extern const struct cmd conf_cmds[];
extern const size_t conf_ncmds;

/* conf_find_cmd - the row for name, or NULL (conf_cmds.c). */
const struct cmd *conf_find_cmd(const char *name);

/*
 * The tokenizer's pieces that snapshot_undump() shares with the file reader
 * (conf_load.c): conf_is_blank - the blanks msmtp trims (space, tab);
 * conf_unquote - s without one pair of enclosing double quotes, in place
 * (it returns a pointer into s; there are no escapes).
 */
int conf_is_blank(char c);
char *conf_unquote(char *s);

#endif
