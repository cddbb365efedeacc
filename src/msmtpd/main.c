/*
 * msmtpd - a minimal SMTP server in front of the spool: it accepts mail
 * on a local port (or on stdin/stdout with --inetd) and pipes each mail
 * to a command, by default this project's msmtp, so that mail from
 * SMTP-only clients lands in the same durable queue.
 *
 * main() parses the options (opts.c), checks where it is to serve
 * (exposure.c) and that its command can run (cmdcheck.c), opens the log
 * (log.c), gets the AUTH password once
 * (secret.c) and runs the server (server.c).
 *
 * Exit: 0; EX_USAGE for bad options, EX_CONFIG when the password cannot
 * be had, when msmtpd would serve off loopback as an open relay or
 * with a cleartext password (exposure.h), or when its command's program
 * cannot be executed (cmdcheck.h), EX_UNAVAILABLE when it cannot
 * listen; with --inetd, 0 when the client ended with QUIT, else
 * EX_PROTOCOL. (msmtp's msmtpd uses 3 and 1.)
 *
 * Privileges: msmtpd needs none and drops none. Run it as the user whose
 * msmtp configuration and spool the mail should go to (for port 25, e.g.
 * systemd's User= or DynamicUser= with AmbientCapabilities=
 * CAP_NET_BIND_SERVICE); the pipe command runs as that user. As root, it
 * says so in the log.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "msmtpd/cmdcheck.h"
#include "msmtpd/exposure.h"
#include "msmtpd/log.h"
#include "msmtpd/opts.h"
#include "msmtpd/secret.h"
#include "msmtpd/server.h"
#include "util/harden.h"

/* host_name - this machine's name for the greeting and Received:, if it
 * is a plain domain name; else "localhost". */
static void host_name(char *out, size_t outmax)
{
	size_t i;

	if (gethostname(out, outmax) != 0 || out[0] == '\0')
		goto fallback;
	out[outmax - 1] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= 'A' && out[i] <= 'Z') ||
		    (out[i] >= '0' && out[i] <= '9') || out[i] == '-' ||
		    out[i] == '.'))
			goto fallback;
	return;
fallback:
	snprintf(out, outmax, "localhost");
}

static int run(const struct opts *o, struct log *log)
{
	struct server_conf conf;
	char host[256], *pw = NULL, *errstr = NULL;
	int rc;

	if (o->auth_user != NULL &&
	    (rc = secret_get(o->auth_user, o->auth_eval, &pw, &errstr)) !=
	    EX_OK) {
		fprintf(stderr, "msmtpd: %s\n", errstr);
		free(errstr);
		return rc;
	}
	host_name(host, sizeof(host));
	memset(&conf, 0, sizeof(conf));
	conf.inetd = o->inetd;
	conf.interface = o->interface;
	conf.port = o->port;
	conf.max_sessions = o->max_sessions;
	conf.timeout = o->timeout;
	conf.pipecmd = &o->pipecmd;
	conf.session.hostname = host;
	conf.session.auth_user = o->auth_user;
	conf.session.auth_pass = pw;
	conf.session.max_size = o->max_size;
	conf.session.max_rcpts = 1000;
	conf.session.max_errors = 20;
	if (geteuid() == 0)
		log_msg(log, 1, "running as root: the pipe command runs as "
		    "root too; an unprivileged user is enough");
	rc = server_run(&conf, log, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "msmtpd: %s\n", errstr);
		log_msg(log, 1, "%s", errstr);
		free(errstr);
	}
	secret_free(pw);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct log log;
	char *errstr = NULL, *warning;
	int rc;

	harden_process();
	signal(SIGPIPE, SIG_IGN);
	rc = opts_parse(argc, argv, &o, &errstr);
	if (rc != EX_OK) {
		fprintf(stderr, "msmtpd: %s\n", errstr);
		free(errstr);
		opts_free(&o);
		return rc;
	}
	if (o.version || o.help) {
		if (o.version)
			printf("msmtpd version %s\n", VERSION);
		else
			fputs(opts_usage(), stdout);
		opts_free(&o);
		return EX_OK;
	}
	if ((rc = exposure_check(&o, &errstr)) != EX_OK ||
	    (rc = cmdcheck(o.command, o.command_default, &errstr)) != EX_OK) {
		fprintf(stderr, "msmtpd: %s\n", errstr);
		free(errstr);
		opts_free(&o);
		return rc;
	}
	log_open(&log, o.log, &warning);
	if (warning != NULL) {
		fprintf(stderr, "msmtpd: %s\n", warning);
		free(warning);
	}
	rc = run(&o, &log);
	log_close(&log);
	opts_free(&o);
	return rc;
}
