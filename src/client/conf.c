/*
 * NAME
 *	conf - msmtprc files and commands; see conf.h.
 * DESCRIPTION
 *	Every msmtprc command is one row of cmds[]: its name, how its
 *	argument is parsed, which account field it sets and which ACC_* bit
 *	it marks. conf_set() looks a command up there; the file reader only
 *	adds what is file structure (defaults, account, eval) and the
 *	secret check. Behaviour follows Debian's msmtp 1.8.23, which was run
 *	to settle every detail (argument trimming and quotes, which empty
 *	arguments unset a value and which are errors, the exact messages).
 * DIAGNOSTICS
 *	Sysexits codes with a newly allocated message; see conf.h.
 * SECURITY
 *	Reads configuration that may hold passwords: the user file must be
 *	private to its owner if it holds a "password" command (unless root).
 *	"eval" runs a shell command from the file, as msmtp does; the child
 *	gets /dev/null as stdin (ours may carry the mail), and the files
 *	opened here are close-on-exec.
 */
#include "client/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/duration.h"
#include "util/harden.h"
#include "util/homedir.h"
#include "util/escape.h"
#include "util/trim.h"
#include "util/xalloc.h"

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

static const struct word w_bool[] = {
	{ "", 1, NULL }, { "on", 1, NULL }, { "off", 0, NULL }, { NULL, 0, NULL }
};
static const struct word w_notbool[] = {
	{ "", 0, NULL }, { "on", 0, NULL }, { "off", 1, NULL }, { NULL, 0, NULL }
};
static const struct word w_protocol[] = {
	{ "smtp", PROTO_SMTP, NULL }, { "lmtp", PROTO_LMTP, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_from_header[] = {
	{ "", SET_FROM_AUTO, NULL }, { "auto", SET_FROM_AUTO, NULL },
	{ "on", SET_FROM_ON, NULL }, { "off", SET_FROM_OFF, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_add_from[] = {
	{ "", SET_FROM_AUTO, NULL }, { "on", SET_FROM_AUTO, NULL },
	{ "off", SET_FROM_OFF, NULL }, { NULL, 0, NULL }
};
static const struct word w_auto_off[] = {
	{ "", 1, NULL }, { "auto", 1, NULL }, { "off", 0, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_to_header[] = {
	{ "", SET_TO_ON, NULL }, { "on", SET_TO_ON, NULL },
	{ "off", SET_TO_OFF, NULL },
	{ "undisclosed_recipients", SET_TO_UNDISCLOSED, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_undisclosed[] = {
	{ "", SET_TO_UNDISCLOSED, NULL }, { "on", SET_TO_UNDISCLOSED, NULL },
	{ "off", SET_TO_OFF, NULL }, { NULL, 0, NULL }
};
static const struct word w_auth[] = {
	{ "", 0, "" }, { "on", 0, "" }, { "off", 0, NULL },
	{ "plain", 0, "PLAIN" }, { "login", 0, "LOGIN" },
	{ "cram-md5", 0, "CRAM-MD5" }, { "digest-md5", 0, "DIGEST-MD5" },
	{ "scram-sha-1", 0, "SCRAM-SHA-1" },
	{ "scram-sha-1-plus", 0, "SCRAM-SHA-1-PLUS" },
	{ "scram-sha-256", 0, "SCRAM-SHA-256" },
	{ "scram-sha-256-plus", 0, "SCRAM-SHA-256-PLUS" },
	{ "gssapi", 0, "GSSAPI" }, { "external", 0, "EXTERNAL" },
	{ "ntlm", 0, "NTLM" }, { "oauthbearer", 0, "OAUTHBEARER" },
	{ "xoauth2", 0, "XOAUTH2" }, { NULL, 0, NULL }
};
static const struct word w_dsn_return[] = {
	{ "off", 0, NULL }, { "headers", 0, "HDRS" }, { "full", 0, "FULL" },
	{ NULL, 0, NULL }
};
static const struct word w_delivery[] = {
	{ "interactive", DELIVER_INTERACTIVE, NULL },
	{ "background", DELIVER_BACKGROUND, NULL },
	{ "queue", DELIVER_QUEUE, NULL }, { NULL, 0, NULL }
};
static const struct word w_uncertain[] = {
	{ "resend", UNCERTAIN_RESEND, NULL }, { "hold", UNCERTAIN_HOLD, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_syslog[] = {
	{ "", 0, "LOG_USER" }, { "on", 0, "LOG_USER" }, { "off", 0, NULL },
	{ "LOG_USER", 0, "LOG_USER" }, { "LOG_MAIL", 0, "LOG_MAIL" },
	{ "LOG_LOCAL0", 0, "LOG_LOCAL0" }, { "LOG_LOCAL1", 0, "LOG_LOCAL1" },
	{ "LOG_LOCAL2", 0, "LOG_LOCAL2" }, { "LOG_LOCAL3", 0, "LOG_LOCAL3" },
	{ "LOG_LOCAL4", 0, "LOG_LOCAL4" }, { "LOG_LOCAL5", 0, "LOG_LOCAL5" },
	{ "LOG_LOCAL6", 0, "LOG_LOCAL6" }, { "LOG_LOCAL7", 0, "LOG_LOCAL7" },
	{ NULL, 0, NULL }
};

#define OFF(f)	offsetof(struct account, f)
#define STR(n, f, bit, fl)	{ n, K_STR, fl, OFF(f), bit, NULL, 0, 0, 0 }
#define TEXT(n, f, bit, fl)	{ n, K_TEXT, fl, OFF(f), bit, NULL, 0, 0, 0 }
#define WORD(n, f, bit, w, fl)	{ n, K_WORD, fl, OFF(f), bit, w, 0, 0, 0 }
#define NAME(n, f, bit, w, fl)	{ n, K_NAME, fl, OFF(f), bit, w, 0, 0, 0 }
#define INT(n, f, bit, lo, hi, fl) \
	{ n, K_INT, fl, OFF(f), bit, NULL, lo, hi, 0 }
#define NOARG(n, f, bit, v)	{ n, K_NOARG, 0, OFF(f), bit, NULL, 0, 0, v }

static const struct cmd cmds[] = {
	TEXT("host", host, ACC_HOST, F_REQ | F_LINE),
	INT("port", port, ACC_PORT, 1, 65535, F_REQ),
	STR("source_ip", source_ip, ACC_SOURCE_IP, 0),
	STR("proxy_host", proxy_host, ACC_PROXY_HOST, 0),
	INT("proxy_port", proxy_port, ACC_PROXY_PORT, 1, 65535, 0),
	STR("socket", socket, ACC_SOCKET, 0),
	INT("timeout", timeout, ACC_TIMEOUT, 1, INT_MAX, F_REQ | F_OFF),
	INT("connect_timeout", timeout, ACC_TIMEOUT, 1, INT_MAX,
	    F_REQ | F_OFF),
	WORD("protocol", protocol, ACC_PROTOCOL, w_protocol, F_REQ),
	TEXT("domain", domain, ACC_DOMAIN, F_LINE),
	NAME("auth", auth_mech, ACC_AUTH, w_auth, 0),
	STR("user", user, ACC_USER, 0),
	STR("password", password, ACC_PASSWORD, 0),
	STR("passwordeval", passwordeval, ACC_PASSWORDEVAL, 0),
	STR("ntlmdomain", ntlmdomain, ACC_NTLMDOMAIN, 0),
	WORD("tls", tls, ACC_TLS, w_bool, 0),
	WORD("tls_starttls", tls_starttls, ACC_TLS_STARTTLS, w_bool, 0),
	NOARG("tls_nostarttls", tls_starttls, ACC_TLS_STARTTLS, 0),
	STR("tls_trust_file", tls_trust_file, ACC_TLS_TRUST_FILE, F_HOME),
	STR("tls_crl_file", tls_crl_file, ACC_TLS_CRL_FILE, F_HOME),
	{ "tls_fingerprint", K_FPR, 0, OFF(tls_fingerprint),
	    ACC_TLS_FINGERPRINT, NULL, 0, 0, 0 },
	STR("tls_key_file", tls_key_file, ACC_TLS_KEY_FILE, F_HOME),
	STR("tls_cert_file", tls_cert_file, ACC_TLS_CERT_FILE, F_HOME),
	WORD("tls_certcheck", tls_certcheck, ACC_TLS_CERTCHECK, w_bool, 0),
	NOARG("tls_nocertcheck", tls_certcheck, ACC_TLS_CERTCHECK, 0),
	{ "tls_force_sslv3", K_NOOP, 0, 0, -1, NULL, 0, 0, 0 },
	STR("tls_priorities", tls_priorities, ACC_TLS_PRIORITIES, 0),
	STR("tls_host_override", tls_host_override, ACC_TLS_HOST_OVERRIDE, 0),
	INT("tls_min_dh_prime_bits", tls_min_dh_prime_bits,
	    ACC_TLS_MIN_DH_PRIME_BITS, 1, INT_MAX, 0),
	TEXT("from", from, ACC_FROM, F_LINE),
	STR("from_full_name", from_full_name, ACC_FROM_FULL_NAME, F_LINE),
	WORD("allow_from_override", allow_from_override,
	    ACC_ALLOW_FROM_OVERRIDE, w_bool, 0),
	{ "dsn_notify", K_DSN, F_REQ, OFF(dsn_notify), ACC_DSN_NOTIFY,
	    NULL, 0, 0, 0 },
	NAME("dsn_return", dsn_return, ACC_DSN_RETURN, w_dsn_return, F_REQ),
	WORD("set_from_header", set_from_header, ACC_SET_FROM_HEADER,
	    w_from_header, 0),
	WORD("set_date_header", set_date_header, ACC_SET_DATE_HEADER,
	    w_auto_off, 0),
	WORD("set_msgid_header", set_msgid_header, ACC_SET_MSGID_HEADER,
	    w_auto_off, 0),
	WORD("set_to_header", set_to_header, ACC_SET_TO_HEADER,
	    w_to_header, 0),
	WORD("remove_bcc_headers", remove_bcc_headers, ACC_REMOVE_BCC_HEADERS,
	    w_bool, 0),
	STR("logfile", logfile, ACC_LOGFILE, F_HOME),
	STR("logfile_time_format", logfile_time_format,
	    ACC_LOGFILE_TIME_FORMAT, 0),
	NAME("syslog", syslog, ACC_SYSLOG, w_syslog, 0),
	STR("aliases", aliases, ACC_ALIASES, F_HOME),
	WORD("auto_from", auto_from, ACC_AUTO_FROM, w_bool, 0),
	TEXT("maildomain", maildomain, ACC_MAILDOMAIN, F_LINE),
	/* old names */
	WORD("keepbcc", remove_bcc_headers, ACC_REMOVE_BCC_HEADERS,
	    w_notbool, 0),
	WORD("undisclosed_recipients", set_to_header, ACC_SET_TO_HEADER,
	    w_undisclosed, 0),
	WORD("add_missing_from_header", set_from_header, ACC_SET_FROM_HEADER,
	    w_add_from, 0),
	WORD("add_missing_date_header", set_date_header, ACC_SET_DATE_HEADER,
	    w_bool, 0),
	/* this project */
	WORD("queue", queue, ACC_QUEUE, w_bool, 0),
	/* "~" is spoolpath_expand()'s, like the other spool names. */
	STR("queue_file", queue_file, ACC_QUEUE_FILE, 0),
	WORD("delivery_mode", delivery_mode, ACC_DELIVERY_MODE, w_delivery,
	    F_REQ),
	INT("queue_backoff_min", queue_backoff_min, ACC_QUEUE_BACKOFF_MIN, 1,
	    INT_MAX, F_REQ | F_DUR),
	INT("queue_backoff_max", queue_backoff_max, ACC_QUEUE_BACKOFF_MAX, 1,
	    INT_MAX, F_REQ | F_DUR),
	INT("queue_lifetime", queue_lifetime, ACC_QUEUE_LIFETIME, 1, INT_MAX,
	    F_REQ | F_DUR),
	WORD("queue_uncertain", queue_uncertain, ACC_QUEUE_UNCERTAIN,
	    w_uncertain, F_REQ),
	INT("queue_max_connections", queue_max_connections,
	    ACC_QUEUE_MAX_CONNECTIONS, 1, 1000, F_REQ),
	WORD("queue_bounce", queue_bounce, ACC_QUEUE_BOUNCE, w_bool, 0),
	TEXT("rmqs", rmqs, ACC_RMQS, F_LINE),
	INT("queue_keep_sent", queue_keep_sent, ACC_QUEUE_KEEP_SENT, 0,
	    INT_MAX, F_REQ | F_DUR),
	TEXT("queue_notify", queue_notify, ACC_QUEUE_NOTIFY, 0),
};

#undef OFF
#undef STR
#undef TEXT
#undef WORD
#undef NAME
#undef INT
#undef NOARG

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* A set of accounts of one file, or of the merged result. */
static void acc_add(struct conf *c, struct account *a)
{
	if (c->nacc == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->acc = xreallocarray(c->acc, c->cap, sizeof(*c->acc));
	}
	c->acc[c->nacc++] = a;
}

/* find_cmd - the row for name, or NULL. */
static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* find_word - the entry of words equal to arg, or NULL. */
static const struct word *find_word(const struct word *w, const char *arg)
{
	for (; w->word != NULL; w++)
		if (strcmp(w->word, arg) == 0)
			return w;
	return NULL;
}

/* parse_int - msmtp's get_pos_int() (strtol base 0), then a range; 0
 * only where min allows it (queue_keep_sent: keep nothing). */
static int parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end != '\0' || errno == ERANGE || v < 0 ||
	    (v == 0 && min > 0) ||
	    v > INT_MAX || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* dsn_word - the length of the DSN keyword at s, its bit in *bit. */
static size_t dsn_word(const char *s, int *bit)
{
	static const char *const names[] = { "failure", "delay", "success" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(names[i]);
		if (strncmp(s, names[i], n) == 0 &&
		    (s[n] == ',' || s[n] == '\0')) {
			*bit = 1 << i;
			return n;
		}
	}
	return 0;
}

/* parse_dsn_notify - "never" or a list of distinct failure, delay,
 * success; the value upper-cased, or NULL if invalid. */
static char *parse_dsn_notify(const char *arg)
{
	const char *p = arg;
	int seen = 0, bit;
	size_t n;
	char *v;

	if (strcmp(arg, "never") != 0) {
		for (;;) {
			if ((n = dsn_word(p, &bit)) == 0 || (seen & bit))
				return NULL;
			seen |= bit;
			p += n;
			if (*p == '\0')
				break;
			p++;
		}
	}
	v = xstrdup(arg);
	for (n = 0; v[n] != '\0'; n++)
		v[n] = (char)toupper((unsigned char)v[n]);
	return v;
}

/* hexval - the value of hex digit c, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)toupper((unsigned char)c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* parse_fingerprint - 16, 20 or 32 hex pairs separated by ':' or ' ',
 * as "AB:CD:..."; NULL if invalid. */
static char *parse_fingerprint(const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t len = strlen(s), n = (len + 1) / 3, i;
	char *v;

	if (len % 3 != 2 || (n != 16 && n != 20 && n != 32))
		return NULL;
	v = xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		char sep = s[3 * i + 2];

		if (hi < 0 || lo < 0 ||
		    (i + 1 < n && sep != ':' && sep != ' ')) {
			free(v);
			return NULL;
		}
		v[3 * i] = digits[hi];
		v[3 * i + 1] = digits[lo];
		if (i + 1 < n)
			v[3 * i + 2] = ':';
	}
	v[len] = '\0';
	return v;
}

/* file_name - arg with a leading '~' replaced by the home directory. */
static char *file_name(const char *arg)
{
	char *home, *s;

	if (arg[0] != '~')
		return xstrdup(arg);
	home = homedir();
	s = xasprintf("%s%s", home, arg + 1);
	free(home);
	return s;
}

/* set_str - replace the string field of c in a by v (adopted). */
static void set_str(struct account *a, const struct cmd *c, char *v)
{
	char **field = (char **)(void *)((char *)a + c->off);

	free(*field);
	*field = v;
}

/* set_int - set the int field of c in a. */
static void set_int(struct account *a, const struct cmd *c, int v)
{
	*(int *)(void *)((char *)a + c->off) = v;
}

/* apply_string - K_STR, K_TEXT: store arg. */
static void apply_string(struct account *a, const struct cmd *c,
    const char *arg)
{
	if (c->kind == K_STR && *arg == '\0')
		set_str(a, c, NULL);
	else if (c->flags & F_HOME)
		set_str(a, c, file_name(arg));
	else
		set_str(a, c, xstrdup(arg));
}

/* apply - set command c in a from arg; -1 if arg is invalid. */
static int apply(struct account *a, const struct cmd *c, const char *arg)
{
	const struct word *w;
	char *v;
	int n = 0;

	switch (c->kind) {
	case K_STR:
	case K_TEXT:
		apply_string(a, c, arg);
		return 0;
	case K_WORD:
	case K_NAME:
		if ((w = find_word(c->words, arg)) == NULL)
			return -1;
		if (c->kind == K_WORD)
			set_int(a, c, w->ival);
		else
			set_str(a, c, w->sval ? xstrdup(w->sval) : NULL);
		return 0;
	case K_INT:
		if (*arg != '\0' && !((c->flags & F_OFF) &&
		    strcmp(arg, "off") == 0) &&
		    ((c->flags & F_DUR) ? duration_parse(arg, c->min, c->max,
		    &n) : parse_int(arg, c->min, c->max, &n)) != 0)
			return -1;
		set_int(a, c, n);
		return 0;
	case K_NOARG:
		set_int(a, c, c->ival);
		return 0;
	case K_DSN:
		v = NULL;
		if (strcmp(arg, "off") != 0 &&
		    (v = parse_dsn_notify(arg)) == NULL)
			return -1;
		set_str(a, c, v);
		return 0;
	case K_FPR:
		v = NULL;
		if (*arg != '\0' && (v = parse_fingerprint(arg)) == NULL)
			return -1;
		set_str(a, c, v);
		return 0;
	case K_NOOP:
		return 0;
	}
	return -1;
}

/* line_error_for - "command C: <arg>: a line break ... not allowed". */
static char *line_error_for(const char *cmd, const char *arg)
{
	char *what = xasprintf("command %s:", cmd), *msg;

	msg = escape_line_error(what, arg);
	free(what);
	return msg;
}

int conf_set(struct account *a, const char *cmd, const char *arg,
    char **errstr)
{
	const struct cmd *c = find_cmd(cmd);
	char *shown;

	if (arg == NULL)
		arg = "";
	if (c == NULL) {
		*errstr = xasprintf("unknown command %s", cmd);
		return EX_CONFIG;
	}
	if ((c->flags & F_REQ) && *arg == '\0') {
		*errstr = xasprintf("command %s needs an argument", cmd);
		return EX_CONFIG;
	}
	if (c->kind == K_NOARG && *arg != '\0') {
		*errstr = xasprintf("command %s does not take an argument",
		    cmd);
		return EX_CONFIG;
	}
	if ((c->flags & F_LINE) && escape_breaks_line_str(arg)) {
		*errstr = line_error_for(cmd, arg);
		return EX_CONFIG;
	}
	if (apply(a, c, arg) != 0) {
		shown = escape_str(arg);
		*errstr = (c->flags & F_DUR) ? xasprintf("invalid duration "
		    "%s for command %s (" DURATION_EXAMPLES ")", shown, cmd) :
		    xasprintf("invalid argument %s for command %s", shown,
		    cmd);
		free(shown);
		return EX_CONFIG;
	}
	if (c->bit >= 0)
		a->mask |= ACC_MASK(c->bit);
	return EX_OK;
}

/*
 * The file reader.
 */

struct parser {
	const char	*file;
	unsigned long	 line;
	struct conf	 accs;		/* this file's accounts */
	struct account	*defaults;
	struct account	*cur;		/* where commands go; NULL: none yet */
	int		 in_defaults;
	int		 has_secret;	/* a literal "password" was seen */
};

/* is_blank - the blanks msmtp trims: space and tab. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* unquote - s without one pair of enclosing double quotes, in place. */
static char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

/* chomp - drop a trailing LF, then one CR. */
static void chomp(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
}

/* line_error - EX_CONFIG "<file>: line N: <message>". */
static int line_error(const struct parser *p, char **errstr,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int line_error(const struct parser *p, char **errstr,
    const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_printf(&b, "%s: line %lu: ", p->file, p->line);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*errstr = buf_steal(&b);
	return EX_CONFIG;
}

/*
 * new_account - an account holding the current defaults' values but not
 * their mask bits: as in msmtp, "account c : a, b" lays over c only what
 * a and b set themselves (or inherited), never what they got from
 * "defaults".
 */
static struct account *new_account(const struct parser *p, const char *id)
{
	struct account *a = account_copy(p->defaults, id);

	free(a->conffile);
	a->conffile = xstrdup(p->file);
	a->mask = 0;
	return a;
}

/* note_default_of - "account default : parent", parent its only one
 * (else NULL), makes "default" another name of parent. */
static void note_default_of(struct conf *c, const char *name,
    const char *parent)
{
	if (strcmp(name, "default") != 0)
		return;
	free(c->default_of);
	c->default_of = parent ? xstrdup(parent) : NULL;
}

/* take_default_of - from's idea of "default", if it defines one. */
static void take_default_of(struct conf *to, struct conf *from)
{
	if (conf_find(from, "default") == NULL)
		return;
	free(to->default_of);
	to->default_of = from->default_of;
	from->default_of = NULL;
}

/* start_account - "account NAME [: PARENT,...]". */
static int start_account(struct parser *p, char *arg, char **errstr)
{
	char *colon = strchr(arg, ':'), *name, *list, *item, *last = NULL;
	struct account *a, *parent;
	int nparents = 0;

	if (colon != NULL)
		*colon = '\0';
	name = unquote(trim(arg, TRIM_BLANKS));
	if (*name == '\0')
		return line_error(p, errstr, "missing account name");
	if (strpbrk(name, ":,") != NULL)
		return line_error(p, errstr, "an account name must not "
		    "contain colons or commas");
	if (conf_find(&p->accs, name) != NULL)
		return line_error(p, errstr,
		    "account %s was already defined", name);
	a = new_account(p, name);
	for (list = colon ? colon + 1 : NULL; list != NULL; list = item) {
		if ((item = strchr(list, ',')) != NULL)
			*item++ = '\0';
		list = unquote(trim(list, TRIM_BLANKS));
		if (*list == '\0') {
			account_free(a);
			return line_error(p, errstr, "missing account name");
		}
		if ((parent = conf_find(&p->accs, list)) == NULL) {
			account_free(a);
			return line_error(p, errstr,
			    "account %s not (yet) defined", list);
		}
		account_merge(a, parent);
		last = list;
		nparents++;
	}
	note_default_of(&p->accs, name, nparents == 1 ? last : NULL);
	acc_add(&p->accs, a);
	p->cur = a;
	p->in_defaults = 0;
	return EX_OK;
}

/* set_command - an ordinary command, for the current account. */
static int set_command(struct parser *p, const char *cmd, const char *arg,
    int from_eval, char **errstr)
{
	char *err = NULL;
	int rc;

	if (!p->in_defaults && p->cur == NULL) {
		/* msmtp 1.2 compat: commands before any "account" */
		p->cur = new_account(p, "default");
		acc_add(&p->accs, p->cur);
	}
	rc = conf_set(p->in_defaults ? p->defaults : p->cur, cmd, arg, &err);
	if (rc != EX_OK) {
		*errstr = xasprintf("%s: line %lu: %s", p->file, p->line, err);
		free(err);
		return rc;
	}
	if (!from_eval && strcmp(cmd, "password") == 0)
		p->has_secret = 1;
	return EX_OK;
}

/* high_fd - fd moved above stdin, stdout and stderr, close-on-exec. */
static int high_fd(int fd)
{
	int nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd;
}

/* eval_output - the first line of "/bin/sh -c cmd" (NULL if none). */
static char *eval_output(const char *cmd, int *err)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	char *line = NULL;
	size_t cap = 0;
	int fds[2];
	pid_t pid;
	FILE *fp;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		*err = errno;
		return NULL;
	}
	fds[0] = high_fd(fds[0]);
	fds[1] = high_fd(fds[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		*err = errno;
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	*err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (*err != 0) {
		close(fds[0]);
		return NULL;
	}
	fp = fdopen(fds[0], "r");
	if (fp == NULL || getline(&line, &cap, fp) < 0) {
		free(line);
		line = NULL;
	}
	if (fp != NULL)
		fclose(fp);
	else
		close(fds[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	return line;
}

static int parse_line(struct parser *p, char *line, int from_eval,
    char **errstr);

/* run_eval - "eval CMD": parse the first line CMD prints instead. */
static int run_eval(struct parser *p, const char *cmd, char **errstr)
{
	char *out;
	int err = 0, rc;

	if ((out = eval_output(cmd, &err)) == NULL) {
		if (err != 0)
			*errstr = xasprintf("%s: cannot evaluate '%s': %s",
			    p->file, cmd, strerror(err));
		else
			*errstr = xasprintf("%s: cannot read output of '%s'",
			    p->file, cmd);
		return EX_IOERR;
	}
	chomp(out);
	rc = parse_line(p, out, 1, errstr);
	wipe_free(out);		/* "eval" may well print a password line */
	return rc;
}

/* parse_line - one line, without its line end. */
static int parse_line(struct parser *p, char *line, int from_eval,
    char **errstr)
{
	char *cmd, *arg;

	cmd = trim(line, TRIM_BLANKS);
	if (*cmd == '\0' || *cmd == '#')
		return EX_OK;
	for (arg = cmd; *arg != '\0' && !is_blank(*arg); arg++)
		continue;
	if (*arg != '\0')
		*arg++ = '\0';
	arg = unquote(trim(arg, TRIM_BLANKS));
	if (strcmp(cmd, "eval") == 0 && !from_eval) {
		if (*arg == '\0')
			return line_error(p, errstr,
			    "command %s needs an argument", cmd);
		return run_eval(p, arg, errstr);
	}
	if (strcmp(cmd, "defaults") == 0) {
		if (*arg != '\0')
			return line_error(p, errstr,
			    "command %s does not take an argument", cmd);
		p->in_defaults = 1;
		p->cur = NULL;
		return EX_OK;
	}
	if (strcmp(cmd, "account") == 0)
		return start_account(p, arg, errstr);
	if (strcmp(cmd, "eval") == 0)
		return line_error(p, errstr, "unknown command %s", cmd);
	return set_command(p, cmd, arg, from_eval, errstr);
}

/* check_secret - msmtp's rule for a user file holding a password. */
static int check_secret(const char *file, FILE *fp, uid_t euid,
    char **errstr)
{
	struct stat st;

	if (fstat(fileno(fp), &st) != 0) {
		*errstr = xasprintf("%s: %s", file, strerror(errno));
		return EX_IOERR;
	}
	if (st.st_uid != euid) {
		*errstr = xasprintf("%s: contains secrets and therefore "
		    "must be owned by you", file);
		return EX_CONFIG;
	}
	if (st.st_mode & (S_IXUSR | S_IRWXG | S_IRWXO)) {
		*errstr = xasprintf("%s: contains secrets and therefore "
		    "must have no more than user read/write permissions", file);
		return EX_CONFIG;
	}
	return EX_OK;
}

/* parse_stream - every line of fp into p. */
static int parse_stream(struct parser *p, FILE *fp, char **errstr)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = EX_OK;

	while (rc == EX_OK && getline(&line, &cap, fp) >= 0) {
		p->line++;
		chomp(line);
		rc = parse_line(p, line, 0, errstr);
	}
	wipe(line, cap);	/* it held a "password" line, perhaps */
	free(line);
	if (rc == EX_OK && ferror(fp)) {
		*errstr = xasprintf("%s: input error", p->file);
		rc = EX_IOERR;
	}
	return rc;
}

/* check_backoff - an account whose longest wait is shorter than its
 * first is refused, with both values: which one is wrong is the user's
 * call. */
static int check_backoff(const char *file, const struct account *a,
    char **errstr)
{
	if (a->queue_backoff_max >= a->queue_backoff_min)
		return EX_OK;
	*errstr = xasprintf("%s: account %s: queue_backoff_max (%d seconds) "
	    "is less than queue_backoff_min (%d seconds)", file, a->id,
	    a->queue_backoff_max, a->queue_backoff_min);
	return EX_CONFIG;
}

/*
 * read_file - parse one file, appending its accounts to out. If it cannot
 * be opened, returns EX_IOERR with *open_errno set and *errstr untouched.
 */
static int read_file(const char *file, int check, uid_t euid,
    struct conf *out, int *open_errno, char **errstr)
{
	char iobuf[BUFSIZ];	/* ours, to be wiped: "password" lines */
	struct parser p;
	FILE *fp;
	int rc;
	size_t i;

	*open_errno = 0;
	if ((fp = fopen(file, "re")) == NULL) {
		*open_errno = errno;
		return EX_IOERR;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	memset(&p, 0, sizeof(p));
	conf_init(&p.accs);
	p.file = file;
	p.defaults = account_new(NULL);
	rc = parse_stream(&p, fp, errstr);
	for (i = 0; rc == EX_OK && i < p.accs.nacc; i++)
		rc = check_backoff(file, p.accs.acc[i], errstr);
	if (rc == EX_OK && check && p.has_secret && euid != 0)
		rc = check_secret(file, fp, euid, errstr);
	fclose(fp);
	wipe(iobuf, sizeof(iobuf));
	account_free(p.defaults);
	if (rc == EX_OK)
		take_default_of(out, &p.accs);
	free(p.accs.default_of);
	for (i = 0; i < p.accs.nacc; i++) {
		if (rc == EX_OK)
			acc_add(out, p.accs.acc[i]);
		else
			account_free(p.accs.acc[i]);
	}
	free(p.accs.acc);
	return rc;
}

/* load_user - read the user file and lay its accounts over c's. */
static int load_user(const char *file, int required, uid_t euid,
    struct conf *c, char **errstr)
{
	struct conf user;
	size_t i, n;
	int rc, err;

	conf_init(&user);
	c->userfile = xstrdup(file);
	rc = read_file(file, 1, euid, &user, &err, errstr);
	if (err != 0 && !required) {
		c->userfile_error = xstrdup(strerror(err));
		return EX_OK;
	}
	if (err != 0)
		*errstr = xasprintf("%s: %s", file, strerror(err));
	if (rc != EX_OK) {
		conf_free(&user);
		return rc;
	}
	c->userfile_loaded = 1;
	for (i = n = 0; i < c->nacc; i++) {
		if (conf_find(&user, c->acc[i]->id) != NULL)
			account_free(c->acc[i]);
		else
			c->acc[n++] = c->acc[i];
	}
	c->nacc = n;
	take_default_of(c, &user);
	free(user.default_of);
	for (i = 0; i < user.nacc; i++)
		acc_add(c, user.acc[i]);
	free(user.acc);
	return EX_OK;
}

int conf_load(const char *sysfile, const char *userfile,
    int userfile_required, uid_t euid, struct conf *out, char **errstr)
{
	int rc, err;

	conf_init(out);
	if (sysfile != NULL) {
		out->sysfile = xstrdup(sysfile);
		rc = read_file(sysfile, 0, 0, out, &err, errstr);
		if (err != 0)
			out->sysfile_error = xstrdup(strerror(err));
		else if (rc != EX_OK)
			return rc;
		else
			out->sysfile_loaded = 1;
	}
	if (userfile == NULL)
		return EX_OK;
	return load_user(userfile, userfile_required, euid, out, errstr);
}

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nacc; i++)
		account_free(c->acc[i]);
	free(c->acc);
	free(c->sysfile);
	free(c->sysfile_error);
	free(c->userfile);
	free(c->userfile_error);
	free(c->default_of);
	conf_init(c);
}

struct account *conf_find(const struct conf *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nacc; i++)
		if (c->acc[i]->id != NULL && strcmp(c->acc[i]->id, id) == 0)
			return c->acc[i];
	return NULL;
}

/* exists - whether path names something stat() can see. */
static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

void conf_default_files(char **sysfile, char **userfile)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *home = homedir(), *dot, *cand;

	*sysfile = xstrdup(SYSCONFDIR "/msmtprc");
	dot = xasprintf("%s/.msmtprc", home);
	if (xdg != NULL)
		cand = xasprintf("%s/msmtp/config", xdg);
	else
		cand = xasprintf("%s/.config/msmtp/config", home);
	free(home);
	if (!exists(dot) && exists(cand)) {
		free(dot);
		*userfile = cand;
		return;
	}
	free(cand);
	*userfile = dot;
}

/*
 * Account snapshots for the spool: every setting as one msmtprc line,
 * written from cmds[] so that reading it back goes through conf_set()
 * like any config file. Secrets are left out on purpose.
 */

/* word_for - the first non-empty word of c that stands for the value. */
static const char *word_for(const struct cmd *c, int ival, const char *sval)
{
	const struct word *w;

	for (w = c->words; w->word != NULL; w++) {
		if (w->word[0] == '\0')
			continue;
		if (c->kind == K_WORD && w->ival == ival)
			return w->word;
		if (c->kind == K_NAME && (sval == NULL ? w->sval == NULL :
		    w->sval != NULL && strcmp(w->sval, sval) == 0))
			return w->word;
	}
	return NULL;
}

/* dump_arg - the argument that gives c's field a's value, or NULL to
 * leave the line out (the built-in default already says it). */
static char *dump_arg(const struct account *a, const struct cmd *c)
{
	const char *base = (const char *)a, *s = NULL, *w;
	int i = 0;

	/* Each kind names a field of one type: read only that type, so a
	 * narrow int field is never loaded as a pointer. */
	if (c->kind == K_WORD || c->kind == K_INT)
		memcpy(&i, base + c->off, sizeof i);
	else if (c->kind != K_NOARG && c->kind != K_NOOP)
		memcpy(&s, base + c->off, sizeof s);
	switch (c->kind) {
	case K_STR:
	case K_FPR:
		return xstrdup(s ? s : "");
	case K_TEXT:
		return s ? xstrdup(s) : NULL;
	case K_WORD:
	case K_NAME:
		w = word_for(c, i, c->kind == K_NAME ? s : NULL);
		return w ? xstrdup(w) : NULL;
	case K_INT:
		if (i == 0 && c->min == 0)
			return xstrdup("0");
		if (i == 0)
			return (c->flags & F_OFF) ? xstrdup("off") : NULL;
		return xasprintf("%d", i);
	case K_DSN:
		return xstrdup(s ? s : "off");
	case K_NOARG:
	case K_NOOP:
		return NULL;
	}
	return NULL;
}

/* dump_lower - K_DSN values are stored upper-case, parsed lower-case. */
static void dump_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

void conf_dump(const struct account *a, struct buf *out)
{
	size_t i, j;
	char *arg;

	for (i = 0; i < NCMDS; i++) {
		const struct cmd *c = &cmds[i];
		int seen = 0;

		for (j = 0; j < i; j++)
			seen |= cmds[j].off == c->off && cmds[j].kind != K_NOOP;
		if (seen || c->bit == ACC_PASSWORD || c->kind == K_NOOP)
			continue;
		/* The password wins over it (msmtp's order): a snapshot
		 * with it would fetch a secret the account never used. */
		if (c->bit == ACC_PASSWORDEVAL && a->password != NULL)
			continue;
		if ((arg = dump_arg(a, c)) == NULL)
			continue;
		if (c->kind == K_DSN)
			dump_lower(arg);
		/* A line break cannot be written as one msmtprc line. */
		if (strchr(arg, '\n') == NULL && strchr(arg, '\r') == NULL)
			buf_printf(out, "%s \"%s\"\n", c->name, arg);
		free(arg);
	}
}

int conf_undump(const char *text, struct account *a, char **errstr)
{
	char *copy = xstrdup(text), *line, *next, *cmd, *arg;
	int rc = EX_OK;

	for (line = copy; rc == EX_OK && line != NULL && *line != '\0';
	    line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		cmd = trim(line, TRIM_BLANKS);
		for (arg = cmd; *arg != '\0' && !is_blank(*arg); arg++)
			continue;
		if (*arg != '\0')
			*arg++ = '\0';
		arg = unquote(trim(arg, TRIM_BLANKS));
		if (*cmd != '\0')
			rc = conf_set(a, cmd, arg, errstr);
	}
	free(copy);
	return rc;
}
