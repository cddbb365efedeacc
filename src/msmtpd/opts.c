/*
 * opts - msmtpd's command line; see opts.h.
 */
#include "msmtpd/opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "msmtpd/argv.h"
#include "util/selfexe.h"
#include "util/xalloc.h"

enum {
	OPT_VERSION = 256, OPT_HELP, OPT_INETD, OPT_INTERFACE, OPT_PORT,
	OPT_LOG, OPT_COMMAND, OPT_AUTH, OPT_MAX_SESSIONS, OPT_TIMEOUT,
	OPT_MAX_SIZE, OPT_ALLOW_OPEN_RELAY, OPT_ALLOW_CLEARTEXT_AUTH
};

static const struct option longopts[] = {
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "inetd", no_argument, NULL, OPT_INETD },
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "allow-open-relay", no_argument, NULL, OPT_ALLOW_OPEN_RELAY },
	{ "allow-cleartext-auth", no_argument, NULL,
	    OPT_ALLOW_CLEARTEXT_AUTH },
	{ NULL, 0, NULL, 0 }
};

const char *opts_usage(void)
{
	return
"Usage: msmtpd [option...]\n"
"Options:\n"
"  --version                    print version\n"
"  --help                       print help\n"
"  --inetd                      start single SMTP session on stdin/stdout\n"
"  --interface=ip               listen on ip instead of 127.0.0.1\n"
"  --port=number                listen on number instead of 25\n"
"  --log=none|syslog|filename   set logging (default none)\n"
"  --command=cmd                pipe mails to cmd instead of\n"
"                               'msmtp -f %F --' (the msmtp installed\n"
"                               beside msmtpd; run by /bin/sh: the first\n"
"                               %F is the envelope from, the recipients\n"
"                               are appended)\n"
"  --auth=user[,passwordeval]   require authentication with this user name;\n"
"                               the password is the first line passwordeval\n"
"                               prints, else the keyring's item for\n"
"                               (localhost, smtp, user), else it is asked\n"
"                               on the terminal\n"
"  --max-sessions=number        at most this many sessions (default 16)\n"
"  --timeout=seconds            close sessions whose client takes longer to\n"
"                               send a line (default 300, 0 = never)\n"
"  --max-size=bytes             largest mail accepted (default 67108864,\n"
"                               0 = no limit)\n"
"  --allow-open-relay           serve off loopback without --auth\n"
"  --allow-cleartext-auth       serve --auth off loopback (no TLS: the\n"
"                               password crosses the network in clear)\n";
}

/* number - a decimal argument within [min, max]. */
static int number(const char *name, const char *arg, unsigned long long min,
    unsigned long long max, unsigned long long *out, char **errstr)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    *out < min || *out > max) {
		*errstr = xasprintf("invalid argument '%s' for option '--%s'",
		    arg, name);
		return EX_USAGE;
	}
	return EX_OK;
}

static int set_interface(struct opts *o, const char *arg, char **errstr)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, arg, addr) != 1 &&
	    inet_pton(AF_INET6, arg, addr) != 1) {
		*errstr = xasprintf("invalid interface '%s': an IPv4 or IPv6 "
		    "address is needed", arg);
		return EX_USAGE;
	}
	free(o->interface);
	o->interface = xstrdup(arg);
	return EX_OK;
}

static int set_auth(struct opts *o, const char *arg, char **errstr)
{
	const char *comma = strchr(arg, ',');

	free(o->auth_user);
	free(o->auth_eval);
	o->auth_eval = NULL;
	if (comma == NULL) {
		o->auth_user = xstrdup(arg);
	} else {
		o->auth_user = xstrndup(arg, (size_t)(comma - arg));
		if (comma[1] != '\0')
			o->auth_eval = xstrdup(comma + 1);
	}
	if (o->auth_user[0] == '\0') {
		*errstr = xstrdup("invalid argument for option '--auth': the "
		    "user name is empty");
		return EX_USAGE;
	}
	return EX_OK;
}

/* one_option - apply option c with arg. */
static int one_option(struct opts *o, int c, const char *arg, char **errstr)
{
	unsigned long long v;
	int rc = EX_OK;

	switch (c) {
	case OPT_VERSION: o->version = 1; break;
	case OPT_HELP: o->help = 1; break;
	case OPT_INETD: o->inetd = 1; break;
	case OPT_ALLOW_OPEN_RELAY: o->allow_open_relay = 1; break;
	case OPT_ALLOW_CLEARTEXT_AUTH: o->allow_cleartext_auth = 1; break;
	case OPT_INTERFACE: return set_interface(o, arg, errstr);
	case OPT_PORT:
		if ((rc = number("port", arg, 1, 65535, &v, errstr)) == EX_OK)
			o->port = (int)v;
		break;
	case OPT_LOG:
		free(o->log);
		o->log = xstrdup(arg);
		break;
	case OPT_COMMAND:
		free(o->command);
		o->command = xstrdup(arg);
		o->command_default = 0;
		break;
	case OPT_AUTH: return set_auth(o, arg, errstr);
	case OPT_MAX_SESSIONS:
		if ((rc = number("max-sessions", arg, 1, 100000, &v,
		    errstr)) == EX_OK)
			o->max_sessions = (unsigned)v;
		break;
	case OPT_TIMEOUT:
		if ((rc = number("timeout", arg, 0, 86400, &v, errstr)) ==
		    EX_OK)
			o->timeout = (unsigned)v;
		break;
	case OPT_MAX_SIZE:
		rc = number("max-size", arg, 0, ~0ULL >> 1, &o->max_size,
		    errstr);
		break;
	default:
		*errstr = xstrdup("invalid option; try --help");
		return EX_USAGE;
	}
	return rc;
}

/* default_command - msmtp's msmtpd pipes to "msmtp -f %F --" from
 * $PATH; ours to the msmtp installed beside it (util/selfexe.h). */
static char *default_command(void)
{
	char *msmtp = selfexe_program("msmtp"), *word = argv_quote(msmtp);
	char *cmd = xasprintf("%s -f %%F --", word);

	free(msmtp);
	free(word);
	return cmd;
}

static void defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interface = xstrdup("127.0.0.1");
	o->port = 25;
	o->log = xstrdup("none");
	o->command = default_command();
	o->command_default = 1;
	o->max_sessions = 16;
	o->timeout = 300;
	o->max_size = OPTS_DEFAULT_SIZE;
}

int opts_parse(int argc, char **argv, struct opts *o, char **errstr)
{
	int c, idx, rc = EX_OK;

	defaults(o);
	optind = 1;
	opterr = 0;
	while (rc == EX_OK &&
	    (c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
		if (c == '?' || c == ':') {
			*errstr = xasprintf(c == ':' ? "option '%s' requires "
			    "an argument" : "invalid option '%s'; try --help",
			    argv[optind - 1]);
			return EX_USAGE;
		}
		if (optarg != NULL && optarg[0] == '\0') {
			*errstr = xasprintf("option '--%s' requires non-empty "
			    "argument", longopts[idx].name);
			return EX_USAGE;
		}
		rc = one_option(o, c, optarg, errstr);
	}
	if (rc != EX_OK)
		return rc;
	if (optind < argc) {
		*errstr = xasprintf("too many arguments: '%s'", argv[optind]);
		return EX_USAGE;
	}
	return argv_prepare(o->command, &o->pipecmd, errstr);
}

void opts_free(struct opts *o)
{
	free(o->interface);
	free(o->log);
	free(o->command);
	argv_release(&o->pipecmd);
	free(o->auth_user);
	free(o->auth_eval);
	memset(o, 0, sizeof(*o));
}
