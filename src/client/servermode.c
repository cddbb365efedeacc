/*
 * servermode - --serverinfo and --rmqs; see servermode.h.
 *
 * SECURITY: the password passwordeval gives is kept in the account only
 * for the engine and wiped when the run ends; -P shows it as "*".
 */
#include "client/servermode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/conf.h"
#include "account/conffiles.h"
#include "account/password.h"
#include "account/select.h"
#include "client/pretend.h"
#include "client/report.h"
#include "delivery/authwait.h"
#include "delivery/deliver.h"
#include "delivery/engine.h"
#include "util/xalloc.h"

/* Everything one run owns. */
struct srv {
	struct conf		 conf;
	struct account		*acc;
	struct pretend_info	 pi;
};

/* choose_account - as in sendmail mode, -f only for the selection. */
static int choose_account(const struct cmdline *cl, struct srv *sv,
    char **errstr)
{
	const char *from = cl->from;
	int rc;

	if (cl->host != NULL) {
		sv->acc = account_for_host(cl->host);
	} else {
		if (from != NULL && strcmp(from, "<>") == 0)
			from = "";
		rc = select_account(&sv->conf, cl->account_id, from, &sv->acc,
		    &sv->pi.rule, errstr);
		sv->pi.have_rule = 1;
		sv->pi.rule_from = from;
		if (rc != EX_OK) {
			sv->pi.rule = SELECT_DEFAULT;
			sv->pi.have_rule = cl->account_id == NULL;
			return rc;
		}
		sv->pi.rule_id = sv->acc->id;
	}
	account_merge(sv->acc, cl->acc);
	return EX_OK;
}

/* settle_account - patterns, defaults, msmtp's checks, passwordeval
 * (for --rmqs, unless it must wait for the method's clear text check:
 * the engine runs it then; see deliver.h). */
static int settle_account(struct srv *sv, int rmqs, char **errstr)
{
	struct account *a = sv->acc;
	char *pw = NULL;
	int rc;

	rc = account_expand(a, NULL, errstr);
	if (rc != EX_OK)
		return rc;
	account_fill_defaults(a);
	rc = account_check(a, 0, errstr);
	if (rc != EX_OK)
		return rc;
	if (a->auth_mech == NULL || a->password != NULL ||
	    a->passwordeval == NULL || (rmqs && password_must_wait(a)))
		return EX_OK;
	rc = password_eval(a->passwordeval, &pw, errstr);
	if (rc != EX_OK)
		return rc;
	a->password = pw;
	return EX_OK;
}

/* told_server - the mode's words to stdout, or msmtp's to stderr. */
static void told_server(void *arg, int rc, const struct deliver_report *rep)
{
	const struct srv *sv = arg;

	if (rc == EX_OK) {
		if (rep->output != NULL)
			fputs(rep->output, stdout);
		return;
	}
	fprintf(stderr, "msmtp: %s\n", rep->errmsg ? rep->errmsg :
	    "unknown error");
	if (rep->outcome.terr == TERR_NONE && rep->reply_text != NULL)
		report_reply("server message", rep->reply_text);
	report_delivery_advice(sv->acc, rep);
}

/* talk - the engine does the mode. */
static int talk(const struct cmdline *cl, struct srv *sv, char **errstr)
{
	struct deliver_job job;

	memset(&job, 0, sizeof(job));
	job.acc = sv->acc;
	job.debug = cl->debug;
	job.kind = cl->mode == MODE_RMQS ? DELIVER_KIND_RMQS :
	    DELIVER_KIND_SERVERINFO;
	job.rmqs = cl->rmqs;
	return engine_run(&job, told_server, sv, errstr);
}

/* show_pretend - -P and -d print the configuration as far as it got. */
static void show_pretend(const struct cmdline *cl, struct srv *sv,
    int settled)
{
	if (!cl->pretend && !cl->debug)
		return;
	sv->pi.sendmail_mode = 0;
	sv->pi.cmdline_host = cl->host != NULL;
	sv->pi.conf = cl->host == NULL ? &sv->conf : NULL;
	sv->pi.acc = settled ? sv->acc : NULL;
	sv->pi.rmqs = cl->mode == MODE_RMQS ? cl->rmqs : NULL;
	pretend_print(stdout, &sv->pi);
	fflush(stdout);
}

/* resolve - the configuration, the account chosen and settled; the
 * first failure ends it. */
static int resolve(const struct cmdline *cl, struct srv *sv, char **errstr)
{
	int rc;

	rc = conf_load_default(cl->conffile, cl->host, &sv->conf, errstr);
	if (rc != EX_OK)
		return rc;
	rc = choose_account(cl, sv, errstr);
	if (rc != EX_OK)
		return rc;
	return settle_account(sv, cl->mode == MODE_RMQS && !cl->pretend,
	    errstr);
}

/* srv_free - the account's password wiped, then everything freed. */
static void srv_free(struct srv *sv)
{
	if (sv->acc != NULL) {
		password_free(sv->acc->password);
		sv->acc->password = NULL;
	}
	account_free(sv->acc);
	conf_free(&sv->conf);
}

int servermode_run(struct cmdline *cl, char **errstr)
{
	struct srv sv;
	int rc;

	if (cl->rcpts.n > 0) {
		*errstr = xstrdup("too many arguments");
		return EX_USAGE;
	}
	memset(&sv, 0, sizeof(sv));
	conf_init(&sv.conf);
	rc = resolve(cl, &sv, errstr);
	show_pretend(cl, &sv, rc == EX_OK);
	if (rc == EX_OK && !cl->pretend)
		rc = talk(cl, &sv, errstr);
	srv_free(&sv);
	return rc;
}
