/*
 * cmdline - msmtp's command line; see cmdline.h.
 */
#include "client/cmdline.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "account/conf.h"
#include "util/escape.h"
#include "util/xalloc.h"

/* Codes for long options without a short form. */
enum {
	O_VERSION = 256, O_HELP, O_CONFIGURE, O_RMQS, O_HOST, O_OAUTH2_AUTHORIZE,
	O_READ_ENVELOPE_FROM, O_IMPORT_FD, O_IMPORT_QUEUE_FILE, O_CONF	/* O_CONF + n: options[n] */
};

/*
 * Options that simply set an msmtprc command. An option with an optional
 * argument given without one is "on" for on/off commands, as in msmtprc.
 */
static const struct conf_option {
	const char	*name;
	int		 has_arg;
	const char	*command;
} conf_options[] = {
	{ "port", required_argument, "port" },
	{ "source-ip", required_argument, "source_ip" },
	{ "proxy-host", required_argument, "proxy_host" },
	{ "proxy-port", required_argument, "proxy_port" },
	{ "socket", required_argument, "socket" },
	{ "timeout", required_argument, "timeout" },
	{ "connect-timeout", required_argument, "connect_timeout" },
	{ "protocol", required_argument, "protocol" },
	{ "domain", required_argument, "domain" },
	{ "auth", optional_argument, "auth" },
	{ "user", required_argument, "user" },
	{ "passwordeval", required_argument, "passwordeval" },
	{ "tls", optional_argument, "tls" },
	{ "tls-starttls", optional_argument, "tls_starttls" },
	{ "tls-trust-file", required_argument, "tls_trust_file" },
	{ "tls-crl-file", required_argument, "tls_crl_file" },
	{ "tls-fingerprint", required_argument, "tls_fingerprint" },
	{ "tls-key-file", required_argument, "tls_key_file" },
	{ "tls-cert-file", required_argument, "tls_cert_file" },
	{ "tls-certcheck", optional_argument, "tls_certcheck" },
	{ "tls-priorities", required_argument, "tls_priorities" },
	{ "tls-host-override", required_argument, "tls_host_override" },
	{ "tls-min-dh-prime-bits", required_argument, "tls_min_dh_prime_bits" },
	{ "tls-force-sslv3", optional_argument, "tls_force_sslv3" },
	{ "auto-from", optional_argument, "auto_from" },
	{ "maildomain", required_argument, "maildomain" },
	{ "dsn-notify", required_argument, "dsn_notify" },
	{ "dsn-return", required_argument, "dsn_return" },
	{ "logfile", required_argument, "logfile" },
	{ "logfile-time-format", required_argument, "logfile_time_format" },
	{ "syslog", optional_argument, "syslog" },
	{ "aliases", required_argument, "aliases" },
	{ "set-from-header", optional_argument, "set_from_header" },
	{ "set-date-header", optional_argument, "set_date_header" },
	{ "set-msgid-header", optional_argument, "set_msgid_header" },
	{ "set-to-header", optional_argument, "set_to_header" },
	{ "remove-bcc-headers", optional_argument, "remove_bcc_headers" },
	{ "undisclosed-recipients", optional_argument, "undisclosed_recipients" },
	{ "add-missing-from-header", optional_argument, "add_missing_from_header" },
	{ "add-missing-date-header", optional_argument, "add_missing_date_header" },
	{ "keepbcc", optional_argument, "keepbcc" },
	{ "queue", optional_argument, "queue" },
	{ "queue-file", required_argument, "queue_file" },
	{ "delivery-mode", required_argument, "delivery_mode" },
};
#define N_CONF_OPTIONS (sizeof(conf_options) / sizeof(conf_options[0]))

/* Short options that are also msmtprc commands. */
static const struct {
	int		 shortopt;
	const char	*longname;
	const char	*command;
} short_conf[] = {
	{ 'N', "dsn-notify", "dsn_notify" },
	{ 'R', "dsn-return", "dsn_return" },
	{ 'X', "logfile", "logfile" },
	{ 'F', "F", "from_full_name" },
};

/* msmtp's getopt string: the sendmail options it accepts are here too,
 * and sendmail's -q, which msmtp lacks and the queue gives meaning. */
static const char short_options[] =
    "Pd::SC:a:f:N:R:X:tA:B:b:F:Gh:iL:mnO:o:vq::";

static const struct option fixed_options[] = {
	{ "version", no_argument, NULL, O_VERSION },
	{ "help", no_argument, NULL, O_HELP },
	{ "pretend", no_argument, NULL, 'P' },
	{ "debug", optional_argument, NULL, 'd' },
	{ "configure", required_argument, NULL, O_CONFIGURE },
	{ "serverinfo", no_argument, NULL, 'S' },
	{ "rmqs", required_argument, NULL, O_RMQS },
	{ "oauth2-authorize", optional_argument, NULL, O_OAUTH2_AUTHORIZE },
	{ "import-id-fd", required_argument, NULL, O_IMPORT_FD },
	{ "import-queue-file", required_argument, NULL, O_IMPORT_QUEUE_FILE },
	{ "file", required_argument, NULL, 'C' },
	{ "account", required_argument, NULL, 'a' },
	{ "host", required_argument, NULL, O_HOST },
	{ "from", required_argument, NULL, 'f' },
	{ "read-recipients", no_argument, NULL, 't' },
	{ "read-envelope-from", no_argument, NULL, O_READ_ENVELOPE_FROM },
};
#define N_FIXED (sizeof(fixed_options) / sizeof(fixed_options[0]))

void cmdline_init(struct cmdline *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->mode = MODE_SENDMAIL;
	cl->import_fd = -1;
	cl->acc = account_new(NULL);
	strlist_init(&cl->rcpts);
}

void cmdline_free(struct cmdline *cl)
{
	free(cl->conffile);
	free(cl->account_id);
	free(cl->host);
	free(cl->from);
	free(cl->rmqs);
	free(cl->configure);
	free(cl->import_queue_file);
	account_free(cl->acc);
	strlist_free(&cl->rcpts);
	memset(cl, 0, sizeof(*cl));
}

/* build_long_options - the fixed options plus one per msmtprc option. */
static struct option *build_long_options(void)
{
	struct option *o = xcalloc(N_FIXED + N_CONF_OPTIONS + 1, sizeof(*o));
	size_t i;

	memcpy(o, fixed_options, sizeof(fixed_options));
	for (i = 0; i < N_CONF_OPTIONS; i++) {
		o[N_FIXED + i].name = conf_options[i].name;
		o[N_FIXED + i].has_arg = conf_options[i].has_arg;
		o[N_FIXED + i].val = O_CONF + (int)i;
	}
	return o;
}

/* bad_argument - msmtp's message for an option's invalid argument, the
 * argument escaped; a line break (which no value may hold) is named. */
static char *bad_argument(const char *optname, const char *value)
{
	char *what, *msg;

	if (escape_breaks_line_str(value)) {
		what = xasprintf("--%s:", optname);
		msg = escape_line_error(what, value);
		free(what);
		return msg;
	}
	what = escape_str(value);
	msg = xasprintf("invalid argument %s for --%s", what, optname);
	free(what);
	return msg;
}

/* apply_conf - set an msmtprc command from an option, msmtp's message. */
static int apply_conf(struct cmdline *cl, const char *optname,
    const char *command, const char *arg, char **errstr)
{
	const char *value = arg ? arg : "";
	char *err = NULL;

	/* sendmail's -R spelling, which msmtp accepts only here. */
	if (strcmp(command, "dsn_return") == 0 && strcmp(value, "hdrs") == 0)
		value = "headers";
	if (conf_set(cl->acc, command, value, &err) == EX_OK) {
		/* msmtp: an empty --maildomain= unsets it (msmtprc's
		 * 'maildomain ""' keeps the empty string). */
		if (strcmp(command, "maildomain") == 0 && *value == '\0') {
			free(cl->acc->maildomain);
			cl->acc->maildomain = NULL;
		}
		return EX_OK;
	}
	free(err);
	*errstr = bad_argument(optname, value);
	return EX_USAGE;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* short_conf_option - handle -N -R -X -F; 0 if c is none of them. */
static int short_conf_option(struct cmdline *cl, int c, int *rc,
    char **errstr)
{
	size_t i;

	for (i = 0; i < sizeof(short_conf) / sizeof(short_conf[0]); i++) {
		if (short_conf[i].shortopt == c) {
			*rc = apply_conf(cl, short_conf[i].longname,
			    short_conf[i].command, optarg, errstr);
			return 1;
		}
	}
	return 0;
}

/* set_mode - --configure wins over the other modes, as in msmtp. */
static void set_mode(struct cmdline *cl, enum cl_mode mode)
{
	if (cl->mode != MODE_CONFIGURE || mode == MODE_CONFIGURE)
		cl->mode = mode;
}

/* mode_option - the options that pick what msmtp does. */
static int mode_option(struct cmdline *cl, int c)
{
	switch (c) {
	case O_VERSION:
		cl->version = 1;
		return 1;
	case O_HELP:
		cl->help = 1;
		return 1;
	case 'P':
		cl->pretend = 1;
		return 1;
	case 'd':
	case 'v':
		cl->debug = 1;
		return 1;
	case 'S':
		set_mode(cl, MODE_SERVERINFO);
		return 1;
	case O_RMQS:
		set_mode(cl, MODE_RMQS);
		replace(&cl->rmqs, optarg);
		return 1;
	case O_OAUTH2_AUTHORIZE:
		set_mode(cl, MODE_OAUTH2_AUTHORIZE);
		if (optarg != NULL)
			replace(&cl->account_id, optarg);
		return 1;
	case O_CONFIGURE:
		set_mode(cl, MODE_CONFIGURE);
		replace(&cl->configure, optarg);
		return 1;
	case 'q':
		set_mode(cl, MODE_QUEUE_FLUSH);
		return 1;
	case 'b':
		if (strcmp(optarg, "p") != 0)
			return 0;
		set_mode(cl, MODE_QUEUE_LIST);
		return 1;
	}
	return 0;
}

/* sendmail_option - the sendmail-mode and selection options. */
static int sendmail_option(struct cmdline *cl, int c)
{
	switch (c) {
	case 'C':
		replace(&cl->conffile, optarg);
		return 1;
	case 'a':
		replace(&cl->account_id, optarg);
		return 1;
	case O_HOST:
		replace(&cl->host, optarg);
		return 1;
	case 'f':
		replace(&cl->from, optarg);
		return 1;
	case 't':
		cl->read_recipients = 1;
		return 1;
	case O_READ_ENVELOPE_FROM:
		cl->read_envelope_from = 1;
		return 1;
	}
	return 0;
}

/* delivery_option - sendmail's -odi, -odb and -odq (-o d<mode>). */
static int delivery_option(struct cmdline *cl, int c, int *rc, char **errstr)
{
	static const struct { const char *arg, *mode; } modes[] = {
		{ "di", "interactive" }, { "db", "background" },
		{ "dq", "queue" },
	};
	size_t i;

	if (c != 'o')
		return 0;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(optarg, modes[i].arg) == 0)
			*rc = apply_conf(cl, "od", "delivery_mode",
			    modes[i].mode, errstr);
	return 1;
}

/* import_option - msmtp-queue --import-msmtpq's two options (cmdline.h). */
static int import_option(struct cmdline *cl, int c, int *rc, char **errstr)
{
	char *end;
	long fd;

	if (c == O_IMPORT_QUEUE_FILE) {
		replace(&cl->import_queue_file, optarg);
		return 1;
	}
	if (c != O_IMPORT_FD)
		return 0;
	fd = strtol(optarg, &end, 10);
	if (*optarg == '\0' || *end != '\0' || fd < 3 || fd > 1024) {
		*errstr = xasprintf("invalid --import-id-fd %s", optarg);
		*rc = EX_USAGE;
		return 1;
	}
	cl->import_fd = (int)fd;
	return 1;
}

/* ignored_option - sendmail options msmtp accepts and ignores. */
static int ignored_option(int c, int *rc, char **errstr)
{
	switch (c) {
	case 'b':
		if (strcmp(optarg, "m") != 0 && strcmp(optarg, "p") != 0) {
			*errstr = xasprintf("unsupported operation mode b%s",
			    optarg);
			*rc = EX_USAGE;
		}
		return 1;
	case 'A': case 'B': case 'G': case 'h': case 'i': case 'L':
	case 'm': case 'n': case 'O': case 'o':
		return 1;
	}
	return 0;
}

/* handle_option - one option from getopt_long. */
static int handle_option(struct cmdline *cl, int c, char **errstr)
{
	int rc = EX_OK;

	if (c >= O_CONF && c < O_CONF + (int)N_CONF_OPTIONS)
		return apply_conf(cl, conf_options[c - O_CONF].name,
		    conf_options[c - O_CONF].command, optarg, errstr);
	if (mode_option(cl, c) || sendmail_option(cl, c) ||
	    short_conf_option(cl, c, &rc, errstr) ||
	    delivery_option(cl, c, &rc, errstr) ||
	    import_option(cl, c, &rc, errstr) ||
	    ignored_option(c, &rc, errstr))
		return rc;
	/* '?': getopt printed "invalid option" or "requires an argument". */
	*errstr = NULL;
	return EX_USAGE;
}

/*
 * check_one_line - the arguments that end up on an SMTP command line
 * (MAIL FROM, RCPT TO, ETRN) hold no CR or LF, which would start another
 * command there. (msmtp sends them; DELIBERATE DIFFERENCE.) The msmtprc
 * commands given as options are checked by conf_set().
 */
static int check_one_line(const struct cmdline *cl, char **errstr)
{
	size_t i;

	if (escape_breaks_line_str(cl->from)) {
		*errstr = escape_line_error("--from:", cl->from);
		return EX_USAGE;
	}
	if (escape_breaks_line_str(cl->rmqs)) {
		*errstr = escape_line_error("--rmqs:", cl->rmqs);
		return EX_USAGE;
	}
	for (i = 0; i < cl->rcpts.n; i++) {
		if (escape_breaks_line_str(cl->rcpts.v[i])) {
			*errstr = escape_line_error("recipient",
			    cl->rcpts.v[i]);
			return EX_USAGE;
		}
	}
	return EX_OK;
}

/* check_combinations - the option conflicts msmtp refuses. */
static int check_combinations(const struct cmdline *cl, char **errstr)
{
	if (cl->host != NULL && cl->account_id != NULL) {
		*errstr = xstrdup("cannot use both --host and --account");
		return EX_USAGE;
	}
	if (cl->from != NULL && cl->read_envelope_from) {
		*errstr = xstrdup("cannot use both --from and "
		    "--read-envelope-from");
		return EX_USAGE;
	}
	return EX_OK;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int cmdline_parse(struct cmdline *cl, int argc, char **argv, char **errstr)
{
	struct option *longopts = build_long_options();
	int c, rc = EX_OK, serverinfo = 0, rmqs = 0;

	*errstr = NULL;
	optind = 0;	/* glibc starts afresh: a process may parse several
			   command lines (msmtp-queue --import-msmtpq) */
	/* sendmail's convention: invoked as mailq, list the queue. */
	if (argc > 0 && strcmp(basename_of(argv[0]), "mailq") == 0)
		cl->mode = MODE_QUEUE_LIST;
	while (rc == EX_OK &&
	    (c = getopt_long(argc, argv, short_options, longopts, NULL)) != -1) {
		rc = handle_option(cl, c, errstr);
		serverinfo |= c == 'S';
		rmqs |= c == O_RMQS;
	}
	free(longopts);
	if (rc != EX_OK)
		return rc;
	if (serverinfo && rmqs) {
		*errstr = xstrdup("cannot use both --serverinfo and --rmqs");
		return EX_USAGE;
	}
	for (; optind < argc; optind++)
		strlist_add(&cl->rcpts, argv[optind]);
	rc = check_combinations(cl, errstr);
	return rc == EX_OK ? check_one_line(cl, errstr) : rc;
}
