/*
 * deliver - send one mail now, as msmtp does; see deliver.h.
 *
 * SECURITY: the password (from the account, passwordeval, the keyring,
 * netrc or the prompt) goes to the engine's AUTH module only; it is
 * wiped when the run ends and never reaches the report, the trace or a
 * message.
 */
#include "delivery/deliver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "account/oauth2.h"
#include "account/password.h"
#include "delivery/authwait.h"
#include "smtp/serverinfo.h"
#include "smtp/session.h"
#include "util/idn.h"
#include "util/xalloc.h"

/* The mail as the engine pulls it: header block first, then the input. */
struct source {
	const char	*hdr;
	size_t		 hdr_len;
	size_t		 hdr_off;
	FILE		*body;
};

struct run {
	const struct deliver_job	*job;
	struct deliver_report		*rep;
	struct smtp_mail		 mail;
	struct source			 src;
	struct deliver_setup		 su;
	const struct deliver_job	*more;		/* job->more()'s, in
							   flight */
	struct smtp_mail		 more_mail;
	struct deliver_report		 more_rep;
};

static ssize_t source_read(void *arg, char *buf, size_t len, char **errstr)
{
	struct source *s = arg;
	size_t n;

	if (s->hdr_off < s->hdr_len) {
		n = s->hdr_len - s->hdr_off;
		if (n > len)
			n = len;
		memcpy(buf, s->hdr + s->hdr_off, n);
		s->hdr_off += n;
		return (ssize_t)n;
	}
	if (s->body == NULL)
		return 0;
	n = fread(buf, 1, len, s->body);
	if (n == 0 && ferror(s->body)) {
		*errstr = xstrdup("input error while reading the mail");
		return -1;
	}
	return (ssize_t)n;
}

/* keep_result - copy what the report needs from an engine result. */
static void keep_result(struct deliver_report *rep,
    const struct smtp_result *r)
{
	rep->outcome = r->outcome;
	rep->exitcode = r->outcome.exitcode;
	free(rep->errmsg);
	rep->errmsg = r->errmsg ? xstrdup(r->errmsg) : NULL;
	if (r->reply_text != NULL) {
		free(rep->reply_text);
		rep->reply_code = r->reply_code;
		rep->reply_text = xstrdup(r->reply_text);
	}
	certinfo_free(&rep->cert);
	certinfo_copy(&rep->cert, &r->cert);
}

static void on_quit(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	(void)r;
	deliver_tls_keep(run->job, &run->su, s);
	smtp_session_free(s);
}

/* keep_rcpts - every recipient's answer, for the queue. */
static void keep_rcpts(struct deliver_report *rep, const struct smtp_result *r)
{
	size_t i;

	rep->rcpts = xcalloc(r->nrcpts ? r->nrcpts : 1, sizeof(*rep->rcpts));
	rep->nrcpts = r->nrcpts;
	for (i = 0; i < r->nrcpts; i++) {
		rep->rcpts[i].cls = r->rcpts[i].cls;
		rep->rcpts[i].code = r->rcpts[i].code;
		memcpy(rep->rcpts[i].enh, r->rcpts[i].enh,
		    sizeof(rep->rcpts[i].enh));
		rep->rcpts[i].text = r->rcpts[i].text ?
		    xstrdup(r->rcpts[i].text) : NULL;
	}
}

/* keep_lmtp_refusals - which LMTP recipients the server refused. */
static void keep_lmtp_refusals(struct run *run, const struct smtp_result *r)
{
	size_t i;

	if (run->job->acc->protocol != PROTO_LMTP ||
	    r->outcome.stage != STAGE_EOM || r->outcome.terr != TERR_NONE)
		return;
	for (i = 0; i < r->nrcpts; i++) {
		if (r->rcpts[i].text == NULL || r->rcpts[i].cls == CLASS_OK)
			continue;
		run->rep->lmtp_partial = 1;
		strlist_add(&run->rep->refused, run->mail.rcpts[i]);
		strlist_add(&run->rep->refusals, r->rcpts[i].text);
	}
}

static void on_more_sent(struct smtp_session *s,
    const struct smtp_result *r, void *arg);

/* send_more - the next mail job->more() gives, or goodbye. */
static void send_more(struct run *run, struct smtp_session *s)
{
	const struct deliver_job *job = run->job;

	run->more = job->more != NULL ? job->more(job->more_arg) : NULL;
	if (run->more == NULL) {
		smtp_session_quit(s, on_quit, run);
		return;
	}
	deliver_report_init(&run->more_rep);
	deliver_mail_init(run->more, &run->su, &run->more_mail);
	smtp_session_send(s, &run->more_mail, on_more_sent, run);
}

static void on_more_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	deliver_keep(&run->more_rep, r);
	run->job->more_done(run->job->more_arg, run->more, &run->more_rep);
	deliver_report_free(&run->more_rep);
	run->more = NULL;
	if (r->outcome.cls != CLASS_OK) {
		deliver_tls_keep(run->job, &run->su, s);
		smtp_session_free(s);
		return;
	}
	send_more(run, s);
}

static void on_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	deliver_keep(run->rep, r);
	if (r->outcome.cls != CLASS_OK) {
		keep_lmtp_refusals(run, r);
		deliver_tls_keep(run->job, &run->su, s);
		smtp_session_free(s);
		return;
	}
	send_more(run, s);
}

/* keep_serverinfo - msmtp's --serverinfo text, for the caller. */
static void keep_serverinfo(struct run *run, struct smtp_session *s)
{
	const struct account *acc = run->job->acc;
	struct smtp_serverinfo si;
	struct smtp_caps caps;
	struct buf out;
	char *canon;

	memset(&si, 0, sizeof(si));
	si.lmtp = acc->protocol == PROTO_LMTP;
	si.host = acc->host;
	si.port = run->su.params.port;
	si.canon = canon = smtp_session_peer_name(s);
	si.address = smtp_session_peer(s);
	si.greeting = smtp_session_greeting(s);
	si.tls = smtp_session_tls_info(s);
	/* msmtp still lists the STARTTLS it used. */
	caps = *smtp_session_caps(s);
	if (si.tls != NULL && acc->tls_starttls)
		caps.flags |= CAP_STARTTLS;
	si.caps = &caps;
	buf_init(&out);
	smtp_serverinfo_format(&si, &out);
	free(canon);
	free(run->rep->output);
	run->rep->output = buf_steal(&out);
	buf_free(&out);
}

static void on_etrn(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	keep_result(run->rep, r);
	if (r->outcome.cls != CLASS_OK) {
		smtp_session_free(s);
		return;
	}
	smtp_session_quit(s, on_quit, run);
}

static void on_open(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	if (r->outcome.cls != CLASS_OK) {
		keep_result(run->rep, r);
		smtp_session_free(s);
		return;
	}
	if (run->job->kind == DELIVER_KIND_SERVERINFO) {
		keep_result(run->rep, r);
		keep_serverinfo(run, s);
		smtp_session_quit(s, on_quit, run);
		return;
	}
	if (run->job->kind == DELIVER_KIND_RMQS) {
		smtp_session_etrn(s, run->job->rmqs ? run->job->rmqs : "",
		    on_etrn, run);
		return;
	}
	if (deliver_dsn_refused(&run->su, s, run->rep)) {
		/* msmtp refuses, and says goodbye politely. */
		smtp_session_quit(s, on_quit, run);
		return;
	}
	smtp_session_send(s, &run->mail, on_sent, run);
}

int deliver_dsn_refused(const struct deliver_setup *su,
    const struct smtp_session *s, struct deliver_report *rep)
{
	if ((su->mail_params == NULL && su->rcpt_params == NULL) ||
	    (smtp_session_caps(s)->flags & CAP_DSN))
		return 0;
	smtp_classify(STAGE_MAIL, TERR_UNSUPPORTED, NULL, &rep->outcome);
	rep->exitcode = rep->outcome.exitcode;
	free(rep->errmsg);
	rep->errmsg = xstrdup("the server does not support DSN");
	return 1;
}

void deliver_keep(struct deliver_report *rep, const struct smtp_result *r)
{
	keep_result(rep, r);
	if (r->rcpts == NULL)
		return;		/* not a transaction */
	keep_rcpts(rep, r);
	if (r->outcome.cls == CLASS_OK) {
		rep->sent = 1;
		rep->mailsize = r->mailsize;
	}
}

/* dsn_params - the ESMTP DSN parameters the account asks for. */
static void dsn_params(const struct account *acc, struct deliver_setup *su)
{
	char *p;

	if (acc->dsn_return != NULL)
		su->mail_params = xasprintf(" RET=%s", acc->dsn_return);
	if (acc->dsn_notify != NULL) {
		su->rcpt_params = xasprintf(" NOTIFY=%s", acc->dsn_notify);
		for (p = su->rcpt_params; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	}
}

/* trace_line - msmtp's -d: the dialogue as sent and received (CRLF
 * included), other lines (the TLS block) with a bare LF; --serverinfo
 * prints the TLS block in its report instead. */
static void trace_line(const char *prefix, const char *line, size_t len,
    void *arg)
{
	const struct deliver_job *job = arg;

	if (prefix[0] == '\0' && job->kind == DELIVER_KIND_SERVERINFO)
		return;
	printf("%s%.*s%s", prefix, (int)len, line, prefix[0] ? "\r\n" :
	    "\n");
}

/* smtp_port - the port msmtp derives when none is set. */
static int smtp_port(const struct account *acc)
{
	if (acc->port != 0)
		return acc->port;
	return acc->tls && !acc->tls_starttls ? 465 : 25;
}

/* tls_params - the account's TLS settings for the engine. */
static void tls_params(const struct account *acc, struct smtp_params *p)
{
	struct tls_params *t = &p->tls_params;

	p->tls = acc->tls;
	p->starttls = acc->tls_starttls;
	t->hostname = acc->tls_host_override ? acc->tls_host_override :
	    acc->host;
	t->trust_file = acc->tls_trust_file;
	t->crl_file = acc->tls_crl_file;
	t->fingerprint = acc->tls_fingerprint;
	t->cert_file = acc->tls_cert_file;
	t->key_file = acc->tls_key_file;
	t->certcheck = acc->tls_certcheck;
	t->priorities = acc->tls_priorities;
	t->min_dh_prime_bits = acc->tls_min_dh_prime_bits;
}

/* late_password - the smtp_password_fn: the account's passwordeval when
 * it was left for the method's turn, else the keyring, the netrc files
 * and the prompt; when none gives one, the job's hint says what to do. */
static char *late_password(const char *host, const char *user, void *arg,
    char **errstr)
{
	const struct deliver_job *job = arg;
	char *pw = NULL;

	if (job->acc->passwordeval != NULL) {
		if (password_eval(job->acc->passwordeval, &pw, errstr) !=
		    EX_OK)
			return NULL;
		return pw;
	}
	pw = password_lookup(host, user);
	if (pw == NULL && job->password_hint != NULL)
		*errstr = xstrdup(job->password_hint);
	return pw;
}

/* setup_failed - rep for an account that failed before any connection:
 * err (taken) with the class of terr. */
static int setup_failed(struct deliver_report *rep, enum smtp_terr terr,
    char *err, int config_error)
{
	smtp_classify(STAGE_CONNECT, terr, NULL, &rep->outcome);
	rep->exitcode = rep->outcome.exitcode;
	free(rep->errmsg);
	rep->errmsg = err;
	rep->config_error = config_error;
	return rep->exitcode;
}

void deliver_token_fetch(const struct account *acc, struct deliver_token *t)
{
	memset(t, 0, sizeof(*t));
	t->rc = oauth2_access_token(acc, &t->token, &t->err);
}

void deliver_token_free(struct deliver_token *t)
{
	password_free(t->token);
	free(t->err);
	memset(t, 0, sizeof(*t));
}

/* oauth2_token - the access token msmtp fetches itself (account/oauth2.h)
 * as the password, or the one the job brings. A token endpoint that
 * fails for now defers the mail like a server that cannot be reached;
 * one that refuses the grant holds it (CLASS_LOCAL) until the user
 * authorizes again. */
static int oauth2_token(const struct deliver_job *job,
    struct deliver_setup *su, struct deliver_report *rep)
{
	struct deliver_token t;

	if (job->token != NULL) {
		t = *job->token;
		memset(job->token, 0, sizeof(*job->token));
	} else {
		deliver_token_fetch(job->acc, &t);
	}
	if (t.rc == EX_OK) {
		su->password = t.token;
		su->params.auth.password = su->password;
		free(t.err);
		return EX_OK;
	}
	password_free(t.token);
	return setup_failed(rep, t.rc == EX_TEMPFAIL ? TERR_CONNECT :
	    TERR_AUTH, t.err ? t.err : xstrdup("no OAuth2 access token"), 0);
}

/* auth_params - the account's AUTH settings. passwordeval runs here,
 * before any connection, as in msmtp, unless the method could still be
 * refused for clear text: then only once it has passed (late_password). */
static int auth_params(const struct deliver_job *job,
    struct deliver_setup *su, struct deliver_report *rep)
{
	const struct account *acc = job->acc;
	struct smtp_params *p = &su->params;
	struct smtp_auth_params *a = &p->auth;
	char *err = NULL;

	if (acc->auth_mech == NULL || job->kind == DELIVER_KIND_SERVERINFO)
		return EX_OK;	/* --serverinfo never authenticates */
	a->mech = acc->auth_mech;
	a->user = acc->user;
	a->password = acc->password;
	a->ntlmdomain = acc->ntlmdomain;
	a->host = acc->host;
	a->port = p->port;
	a->password_cb = late_password;
	a->password_arg = (void *)(uintptr_t)job;
	if (oauth2_wanted(acc))
		return oauth2_token(job, su, rep);
	if (acc->password != NULL || acc->passwordeval == NULL ||
	    password_must_wait(acc))
		return EX_OK;
	if (password_eval(acc->passwordeval, &su->password, &err) != EX_OK)
		return setup_failed(rep, TERR_CONFIG, err, 1);
	a->password = su->password;
	return EX_OK;
}

void deliver_report_init(struct deliver_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	strlist_init(&rep->refused);
	strlist_init(&rep->refusals);
	rep->exitcode = EX_SOFTWARE;
	rep->errmsg = xstrdup("the mail was not sent");
}

int deliver_setup(const struct deliver_job *job, struct deliver_setup *su,
    struct deliver_report *rep)
{
	const struct account *acc = job->acc;
	struct smtp_params *p = &su->params;

	memset(su, 0, sizeof(*su));
	dsn_params(acc, su);
	p->host = acc->host;
	p->port = smtp_port(acc);
	p->helo_domain = acc->domain ? acc->domain : "localhost";
	p->route.source_ip = acc->source_ip;
	p->route.proxy_host = acc->proxy_host;
	p->route.proxy_port = acc->proxy_port;
	p->route.socket = acc->socket;
	p->lmtp = acc->protocol == PROTO_LMTP;
	p->timeout = acc->timeout;
	if (job->debug) {
		p->trace = trace_line;
		p->trace_arg = (void *)(uintptr_t)job;
	}
	tls_params(acc, p);
	p->want_tls_info = job->kind == DELIVER_KIND_SERVERINFO;
	deliver_tls_offer(job, su);
	return auth_params(job, su, rep);
}

void deliver_setup_free(struct deliver_setup *su)
{
	free(su->mail_params);
	free(su->rcpt_params);
	password_free(su->password);
	free(su->tls_key);
	if (su->tls_resume != NULL)	/* a session's secret */
		explicit_bzero(su->tls_resume,
		    su->params.tls_params.resume_len);
	free(su->tls_resume);
	memset(su, 0, sizeof(*su));
}

/* needs_smtputf8 - an address of the envelope is not ASCII (RFC 6531):
 * msmtp leaves every one as written, its domain included. */
static int needs_smtputf8(const struct smtp_mail *m)
{
	size_t i;

	if (m->from != NULL && !idn_is_ascii(m->from))
		return 1;
	for (i = 0; i < m->nrcpts; i++)
		if (!idn_is_ascii(m->rcpts[i]))
			return 1;
	return 0;
}

void deliver_mail_init(const struct deliver_job *job,
    const struct deliver_setup *su, struct smtp_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->from = job->from;
	if (job->rcpts != NULL) {	/* none for --serverinfo, --rmqs */
		m->rcpts = (const char *const *)job->rcpts->v;
		m->nrcpts = job->rcpts->n;
	}
	m->read = job->read;
	m->read_arg = job->read_arg;
	m->all_or_nothing = !job->per_recipient;
	m->mail_params = su->mail_params;
	m->rcpt_params = su->rcpt_params;
	m->smtputf8 = needs_smtputf8(m);
}

/* finish_run - release what the run held; the exit code. */
static int finish_run(struct run *run)
{
	deliver_setup_free(&run->su);
	return run->rep->exitcode;
}

int deliver_now(const struct deliver_job *job, struct deliver_report *rep)
{
	struct run run;
	uv_loop_t loop;

	deliver_report_init(rep);
	memset(&run, 0, sizeof(run));
	run.job = job;
	run.rep = rep;
	run.src.hdr = job->headers;
	run.src.hdr_len = job->headers_len;
	run.src.body = job->body;
	if (deliver_setup(job, &run.su, rep) != EX_OK)
		return finish_run(&run);
	deliver_mail_init(job, &run.su, &run.mail);
	if (job->read == NULL) {
		run.mail.read = source_read;
		run.mail.read_arg = &run.src;
	}
	if (uv_loop_init(&loop) != 0) {
		free(rep->errmsg);
		rep->errmsg = xstrdup("cannot initialize networking");
		return finish_run(&run);
	}
	smtp_session_open(smtp_session_new(&loop, &run.su.params), on_open,
	    &run);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return finish_run(&run);
}

void deliver_report_free(struct deliver_report *rep)
{
	free(rep->errmsg);
	free(rep->reply_text);
	free(rep->output);
	certinfo_free(&rep->cert);
	size_t i;

	for (i = 0; i < rep->nrcpts; i++)
		free(rep->rcpts[i].text);
	free(rep->rcpts);
	strlist_free(&rep->refused);
	strlist_free(&rep->refusals);
	memset(rep, 0, sizeof(*rep));
}
