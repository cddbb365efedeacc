/*
 * sendmail - msmtp's sendmail mode; see sendmail.h.
 */
#include "client/sendmail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/conf.h"
#include "account/conffiles.h"
#include "account/password.h"
#include "account/select.h"
#include "client/aliases.h"
#include "client/pretend.h"
#include "client/report.h"
#include "client/submit.h"
#include "delivery/advice.h"
#include "delivery/deliver.h"
#include "delivery/engine.h"
#include "delivery/logline.h"
#include "mail/headers.h"
#include "queue/spool.h"
#include "queue/spoolpath.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

/* Everything one run owns, released by mail_free(). */
struct mail {
	struct conf		 conf;
	struct account		*acc;
	struct mail_headers	 h;
	struct strlist		 rcpts;
	struct buf		 header_out;
	char			*envelope_from;	/* what -f/--read-envelope-from
						   chose, for selection */
	char			*msgid;		/* the Message-ID we add */
	struct pretend_info	 pi;		/* what -P prints */
	char			*spool;		/* -P/-d: the spool's name */
	char			*spool_error;	/*  or why there is none */
	FILE			*in;		/* the mail: stdin, or an
						   imported file */
};

static void mail_init(struct mail *m)
{
	memset(m, 0, sizeof(*m));
	conf_init(&m->conf);
	headers_init(&m->h);
	strlist_init(&m->rcpts);
	buf_init(&m->header_out);
}

static void mail_free(struct mail *m)
{
	conf_free(&m->conf);
	account_free(m->acc);
	headers_free(&m->h);
	strlist_free(&m->rcpts);
	buf_free(&m->header_out);
	free(m->envelope_from);
	free(m->msgid);
	free(m->spool);
	free(m->spool_error);
}

/* envelope_for_selection - the address -f or the From header gives. */
static void envelope_for_selection(const struct cmdline *cl, struct mail *m)
{
	if (cl->from != NULL)
		m->envelope_from = xstrdup(strcmp(cl->from, "<>") == 0 ? "" :
		    cl->from);
	else if (cl->read_envelope_from && m->h.envelope_from != NULL)
		m->envelope_from = xstrdup(m->h.envelope_from);
}

/* explain_no_account - when no account was named and none matched the
 * envelope-from, the from lines that exist follow msmtp's message. */
static void explain_no_account(const struct cmdline *cl,
    const struct mail *m, char **errstr)
{
	struct strlist hints;

	if (cl->account_id != NULL || *errstr == NULL)
		return;
	strlist_init(&hints);
	if (advice_for_from(&m->conf, m->envelope_from, &hints) > 0)
		*errstr = report_with_advice(*errstr, &hints);
	strlist_free(&hints);
}

/* choose_account - msmtp's selection, then the command line on top. */
static int choose_account(const struct cmdline *cl, struct mail *m,
    char **errstr)
{
	enum select_rule rule;
	int rc;

	if (cl->host != NULL) {
		m->acc = account_for_host(cl->host);
	} else {
		rc = select_account(&m->conf, cl->account_id,
		    m->envelope_from, &m->acc, &rule, errstr);
		/* msmtp has said "falling back..." before it fails. */
		m->pi.have_rule = rc == EX_OK || cl->account_id == NULL;
		m->pi.rule = rc == EX_OK ? rule : SELECT_DEFAULT;
		m->pi.rule_from = m->envelope_from;
		if (rc != EX_OK) {
			explain_no_account(cl, m, errstr);
			return rc;
		}
		m->pi.rule_id = m->acc->id;
	}
	account_merge(m->acc, cl->acc);
	/* The mail's From replaces the account's from, even when it has
	 * none; -f does unless allow_from_override is off. */
	if (cl->read_envelope_from || (m->envelope_from != NULL &&
	    (m->acc->allow_from_override || m->acc->from == NULL))) {
		free(m->acc->from);
		m->acc->from = m->envelope_from ? xstrdup(m->envelope_from) :
		    NULL;
		m->acc->mask |= ACC_MASK(ACC_FROM);
	}
	return EX_OK;
}

/* pretend_passwordeval - -P runs passwordeval as msmtp does (when auth
 * is on and no password is set) to report its failure; the password
 * itself is wiped at once, -P shows only that there is one. */
static int pretend_passwordeval(struct mail *m, char **errstr)
{
	char *pw = NULL;
	int rc;

	if (m->acc->auth_mech == NULL || m->acc->password != NULL ||
	    m->acc->passwordeval == NULL)
		return EX_OK;
	rc = password_eval(m->acc->passwordeval, &pw, errstr);
	if (rc == EX_OK)
		m->pi.password_known = 1;
	password_free(pw);
	return rc;
}

/* settle_account - expand %-patterns, derive defaults, check (-P
 * needs no envelope-from). */
static int settle_account(const struct cmdline *cl, struct mail *m,
    char **errstr)
{
	struct expand_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.from_header = m->h.from_addr;
	rc = account_expand(m->acc, &ctx, errstr);
	if (rc != EX_OK)
		return rc;
	account_fill_defaults(m->acc);
	rc = account_check(m->acc, !cl->pretend, errstr);
	if (rc == EX_OK && cl->pretend)
		rc = pretend_passwordeval(m, errstr);
	return rc;
}

/* collect_recipients - command line first, then the mail's (-t). */
static int collect_recipients(const struct cmdline *cl, struct mail *m,
    char **errstr)
{
	size_t i;

	headers_cmdline_rcpts(cl->rcpts.v, cl->rcpts.n, &m->rcpts);
	if (cl->read_recipients)
		for (i = 0; i < m->h.rcpts.n; i++)
			strlist_add(&m->rcpts, m->h.rcpts.v[i]);
	if (m->rcpts.n == 0 && !cl->pretend) {
		*errstr = xstrdup("no recipients found");
		return EX_USAGE;
	}
	return EX_OK;
}

/* without_recipients - whether resolve() failed for want of recipients:
 * msmtp finds that before it prints anything, so -d prints nothing. */
static int without_recipients(const struct cmdline *cl,
    const struct mail *m)
{
	return !cl->pretend && m->pi.acc != NULL && m->rcpts.n == 0;
}

/*
 * expand_aliases - local recipients through the aliases file, in the
 * envelope only. Unlike msmtp, every recipient is looked at: msmtp skips
 * the one after an expanded alias, sending it unexpanded.
 */
static int expand_aliases(struct mail *m, char **errstr)
{
	struct strlist out;
	int rc;

	if (m->acc->aliases == NULL)
		return EX_OK;
	strlist_init(&out);
	rc = aliases_expand(m->acc->aliases, &m->rcpts, ALIASES_EXPAND_ALL,
	    &out, errstr);
	if (rc == EX_OK) {
		strlist_free(&m->rcpts);
		m->rcpts = out;
	} else {
		strlist_free(&out);
	}
	return rc;
}

/*
 * check_envelope - the last look before the mail is spooled or sent:
 * what goes on an SMTP command line (the envelope-from, the recipients,
 * the EHLO name, the ETRN argument) holds no CR or LF, whatever gave it
 * (aliases, %-patterns). The options and msmtprc were checked where they
 * were read, with their own exit codes; what is left is the mail's.
 */
static int check_envelope(const struct mail *m, char **errstr)
{
	size_t i;

	if (escape_breaks_line_str(m->acc->from)) {
		*errstr = escape_line_error("envelope-from address",
		    m->acc->from);
		return EX_DATAERR;
	}
	for (i = 0; i < m->rcpts.n; i++) {
		if (escape_breaks_line_str(m->rcpts.v[i])) {
			*errstr = escape_line_error("recipient",
			    m->rcpts.v[i]);
			return EX_DATAERR;
		}
	}
	if (escape_breaks_line_str(m->acc->domain) ||
	    escape_breaks_line_str(m->acc->rmqs)) {
		*errstr = escape_line_error("domain or rmqs",
		    escape_breaks_line_str(m->acc->domain) ? m->acc->domain :
		    m->acc->rmqs);
		return EX_DATAERR;
	}
	return EX_OK;
}

/* needs_mail - whether the mail must be read before anything is sent:
 * always, except for -P without -t or --read-envelope-from. */
static int needs_mail(const struct cmdline *cl)
{
	return !cl->pretend || cl->read_recipients || cl->read_envelope_from;
}

/* from_rule, to_rule - the account's settings as the header rules. */
static enum header_from_rule from_rule(int set_from_header)
{
	switch (set_from_header) {
	case SET_FROM_ON:
		return HEADER_FROM_ON;
	case SET_FROM_OFF:
		return HEADER_FROM_OFF;
	default:
		return HEADER_FROM_AUTO;
	}
}

static enum header_to_rule to_rule(int set_to_header)
{
	switch (set_to_header) {
	case SET_TO_ON:
		return HEADER_TO_ON;
	case SET_TO_UNDISCLOSED:
		return HEADER_TO_UNDISCLOSED;
	default:
		return HEADER_TO_OFF;
	}
}

static void rewrite_headers(struct mail *m)
{
	struct header_rules r;

	memset(&r, 0, sizeof(r));
	r.set_from = from_rule(m->acc->set_from_header);
	r.envelope_from = m->acc->from;
	r.full_name = m->acc->from_full_name;
	r.set_date = m->acc->set_date_header;
	r.set_msgid = m->acc->set_msgid_header;
	r.msgid_domain = m->acc->domain;
	r.host = m->acc->host;
	if (r.set_msgid && !m->h.has_msgid) {
		m->msgid = headers_msgid(r.msgid_domain, r.envelope_from,
		    r.host);
		r.msgid = m->msgid;
	}
	r.set_to = to_rule(m->acc->set_to_header);
	r.rcpts = &m->rcpts;
	r.remove_bcc = m->acc->remove_bcc_headers;
	r.now = time(NULL);
	headers_rewrite(&m->h, &r, &m->header_out);
}

/* What told_delivery() needs besides the report. */
struct delivery_told {
	const struct mail	*m;
	const char		*extra;
};

/* told_delivery - msmtp's lines for a failure, and its log line. */
static void told_delivery(void *arg, int rc, const struct deliver_report *rep)
{
	const struct delivery_told *t = arg;

	if (rc != EX_OK)
		report_failure(t->m->acc, rep);
	if (!rep->config_error)	/* msmtp logs only what it tried */
		logline_delivery(t->m->acc, &t->m->rcpts, rep, t->extra);
}

/* deliver - msmtp's direct send; extra: fields for the log line. */
static int deliver(const struct cmdline *cl, struct mail *m,
    const char *extra, char **errstr)
{
	struct delivery_told t = { m, extra };
	struct deliver_job job;

	memset(&job, 0, sizeof(job));
	job.acc = m->acc;
	job.from = m->acc->from;
	job.rcpts = &m->rcpts;
	job.headers = m->header_out.data;
	job.headers_len = m->header_out.len;
	job.body = m->in;
	job.debug = cl->debug;
	return engine_run(&job, told_delivery, &t, errstr);
}

/*
 * without_spool - no spool can be had (a sender without a writable
 * home: cron's jobs, www-data): msmtp would have sent the mail, so it
 * is sent directly, and stderr and the log say so. Only -odq, which
 * asks not to send now, fails.
 */
static int without_spool(const struct cmdline *cl, struct mail *m, int rc,
    char **errstr)
{
	if (m->acc->delivery_mode == DELIVER_QUEUE)
		return rc;
	fprintf(stderr, "msmtp: %s; sending the mail directly, without the "
	    "queue\n", *errstr);
	free(*errstr);
	*errstr = NULL;
	return deliver(cl, m, "queue=unavailable", errstr);
}

/* spool_mail - the queue's way: stored durably, then delivered; id (if
 * not NULL) gets the queue id. */
static int spool_mail(const struct cmdline *cl, struct mail *m,
    char *id, char **errstr)
{
	struct submission sub;
	int rc, no_spool = 0;

	memset(&sub, 0, sizeof(sub));
	sub.acc = m->acc;
	sub.rcpts = &m->rcpts;
	sub.headers = m->header_out.data;
	sub.headers_len = m->header_out.len;
	sub.body = m->in;
	sub.queued_id = id;
	sub.message_id = m->msgid != NULL ? m->msgid : m->h.msgid;
	sub.debug = cl->debug;
	rc = submit(&sub, &no_spool, errstr);
	return no_spool ? without_spool(cl, m, rc, errstr) : rc;
}

/*
 * resolve - what -P shows, in msmtp's order: the configuration, the
 * header block (when needed), the account chosen and settled, the
 * recipients. The first failure ends it; m->pi records how far it got.
 */
static int resolve(const struct cmdline *cl, struct mail *m, char **errstr)
{
	int rc;

	rc = conf_load_default(cl->conffile, cl->host, &m->conf, errstr);
	if (rc != EX_OK)
		return rc;
	if (needs_mail(cl)) {
		rc = headers_read(m->in, cl->read_recipients ?
		    HEADERS_RCPTS : 0, &m->h, errstr);
		if (rc != EX_OK)
			return rc;
	}
	envelope_for_selection(cl, m);
	rc = choose_account(cl, m, errstr);
	if (rc != EX_OK)
		return rc;
	rc = settle_account(cl, m, errstr);
	if (rc != EX_OK)
		return rc;
	m->pi.acc = m->acc;
	return collect_recipients(cl, m, errstr);
}

/* name_spool - the spool the settled account's mail goes to, for -P
 * and -d (submit() resolves it again when it spools: same rule). */
static void name_spool(struct mail *m)
{
	if (m->pi.acc == NULL)
		return;
	if (spoolpath_resolve(m->acc->queue_file, &m->spool,
	    &m->spool_error) != EX_OK && m->spool_error == NULL)
		m->spool_error = xstrdup("cannot name the spool");
	m->pi.spool = m->spool;
	m->pi.spool_error = m->spool_error;
}

/* debug_password_known - with -d, msmtp has run passwordeval before it
 * prints "password = *"; the engine runs it just before AUTH, so -d
 * says "*" for the password it will get (and reports its failure then). */
static int debug_password_known(const struct account *a)
{
	return a->auth_mech != NULL && a->password == NULL &&
	    a->passwordeval != NULL;
}

/* print_pretend - -P's and -d's lines for as far as resolve() got,
 * failed or not, as msmtp prints them before it fails; then ours. */
static void print_pretend(const struct cmdline *cl, struct mail *m)
{
	name_spool(m);
	m->pi.debug = cl->debug;
	if (cl->debug && !cl->pretend && m->pi.acc != NULL)
		m->pi.password_known = debug_password_known(m->acc);
	m->pi.sendmail_mode = 1;
	m->pi.read_recipients = cl->read_recipients;
	m->pi.read_envelope_from = cl->read_envelope_from;
	m->pi.extracted_from = m->h.envelope_from;
	m->pi.cmdline_host = cl->host != NULL;
	m->pi.conf = cl->host == NULL ? &m->conf : NULL;
	pretend_print(stdout, &m->pi);
}

/* prepare - msmtp's steps before the mail is sent: resolve(), -P's
 * lines, then the envelope made final (aliases) and checked. */
static int prepare(const struct cmdline *cl, struct mail *m, char **errstr)
{
	int rc;

	rc = resolve(cl, m, errstr);
	if (cl->pretend || (cl->debug && !without_recipients(cl, m)))
		print_pretend(cl, m);
	if (rc != EX_OK)
		return rc;
	rc = expand_aliases(m, errstr);
	if (rc != EX_OK)
		return rc;
	return check_envelope(m, errstr);
}

/* send_mail - the headers rewritten, then msmtp's direct send or the
 * queue's way, as the account says. */
static int send_mail(const struct cmdline *cl, struct mail *m,
    char **errstr)
{
	rewrite_headers(m);
	if (m->acc->queue)
		return spool_mail(cl, m, NULL, errstr);
	return deliver(cl, m, NULL, errstr);
}

int sendmail_run(struct cmdline *cl, char **errstr)
{
	struct mail m;
	int rc;

	mail_init(&m);
	m.in = stdin;
	rc = prepare(cl, &m, errstr);
	if (rc == EX_OK && !cl->pretend)
		rc = send_mail(cl, &m, errstr);
	mail_free(&m);
	return rc;
}

/* tell_id - the queue id to msmtp-queue, on the descriptor it gave. */
static int tell_id(int fd, const char *id, char **errstr)
{
	char *line = xasprintf("%s\n", id);
	ssize_t n = write(fd, line, strlen(line));
	int ok = n == (ssize_t)strlen(line);

	free(line);
	close(fd);
	if (ok)
		return EX_OK;
	*errstr = xasprintf("cannot tell msmtp-queue the queue id %s", id);
	return EX_IOERR;
}

/* import_mail - spooled for the runner only: into the spool
 * --import-msmtpq names, if any, never delivered here. */
static int import_mail(const struct cmdline *cl, struct mail *m,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	if (cl->import_queue_file != NULL) {
		free(m->acc->queue_file);
		m->acc->queue_file = xstrdup(cl->import_queue_file);
	}
	m->acc->delivery_mode = DELIVER_QUEUE;
	rewrite_headers(m);
	return spool_mail(cl, m, id, errstr);
}

int sendmail_import(struct cmdline *cl, char **errstr)
{
	char id[SPOOL_ID_LEN + 1];
	struct mail m;
	int rc;

	if (cl->mode != MODE_SENDMAIL || cl->pretend) {
		*errstr = xstrdup("the arguments do not send a mail");
		return EX_USAGE;
	}
	mail_init(&m);
	m.in = stdin;
	rc = prepare(cl, &m, errstr);
	if (rc == EX_OK)
		rc = import_mail(cl, &m, id, errstr);
	mail_free(&m);
	return rc == EX_OK ? tell_id(cl->import_fd, id, errstr) : rc;
}
