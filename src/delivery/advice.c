/*
 * advice - msmtprc changes that would fix a failure; see advice.h.
 *
 * Each case is one small function that says nothing (returns 0) unless
 * its symptom and the account's settings both point at the same cause:
 * a hint that names the wrong line is worse than none.
 */
#include "delivery/advice.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* add - one line of advice, formatted. */
static size_t add(struct strlist *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t add(struct strlist *out, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		xalloc_failed();
	strlist_take(out, s);
	return 1;
}

/* contains - whether text holds needle, ignoring case. */
static int contains(const char *text, const char *needle)
{
	return text != NULL && strcasestr(text, needle) != NULL;
}

/* effective_port - the port msmtp connects to when none is set. */
static int effective_port(const struct account *acc)
{
	if (acc->port != 0)
		return acc->port;
	return acc->tls && !acc->tls_starttls ? 465 : 25;
}

/* no_greeting_expected_tls - nothing SMTP came while the server waited
 * for a TLS ClientHello: an implicit-TLS port spoken to in plain text. */
static size_t no_greeting_expected_tls(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	enum smtp_terr t = rep->outcome.terr;

	if (rep->outcome.stage != STAGE_GREETING || rep->reply_code != 0 ||
	    (acc->tls && !acc->tls_starttls) || acc->socket != NULL)
		return 0;
	if (t != TERR_TIMEOUT && t != TERR_BADREPLY &&
	    !(t == TERR_CLOSED && effective_port(acc) == 465))
		return 0;
	add(out, "no SMTP greeting came from port %d: if the server speaks "
	    "TLS from the first byte (implicit TLS, as port 465 does),",
	    effective_port(acc));
	if (acc->tls)
		return add(out, "set \"tls_starttls off\" in the "
		    "account") + 1;
	return add(out, "set \"tls on\" and \"tls_starttls off\" in the "
	    "account") + 1;
}

/* plain_text_expected_starttls - implicit TLS got SMTP's "220" back. */
static size_t plain_text_expected_starttls(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	if (rep->outcome.terr != TERR_TLS || !acc->tls || acc->tls_starttls ||
	    rep->reply_code != 0)
		return 0;
	add(out, "the TLS handshake got no TLS back from port %d: if the "
	    "server speaks plain SMTP first and then STARTTLS (as ports "
	    "587 and 25 do),", effective_port(acc));
	return add(out, "set \"tls_starttls on\" in the account (or set "
	    "\"port\" to the server's implicit-TLS port, usually 465)") + 1;
}

/* put_utc - t as "2024-01-31 12:00:00 UTC". */
static void put_utc(char *dst, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(dst, len, "%lld", (long long)t);
}

/* name_matches - RFC 6125's rules, simply: exact, or "*." for one
 * leftmost label; case does not matter. */
static int name_matches(const char *pattern, size_t plen, const char *host)
{
	const char *dot;

	if (strlen(host) == plen && strncasecmp(pattern, host, plen) == 0)
		return 1;
	if (plen < 3 || strncmp(pattern, "*.", 2) != 0 ||
	    (dot = strchr(host, '.')) == NULL)
		return 0;
	return strlen(dot) == plen - 1 &&
	    strncasecmp(pattern + 1, dot, plen - 1) == 0;
}

/* cert_is_for - whether host is one of names (", " separated). */
static int cert_is_for(const char *names, const char *host)
{
	const char *p = names, *end;

	while (*p != '\0') {
		end = strstr(p, ", ");
		if (end == NULL)
			end = p + strlen(p);
		if (name_matches(p, (size_t)(end - p), host))
			return 1;
		p = *end ? end + 2 : end;
	}
	return 0;
}

/* cert_reason - the likeliest reason the certificate failed. */
static void cert_reason(const struct account *acc, const struct certinfo *ci,
    struct strlist *out)
{
	const char *host = acc->tls_host_override ? acc->tls_host_override :
	    acc->host;
	time_t now = time(NULL);
	char when[64];

	if (ci->not_after < now) {
		put_utc(when, sizeof(when), ci->not_after);
		add(out, "it expired on %s: the server's administrator must "
		    "renew it (or this machine's clock is wrong)", when);
	} else if (ci->not_before > now) {
		put_utc(when, sizeof(when), ci->not_before);
		add(out, "it is not valid before %s: check this machine's "
		    "clock", when);
	} else if (host != NULL && ci->names[0] != '\0' &&
	    !cert_is_for(ci->names, host)) {
		add(out, "it is not for %s: set \"host\" (or "
		    "\"tls_host_override\") to one of its names", host);
	} else if (acc->tls_trust_file == NULL ||
	    strcmp(acc->tls_trust_file, "system") == 0) {
		add(out, "its issuer is not in the system's trust store: set "
		    "\"tls_trust_file\" to the file of the CA that issued it");
	} else {
		add(out, "its issuer is not in %s: set \"tls_trust_file\" to "
		    "the file of the CA that issued it", acc->tls_trust_file);
	}
}

/* refused_certificate - what the user needs to judge the certificate. */
static size_t refused_certificate(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	const struct certinfo *ci = &rep->cert;
	char from[64], until[64];
	size_t before = out->n;

	if (rep->outcome.terr != TERR_TLS_VERIFY || !ci->have)
		return 0;
	put_utc(from, sizeof(from), ci->not_before);
	put_utc(until, sizeof(until), ci->not_after);
	add(out, "the server's certificate:");
	add(out, "  subject: %s", ci->subject);
	add(out, "  issuer: %s", ci->issuer);
	add(out, "  valid: from %s until %s", from, until);
	add(out, "  names: %s", ci->names[0] ? ci->names : "(none)");
	add(out, "  SHA-256 fingerprint: %s", ci->sha256);
	cert_reason(acc, ci, out);
	add(out, "to trust this certificate alone, once its fingerprint is "
	    "confirmed by the server's administrator, set:");
	add(out, "  tls_fingerprint %s", ci->sha256);
	return out->n - before;
}

/* auth_needed - 530 to MAIL FROM while the account does not log in. */
static size_t auth_needed(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	if (rep->outcome.stage != STAGE_MAIL || rep->reply_code != 530 ||
	    acc->auth_mech != NULL)
		return 0;
	add(out, "the server accepts mail only after a login, and the "
	    "account has \"auth off\":");
	return add(out, "set \"auth on\", \"user NAME\" and \"password "
	    "SECRET\" (or \"passwordeval COMMAND\")") + 1;
}

/* uses_oauth - whether the account already sends a token. */
static int uses_oauth(const struct account *acc)
{
	return acc->auth_mech != NULL &&
	    (strcasecmp(acc->auth_mech, "OAUTHBEARER") == 0 ||
	    strcasecmp(acc->auth_mech, "XOAUTH2") == 0);
}

/* auth_wants_other_secret - a login refused because the server wants an
 * application-specific password, or OAuth, not the account's password.
 * A token refused (expired, revoked) is not this mistake. */
static size_t auth_wants_other_secret(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	const char *text = rep->reply_text;

	if (uses_oauth(acc))
		return 0;
	if (rep->outcome.stage != STAGE_AUTH || rep->reply_code < 500)
		return 0;
	if (contains(text, "application-specific password") ||
	    contains(text, "InvalidSecondFactor")) {
		add(out, "the server wants an application-specific password, "
		    "not the account's own password:");
		return add(out, "create one in the provider's security "
		    "settings and put it in \"password\" (or "
		    "\"passwordeval\")") + 1;
	}
	if (contains(text, "oauth") || contains(text, "basic authentication "
	    "is disabled")) {
		add(out, "the server accepts OAuth 2.0 tokens only, not "
		    "passwords:");
		return add(out, "set \"auth oauthbearer\" (or \"auth "
		    "xoauth2\") and have \"passwordeval\" print an access "
		    "token") + 1;
	}
	return 0;
}

size_t advice_for_delivery(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	size_t (*const cases[])(const struct account *,
	    const struct deliver_report *, struct strlist *) = {
		no_greeting_expected_tls,
		plain_text_expected_starttls,
		refused_certificate,
		auth_needed,
		auth_wants_other_secret,
	};
	size_t i, n;

	if (acc == NULL || rep == NULL || rep->outcome.cls == CLASS_OK)
		return 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((n = cases[i](acc, rep, out)) > 0)
			return n;
	return 0;
}

size_t advice_for_from(const struct conf *c, const char *envelope_from,
    struct strlist *out)
{
	size_t i, before = out->n;
	const struct account *a;

	if (envelope_from == NULL || *envelope_from == '\0')
		return 0;
	for (i = 0; i < c->nacc; i++) {
		a = c->acc[i];
		if (a->from == NULL || a->id == NULL)
			continue;
		if (out->n == before)
			add(out, "no account's \"from\" matches %s; the "
			    "accounts' \"from\" lines are:", envelope_from);
		add(out, "  account %s: from %s (%s)", a->id, a->from,
		    a->conffile ? a->conffile : "command line");
	}
	if (out->n == before)
		return 0;
	add(out, "add an account whose \"from\" matches %s (it may be a "
	    "pattern such as *@%s), or an account named \"default\"",
	    envelope_from, strchr(envelope_from, '@') ?
	    strchr(envelope_from, '@') + 1 : "example.org");
	return out->n - before;
}

char *advice_held(const struct account *acc,
    const struct deliver_report *rep)
{
	struct strlist hints;
	char *s = NULL;

	strlist_init(&hints);
	if (advice_for_delivery(acc, rep, &hints) > 0)
		s = strlist_join(&hints, "\n");
	strlist_free(&hints);
	return s;
}

/* is_detail - a line of detail ("  subject: ..."), for --show only. */
static int is_detail(const char *line)
{
	return strncmp(line, "  ", 2) == 0;
}

/* introduces_detail - line (len bytes, next after it) ends with ':' and
 * details follow. */
static int introduces_detail(const char *line, size_t len, const char *next)
{
	return len > 0 && line[len - 1] == ':' && next != NULL &&
	    is_detail(next);
}

char *advice_brief(const char *hint)
{
	const char *line = hint, *end, *next;
	struct buf b;
	size_t len;

	buf_init(&b);
	for (; line != NULL && *line != '\0'; line = next) {
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) : strlen(line);
		next = end ? end + 1 : NULL;
		if (is_detail(line) || (line != hint &&
		    introduces_detail(line, len, next)))
			continue;
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_append(&b, line, len);
	}
	return buf_steal(&b);
}
