/*
 * NAME
 *	select - account selection, %-patterns and final checks; see select.h.
 * DESCRIPTION
 *	Mirrors msmtp's main() (account choice, EMAIL/SMTPSERVER fallback),
 *	find_account_by_envelope_from() (as fixed in 1.8.24 for wildcards
 *	with a +detail address), its %U %H %C %M %F expansion and
 *	check_account(). Messages were checked against Debian's msmtp 1.8.23.
 * DIAGNOSTICS
 *	EX_CONFIG with a newly allocated message.
 */
#include "account/select.h"

#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define MAILNAME_FILE "/etc/mailname"

/* matches - one comparison of an account's from with an address. */
static int matches(const char *acc_from, const char *addr)
{
	if (strpbrk(acc_from, "?*[") != NULL)
		return fnmatch(acc_from, addr, 0) == 0;
	return strcasecmp(acc_from, addr) == 0;
}

/* strip_detail - user@dom for user+detail@dom, else NULL. */
static char *strip_detail(const char *addr)
{
	const char *plus = strchr(addr, '+'), *at = strrchr(addr, '@');

	if (plus == NULL || at == NULL || plus == addr || plus > at)
		return NULL;
	return xasprintf("%.*s%s", (int)(plus - addr), addr, at);
}

int select_from_matches(const char *acc_from, const char *addr)
{
	char *bare;
	int m;

	if (matches(acc_from, addr))
		return 1;
	if ((bare = strip_detail(addr)) == NULL)
		return 0;
	m = matches(acc_from, bare);
	free(bare);
	return m;
}

struct account *select_by_from(const struct conf *c, const char *addr)
{
	size_t i;

	for (i = 0; i < c->nacc; i++)
		if (c->acc[i]->from != NULL &&
		    select_from_matches(c->acc[i]->from, addr))
			return c->acc[i];
	return NULL;
}

/* not_found - msmtp's message for a missing account. */
static int not_found(const struct conf *c, const char *id, char **errstr)
{
	if (c->sysfile_loaded && c->userfile_loaded)
		*errstr = xasprintf("account %s not found in %s and %s", id,
		    c->sysfile, c->userfile);
	else if (c->sysfile_loaded || c->userfile_loaded)
		*errstr = xasprintf("account %s not found in %s", id,
		    c->sysfile_loaded ? c->sysfile : c->userfile);
	else
		*errstr = xasprintf("account %s not found: no configuration "
		    "file available", id);
	return EX_CONFIG;
}

/* env_account - the account msmtp builds from EMAIL and SMTPSERVER. */
static struct account *env_account(void)
{
	const char *email = getenv("EMAIL"), *server = getenv("SMTPSERVER");
	struct account *a;

	if (email == NULL || server == NULL)
		return NULL;
	a = account_new(NULL);
	a->host = xstrdup(server);
	a->from = xstrdup(email);
	a->mask |= ACC_MASK(ACC_HOST) | ACC_MASK(ACC_FROM);
	return a;
}

struct account *account_for_host(const char *host)
{
	struct account *a = account_new(NULL);

	free(a->host);
	a->host = xstrdup(host);
	a->mask |= ACC_MASK(ACC_HOST);
	return a;
}

int select_account(const struct conf *c, const char *id,
    const char *envelope_from, struct account **out,
    enum select_rule *rule, char **errstr)
{
	struct account *a;

	if (id != NULL) {
		if ((a = conf_find(c, id)) == NULL)
			return not_found(c, id, errstr);
		*rule = SELECT_BY_ID;
	} else if (envelope_from != NULL &&
	    (a = select_by_from(c, envelope_from)) != NULL) {
		*rule = SELECT_BY_FROM;
	} else if ((a = conf_find(c, "default")) != NULL) {
		*rule = SELECT_DEFAULT;
	} else if ((*out = env_account()) != NULL) {
		*rule = SELECT_ENV;
		return EX_OK;
	} else {
		return not_found(c, "default", errstr);
	}
	*out = account_copy(a, NULL);
	return EX_OK;
}

/*
 * The %-patterns.
 */

/* user_name - %U. */
static char *user_name(void)
{
	const char *s = getenv("USER");
	struct passwd *pw;

	if (s == NULL)
		s = getenv("LOGNAME");
	if (s == NULL && (pw = getpwuid(getuid())) != NULL)
		s = pw->pw_name;
	return xstrdup(s != NULL ? s : "unknown");
}

/* host_name - %H. */
static char *host_name(void)
{
	const char *s = getenv("HOSTNAME");
	char name[256];

	if (s != NULL)
		return xstrdup(s);
	if (gethostname(name, sizeof(name)) != 0)
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	return xstrdup(name);
}

/* canonical_name - %C: the canonical name of %H, or %H. */
static char *canonical_name(void)
{
	struct addrinfo hints, *res = NULL;
	char *host = host_name(), *canon;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return host;
	if (res->ai_canonname == NULL) {
		freeaddrinfo(res);
		return host;
	}
	canon = xstrdup(res->ai_canonname);
	freeaddrinfo(res);
	free(host);
	return canon;
}

/* mail_name - %M: the first line of the mailname file. */
static int mail_name(const char *file, char **out, char **errstr)
{
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t len;
	FILE *fp;
	int err;

	if ((fp = fopen(file, "re")) == NULL) {
		*errstr = xasprintf("%s: %s", file, strerror(errno));
		return EX_CONFIG;
	}
	errno = 0;
	len = getline(&line, &cap, fp);
	err = ferror(fp) && errno != 0 ? errno : EINVAL;
	fclose(fp);
	if (len < 0) {
		free(line);
		*errstr = xasprintf("%s: %s", file, strerror(err));
		return EX_CONFIG;
	}
	n = (size_t)len;
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	*out = line;
	return EX_OK;
}

/* pattern_value - the text for %c. */
static int pattern_value(char c, const struct expand_ctx *ctx, char **out,
    char **errstr)
{
	switch (c) {
	case 'U':
		*out = user_name();
		return EX_OK;
	case 'H':
		*out = host_name();
		return EX_OK;
	case 'C':
		*out = canonical_name();
		return EX_OK;
	case 'M':
		return mail_name(ctx != NULL && ctx->mailname_file != NULL ?
		    ctx->mailname_file : MAILNAME_FILE, out, errstr);
	default:
		*out = xstrdup(ctx != NULL && ctx->from_header != NULL ?
		    ctx->from_header : "");
		return EX_OK;
	}
}

/* expand - in with each %c of the letters in known replaced. */
static int expand(const char *in, const char *known,
    const struct expand_ctx *ctx, char **out, char **errstr)
{
	struct buf b;
	char *v;

	buf_init(&b);
	for (; *in != '\0'; in++) {
		if (in[0] != '%' || in[1] == '\0' ||
		    strchr(known, in[1]) == NULL) {
			buf_putc(&b, *in);
			continue;
		}
		if (pattern_value(*++in, ctx, &v, errstr) != EX_OK) {
			buf_free(&b);
			return EX_CONFIG;
		}
		buf_puts(&b, v);
		free(v);
	}
	*out = buf_steal(&b);
	return EX_OK;
}

int select_expand_from(const char *from, const struct expand_ctx *ctx,
    char **out, char **errstr)
{
	return expand(from, "UHCMF", ctx, out, errstr);
}

int select_expand_domain(const char *domain, const struct expand_ctx *ctx,
    char **out, char **errstr)
{
	return expand(domain, "HCM", ctx, out, errstr);
}

/* replace_expanded - *field expanded by fn, in place. */
static int replace_expanded(char **field, int (*fn)(const char *,
    const struct expand_ctx *, char **, char **),
    const struct expand_ctx *ctx, char **errstr)
{
	char *v;

	if (*field == NULL)
		return EX_OK;
	if (fn(*field, ctx, &v, errstr) != EX_OK)
		return EX_CONFIG;
	free(*field);
	*field = v;
	return EX_OK;
}

int account_expand(struct account *a, const struct expand_ctx *ctx,
    char **errstr)
{
	char *user;

	if (replace_expanded(&a->from, select_expand_from, ctx,
	    errstr) != EX_OK ||
	    replace_expanded(&a->domain, select_expand_domain, ctx,
	    errstr) != EX_OK)
		return EX_CONFIG;
	if (!a->auto_from)
		return EX_OK;
	user = user_name();
	free(a->from);
	if (a->maildomain != NULL && *a->maildomain != '\0') {
		a->from = xasprintf("%s@%s", user, a->maildomain);
		free(user);
	} else {
		a->from = user;
	}
	return EX_OK;
}

/*
 * Final checks.
 */

int account_port(const struct account *a)
{
	if (a->port != 0)
		return a->port;
	if (a->protocol != PROTO_SMTP)
		return 0;
	return a->tls && !a->tls_starttls ? 465 : 25;
}

void account_fill_defaults(struct account *a)
{
	a->port = account_port(a);
	if (a->proxy_host != NULL && a->proxy_port == 0)
		a->proxy_port = 1080;
}

/* check_problem - what msmtp's check_account() objects to, or NULL. */
static const char *check_problem(const struct account *a, int sendmail_mode)
{
	if (a->host == NULL && a->socket == NULL)
		return "host not set";
	if (account_port(a) == 0)
		return "port not set";
	if (sendmail_mode && a->from == NULL)
		return "envelope-from address is missing";
	if (a->tls_key_file != NULL && a->tls_cert_file == NULL)
		return "tls_key_file requires tls_cert_file";
	if (a->tls_key_file == NULL && a->tls_cert_file != NULL)
		return "tls_cert_file requires tls_key_file";
	if (a->tls && a->tls_trust_file == NULL &&
	    a->tls_fingerprint == NULL && a->tls_certcheck)
		return "tls requires either tls_trust_file (highly "
		    "recommended) or tls_fingerprint or a disabled "
		    "tls_certcheck";
	if (a->tls_crl_file != NULL && a->tls_trust_file == NULL)
		return "tls_crl_file requires tls_trust_file";
	return NULL;
}

int account_check(const struct account *a, int sendmail_mode,
    char **errstr)
{
	const char *problem = check_problem(a, sendmail_mode);

	if (problem == NULL)
		return EX_OK;
	if (a->conffile != NULL)
		*errstr = xasprintf("account %s from %s: %s",
		    a->id ? a->id : "", a->conffile, problem);
	else
		*errstr = xstrdup(problem);
	return EX_CONFIG;
}
