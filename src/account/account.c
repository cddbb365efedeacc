/*
 * account - one resolved msmtp account; see account.h.
 *
 * Every setting is described once, in the fields[] table below (its ACC_*
 * bit, where it lives and whether it is a string), so that freeing,
 * copying and merging are loops over that table rather than one line per
 * field that a new setting could be forgotten in.
 */
#include "account/account.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/harden.h"
#include "util/xalloc.h"

struct field {
	int	 bit;		/* ACC_* */
	size_t	 off;		/* offsetof(struct account, ...) */
	int	 is_str;	/* char * (owned) rather than int; SECRET:
				   wiped before it is freed */
};

#define SECRET	2

#define S(bit, name)	{ bit, offsetof(struct account, name), 1 }
#define I(bit, name)	{ bit, offsetof(struct account, name), 0 }
#define P(bit, name)	{ bit, offsetof(struct account, name), SECRET }

static const struct field fields[] = {
	S(ACC_HOST, host),
	I(ACC_PORT, port),
	S(ACC_SOURCE_IP, source_ip),
	S(ACC_PROXY_HOST, proxy_host),
	I(ACC_PROXY_PORT, proxy_port),
	S(ACC_SOCKET, socket),
	I(ACC_TIMEOUT, timeout),
	I(ACC_PROTOCOL, protocol),
	S(ACC_DOMAIN, domain),
	S(ACC_AUTH, auth_mech),
	S(ACC_USER, user),
	P(ACC_PASSWORD, password),
	S(ACC_PASSWORDEVAL, passwordeval),
	S(ACC_NTLMDOMAIN, ntlmdomain),
	I(ACC_TLS, tls),
	I(ACC_TLS_STARTTLS, tls_starttls),
	S(ACC_TLS_TRUST_FILE, tls_trust_file),
	S(ACC_TLS_CRL_FILE, tls_crl_file),
	S(ACC_TLS_FINGERPRINT, tls_fingerprint),
	S(ACC_TLS_KEY_FILE, tls_key_file),
	S(ACC_TLS_CERT_FILE, tls_cert_file),
	I(ACC_TLS_CERTCHECK, tls_certcheck),
	S(ACC_TLS_PRIORITIES, tls_priorities),
	S(ACC_TLS_HOST_OVERRIDE, tls_host_override),
	I(ACC_TLS_MIN_DH_PRIME_BITS, tls_min_dh_prime_bits),
	S(ACC_FROM, from),
	S(ACC_FROM_FULL_NAME, from_full_name),
	I(ACC_ALLOW_FROM_OVERRIDE, allow_from_override),
	S(ACC_DSN_NOTIFY, dsn_notify),
	S(ACC_DSN_RETURN, dsn_return),
	I(ACC_SET_FROM_HEADER, set_from_header),
	I(ACC_SET_DATE_HEADER, set_date_header),
	I(ACC_SET_MSGID_HEADER, set_msgid_header),
	I(ACC_SET_TO_HEADER, set_to_header),
	I(ACC_REMOVE_BCC_HEADERS, remove_bcc_headers),
	S(ACC_LOGFILE, logfile),
	S(ACC_LOGFILE_TIME_FORMAT, logfile_time_format),
	S(ACC_SYSLOG, syslog),
	S(ACC_ALIASES, aliases),
	I(ACC_AUTO_FROM, auto_from),
	S(ACC_MAILDOMAIN, maildomain),
	I(ACC_QUEUE, queue),
	S(ACC_QUEUE_FILE, queue_file),
	I(ACC_DELIVERY_MODE, delivery_mode),
	I(ACC_QUEUE_BACKOFF_MIN, queue_backoff_min),
	I(ACC_QUEUE_BACKOFF_MAX, queue_backoff_max),
	I(ACC_QUEUE_LIFETIME, queue_lifetime),
	I(ACC_QUEUE_UNCERTAIN, queue_uncertain),
	I(ACC_QUEUE_MAX_CONNECTIONS, queue_max_connections),
	I(ACC_QUEUE_BOUNCE, queue_bounce),
	S(ACC_RMQS, rmqs),
	I(ACC_QUEUE_KEEP_SENT, queue_keep_sent),
	S(ACC_QUEUE_NOTIFY, queue_notify),
	S(ACC_OAUTH2_PROVIDER, oauth2_provider),
	S(ACC_OAUTH2_CLIENT_ID, oauth2_client_id),
	P(ACC_OAUTH2_CLIENT_SECRET, oauth2_client_secret),
	S(ACC_OAUTH2_CLIENT_SECRETEVAL, oauth2_client_secreteval),
	S(ACC_OAUTH2_AUTH_URL, oauth2_auth_url),
	S(ACC_OAUTH2_TOKEN_URL, oauth2_token_url),
	S(ACC_OAUTH2_DEVICE_URL, oauth2_device_url),
	S(ACC_OAUTH2_SCOPE, oauth2_scope),
};

#undef S
#undef P
#undef I

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* at - where field f lives in a (the const is the caller's to keep). */
static void *at(const struct account *a, const struct field *f)
{
	return (char *)a + f->off;
}

/* free_field - free string field f of a, wiping it first if secret. */
static void free_field(struct account *a, const struct field *f)
{
	char **p = at(a, f);

	if (f->is_str == SECRET)
		wipe_free(*p);
	else
		free(*p);
	*p = NULL;
}

/* copy_field - set field f of dst to that of src, deep-copying strings. */
static void copy_field(struct account *dst, const struct account *src,
    const struct field *f)
{
	char **d, *s;

	if (!f->is_str) {
		*(int *)at(dst, f) = *(const int *)at(src, f);
		return;
	}
	d = at(dst, f);
	s = *(char *const *)at(src, f);
	free_field(dst, f);
	*d = s ? xstrdup(s) : NULL;
}

struct account *account_new(const char *id)
{
	struct account *a = xcalloc(1, sizeof(*a));

	a->id = id ? xstrdup(id) : NULL;
	a->domain = xstrdup("localhost");
	a->tls_starttls = 1;
	a->tls_trust_file = xstrdup("system");
	a->tls_certcheck = 1;
	a->allow_from_override = 1;
	a->set_from_header = SET_FROM_AUTO;
	a->set_date_header = 1;
	a->set_msgid_header = 1;
	a->set_to_header = SET_TO_OFF;
	a->remove_bcc_headers = 1;
	a->queue = 1;
	a->delivery_mode = DELIVER_INTERACTIVE;
	a->queue_backoff_min = 60;
	a->queue_backoff_max = 3600;
	a->queue_lifetime = 5 * 24 * 3600;
	a->queue_uncertain = UNCERTAIN_RESEND;
	a->queue_max_connections = 2;
	a->queue_bounce = 1;
	a->queue_keep_sent = 7 * 24 * 3600;
	return a;
}

void account_free(struct account *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].is_str)
			free_field(a, &fields[i]);
	free(a->id);
	free(a->conffile);
	free(a);
}

struct account *account_copy(const struct account *a, const char *id)
{
	struct account *c = account_new(id ? id : a->id);
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		copy_field(c, a, &fields[i]);
	c->conffile = a->conffile ? xstrdup(a->conffile) : NULL;
	c->mask = a->mask;
	return c;
}

void account_merge(struct account *dst, const struct account *src)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (src->mask & ACC_MASK(fields[i].bit))
			copy_field(dst, src, &fields[i]);
	dst->mask |= src->mask;
}
