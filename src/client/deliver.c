/*
 * deliver - send one mail now, as msmtp does; see deliver.h.
 */
#include "client/deliver.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "smtp/session.h"
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
	char				*mail_params;
	char				*rcpt_params;
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
}

static void on_quit(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	(void)r;
	(void)arg;
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

static void on_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct run *run = arg;

	keep_result(run->rep, r);
	keep_rcpts(run->rep, r);
	if (r->outcome.cls != CLASS_OK) {
		keep_lmtp_refusals(run, r);
		smtp_session_free(s);
		return;
	}
	run->rep->sent = 1;
	run->rep->mailsize = r->mailsize;
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
	if ((run->mail_params || run->rcpt_params) &&
	    !(smtp_session_caps(s)->flags & CAP_DSN)) {
		/* msmtp refuses, and says goodbye politely. */
		smtp_classify(STAGE_MAIL, TERR_UNSUPPORTED, NULL,
		    &run->rep->outcome);
		run->rep->exitcode = run->rep->outcome.exitcode;
		free(run->rep->errmsg);
		run->rep->errmsg = xstrdup("the server does not support DSN");
		smtp_session_quit(s, on_quit, run);
		return;
	}
	smtp_session_send(s, &run->mail, on_sent, run);
}

/* dsn_params - the ESMTP DSN parameters the account asks for. */
static void dsn_params(const struct account *acc, struct run *run)
{
	char *p;

	if (acc->dsn_return != NULL)
		run->mail_params = xasprintf(" RET=%s", acc->dsn_return);
	if (acc->dsn_notify != NULL) {
		run->rcpt_params = xasprintf(" NOTIFY=%s", acc->dsn_notify);
		for (p = run->rcpt_params; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	}
	run->mail.mail_params = run->mail_params;
	run->mail.rcpt_params = run->rcpt_params;
}

static void trace_line(const char *prefix, const char *line, size_t len,
    void *arg)
{
	(void)arg;
	printf("%s%.*s\n", prefix, (int)len, line);
}

/* smtp_port - the port msmtp derives when none is set. */
static int smtp_port(const struct account *acc)
{
	if (acc->port != 0)
		return acc->port;
	return acc->tls && !acc->tls_starttls ? 465 : 25;
}

int deliver_now(const struct deliver_job *job, struct deliver_report *rep)
{
	const struct account *acc = job->acc;
	struct smtp_params p;
	struct run run;
	uv_loop_t loop;

	memset(rep, 0, sizeof(*rep));
	strlist_init(&rep->refused);
	strlist_init(&rep->refusals);
	memset(&run, 0, sizeof(run));
	memset(&p, 0, sizeof(p));
	run.job = job;
	run.rep = rep;
	run.src.hdr = job->headers;
	run.src.hdr_len = job->headers_len;
	run.src.body = job->body;
	run.mail.from = job->from;
	run.mail.rcpts = (const char *const *)job->rcpts->v;
	run.mail.nrcpts = job->rcpts->n;
	run.mail.read = job->read ? job->read : source_read;
	run.mail.read_arg = job->read ? job->read_arg : &run.src;
	run.mail.all_or_nothing = !job->per_recipient;
	dsn_params(acc, &run);

	p.host = acc->host;
	p.port = smtp_port(acc);
	p.helo_domain = acc->domain ? acc->domain : "localhost";
	p.lmtp = acc->protocol == PROTO_LMTP;
	p.timeout = acc->timeout;
	if (job->debug)
		p.trace = trace_line;

	rep->exitcode = EX_SOFTWARE;
	rep->errmsg = xstrdup("the mail was not sent");
	if (uv_loop_init(&loop) != 0) {
		free(rep->errmsg);
		rep->errmsg = xstrdup("cannot initialize networking");
		return rep->exitcode;
	}
	smtp_session_open(smtp_session_new(&loop, &p), on_open, &run);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(run.mail_params);
	free(run.rcpt_params);
	return rep->exitcode;
}

void deliver_report_free(struct deliver_report *rep)
{
	free(rep->errmsg);
	free(rep->reply_text);
	size_t i;

	for (i = 0; i < rep->nrcpts; i++)
		free(rep->rcpts[i].text);
	free(rep->rcpts);
	strlist_free(&rep->refused);
	strlist_free(&rep->refusals);
	memset(rep, 0, sizeof(*rep));
}
