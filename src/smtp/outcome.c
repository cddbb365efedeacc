/*
 * outcome - the one failure-policy table; see outcome.h.
 *
 * msmtp's exit codes (sysexits.h) for each case, from its smtp_exitcode,
 * net_exitcode and mtls_exitcode and from runs of msmtp 1.8.23:
 *   connect failure 75, host not found 68, I/O error or timeout 74,
 *   malformed reply or bad greeting 76, 4xx at MAIL/RCPT/DATA 69,
 *   5xx there 65, anything but 250 after the final dot 69,
 *   STARTTLS refused 76, TLS handshake failure 76, certificate not
 *   trusted 69, a TLS file that cannot be read 66, a bad tls_priorities
 *   string or another GnuTLS/GNU SASL failure 70,
 *   any AUTH reply but 235 (454, 535, even 504: Debian's build goes
 *   through GNU SASL) 77, no usable method or credentials 69,
 *   server lacks STARTTLS, AUTH or ETRN 69, passwordeval failure 78,
 *   ETRN: 250-253 ok, 458/459 69, 500/501 65, anything else 76.
 */
#include "smtp/outcome.h"

#include <string.h>
#include <sysexits.h>

static const struct {
	enum smtp_terr	terr;
	enum smtp_class	cls;
	int		exitcode;
} terr_table[] = {
	{ TERR_DNS_NOTFOUND, CLASS_TEMP, EX_NOHOST },
	/* msmtp exits 68 for any failed lookup; the queue still retries. */
	{ TERR_DNS_TEMP, CLASS_TEMP, EX_NOHOST },
	{ TERR_CONNECT, CLASS_TEMP, EX_TEMPFAIL },
	{ TERR_TIMEOUT, CLASS_TEMP, EX_IOERR },
	{ TERR_IO, CLASS_TEMP, EX_IOERR },
	{ TERR_CLOSED, CLASS_TEMP, EX_PROTOCOL },
	{ TERR_BADREPLY, CLASS_TEMP, EX_PROTOCOL },
	{ TERR_TLS, CLASS_TEMP, EX_PROTOCOL },
	{ TERR_TLS_VERIFY, CLASS_LOCAL, EX_UNAVAILABLE },
	{ TERR_TLS_FILE, CLASS_LOCAL, EX_NOINPUT },
	{ TERR_UNSUPPORTED, CLASS_LOCAL, EX_UNAVAILABLE },
	{ TERR_AUTH, CLASS_LOCAL, EX_UNAVAILABLE },
	{ TERR_CONFIG, CLASS_LOCAL, EX_CONFIG },
	{ TERR_LOCAL, CLASS_LOCAL, EX_IOERR },
	{ TERR_SOFTWARE, CLASS_LOCAL, EX_SOFTWARE },
	{ TERR_PROXY, CLASS_TEMP, EX_UNAVAILABLE },
	{ TERR_BIND, CLASS_LOCAL, EX_OSERR },
	{ TERR_DNS_NAME, CLASS_LOCAL, EX_NOHOST },
};

/* classify_terr - outcome of a failure below the SMTP dialogue. */
static void classify_terr(enum smtp_terr terr, struct smtp_outcome *out)
{
	size_t i;

	out->cls = CLASS_TEMP;
	out->exitcode = EX_SOFTWARE;
	for (i = 0; i < sizeof(terr_table) / sizeof(terr_table[0]); i++) {
		if (terr_table[i].terr == terr) {
			out->cls = terr_table[i].cls;
			out->exitcode = terr_table[i].exitcode;
			return;
		}
	}
}

/* reply_class - temporary or permanent from the reply's first digit. */
static enum smtp_class reply_class(int code)
{
	if (code >= 200 && code < 400)
		return CLASS_OK;
	return code >= 500 ? CLASS_PERM : CLASS_TEMP;
}

/*
 * classify_reply - outcome of a negative reply at a stage. Only a refusal
 * of the mail (MAIL, RCPT, DATA, its data) fails it for good. A refusal
 * of the session itself (greeting, EHLO and HELO, STARTTLS, AUTH) is
 * never the mail's fault: for now (4xx) it waits, for good (5xx: our
 * address, EHLO name, TLS or login refused) it needs the user, since
 * waiting changes nothing and failing would fail every mail of the
 * account. A refused RSET or QUIT only ends the session.
 */
static void classify_reply(enum smtp_stage stage, int code,
    struct smtp_outcome *out)
{
	out->cls = reply_class(code);
	if (out->cls == CLASS_OK)	/* an ETRN reply outside 250-253 */
		out->cls = CLASS_PERM;
	switch (stage) {
	case STAGE_GREETING:
	case STAGE_HELO:
	case STAGE_STARTTLS:
		if (out->cls == CLASS_PERM)
			out->cls = CLASS_LOCAL;
		out->exitcode = EX_PROTOCOL;
		return;
	case STAGE_AUTH:
		/* 454 may pass; 535 (or 504, 534...) needs the user. */
		if (out->cls == CLASS_PERM)
			out->cls = CLASS_LOCAL;
		out->exitcode = EX_NOPERM;
		return;
	case STAGE_MAIL:
	case STAGE_RCPT:
	case STAGE_DATA:
		out->exitcode = code >= 500 ? EX_DATAERR : EX_UNAVAILABLE;
		return;
	case STAGE_ETRN:
		if (code == 458 || code == 459)
			out->exitcode = EX_UNAVAILABLE;
		else if (code == 500 || code == 501)
			out->exitcode = EX_DATAERR;
		else
			out->exitcode = EX_PROTOCOL;
		return;
	case STAGE_EOM:
	case STAGE_BODY:
		out->exitcode = EX_UNAVAILABLE;
		return;
	case STAGE_CONNECT:
	case STAGE_TLS:
	case STAGE_RSET:
	case STAGE_QUIT:
		out->cls = CLASS_TEMP;
		out->exitcode = EX_PROTOCOL;
		return;
	}
	out->exitcode = EX_SOFTWARE;
}

void smtp_classify(enum smtp_stage stage, enum smtp_terr terr,
    const struct smtp_reply *reply, struct smtp_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->stage = stage;
	out->terr = terr;
	if (reply != NULL) {
		out->code = reply->code;
		memcpy(out->enh, reply->enh, sizeof(out->enh));
	}
	if (terr != TERR_NONE) {
		classify_terr(terr, out);
		return;
	}
	if (reply == NULL || reply->code == 0) {
		classify_terr(TERR_BADREPLY, out);
		return;
	}
	if (reply_class(reply->code) == CLASS_OK && (stage != STAGE_ETRN ||
	    (reply->code >= 250 && reply->code <= 253))) {
		out->cls = CLASS_OK;
		out->exitcode = EX_OK;
		return;
	}
	classify_reply(stage, reply->code, out);
}

const char *smtp_class_name(enum smtp_class cls)
{
	switch (cls) {
	case CLASS_OK:
		return "ok";
	case CLASS_TEMP:
		return "temporary";
	case CLASS_PERM:
		return "permanent";
	case CLASS_LOCAL:
		return "local";
	}
	return "unknown";
}
