/*
 * tlsresume - the engine's side of TLS session resumption: the key a
 * session is kept under, the session offered, the session kept; see
 * deliver.h (deliver_tls_*) and, for where sessions are kept,
 * delivery/tlscache.h.
 *
 * SECURITY: a session is offered only to the identity it came from: the
 * key names every setting of the connection and of its checks (so a
 * session is never offered to another host, port, SNI name, or under
 * other trust settings), and only a session whose certificate passed
 * its checks is kept (the session gives none before CONN_TLS_READY).
 * Resuming does not skip the checks either: tls.c verifies the
 * certificate the session data carries, as it does a new one.
 */
#include "delivery/deliver.h"

#include <stdlib.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* put_field - one field of the key: "name=value\n", value NULL as "-",
 * and any line break in a value escaped so that no two settings give the
 * same key. */
static void put_field(struct buf *b, const char *name, const char *value)
{
	const char *p;

	buf_printf(b, "%s=", name);
	if (value == NULL) {
		buf_puts(b, "-\n");
		return;
	}
	buf_putc(b, '"');
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"' || *p == '\n')
			buf_putc(b, '\\');
		buf_putc(b, *p == '\n' ? 'n' : *p);
	}
	buf_puts(b, "\"\n");
}

char *deliver_tls_key(const struct smtp_params *p)
{
	const struct tls_params *t = &p->tls_params;
	struct buf b;
	char *key;

	buf_init(&b);
	put_field(&b, "host", p->host);
	buf_printf(&b, "port=%d\n", p->port);
	put_field(&b, "socket", p->route.socket);
	put_field(&b, "proxy", p->route.proxy_host);
	buf_printf(&b, "proxy_port=%d\n", p->route.proxy_port);
	buf_printf(&b, "tls=%d starttls=%d lmtp=%d\n", p->tls, p->starttls,
	    p->lmtp);
	put_field(&b, "sni", t->hostname);
	put_field(&b, "trust_file", t->trust_file);
	put_field(&b, "crl_file", t->crl_file);
	put_field(&b, "fingerprint", t->fingerprint);
	buf_printf(&b, "certcheck=%d\n", t->certcheck);
	put_field(&b, "cert_file", t->cert_file);
	put_field(&b, "key_file", t->key_file);
	put_field(&b, "priorities", t->priorities);
	buf_printf(&b, "min_dh_prime_bits=%d\n", t->min_dh_prime_bits);
	key = xstrndup(b.data, b.len);
	buf_free(&b);
	return key;
}

void deliver_tls_offer(const struct deliver_job *job, struct deliver_setup *su)
{
	const struct deliver_tls_cache *c = job->tls_cache;
	size_t len = 0;

	if (c == NULL || !su->params.tls)
		return;
	su->tls_key = deliver_tls_key(&su->params);
	su->tls_resume = c->load(c->arg, su->tls_key, &len);
	if (su->tls_resume == NULL)
		return;
	su->params.tls_params.resume = su->tls_resume;
	su->params.tls_params.resume_len = len;
}

void deliver_tls_keep(const struct deliver_job *job,
    struct deliver_setup *su, struct smtp_session *s)
{
	const struct deliver_tls_cache *c = job->tls_cache;
	const unsigned char *data;
	size_t len = 0;
	time_t expires = 0;
	int resumed;

	if (c == NULL || su->tls_key == NULL || s == NULL)
		return;
	resumed = smtp_session_tls_resumed(s);
	if (resumed < 0)
		return;		/* TLS never came up (or failed its checks) */
	data = smtp_session_tls_ticket(s, &len, &expires);
	c->store(c->arg, su->tls_key, data, data ? len : 0, expires,
	    su->tls_counted ? -1 : resumed);
	su->tls_counted = 1;
}
