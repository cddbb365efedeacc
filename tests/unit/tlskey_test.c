/*
 * tlskey_test - the key a TLS session is kept under: each setting that
 * names the server identity or the checks makes another key, so that a
 * session is never offered to another server or under other trust.
 */
#include <stdlib.h>
#include <string.h>

#include "delivery/deliver.h"
#include "unit.h"

static void base(struct smtp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = "mail.example.org";
	p->port = 587;
	p->tls = 1;
	p->starttls = 1;
	p->tls_params.hostname = "mail.example.org";
	p->tls_params.trust_file = "/etc/ssl/ca.pem";
	p->tls_params.certcheck = 1;
}

/* differs - whether change() gives another key than the base. */
static int differs(void (*change)(struct smtp_params *))
{
	struct smtp_params a, b;
	char *ka, *kb;
	int d;

	base(&a);
	base(&b);
	change(&b);
	ka = deliver_tls_key(&a);
	kb = deliver_tls_key(&b);
	d = strcmp(ka, kb) != 0;
	free(ka);
	free(kb);
	return d;
}

static void c_host(struct smtp_params *p) { p->host = "other.example.org"; }
static void c_port(struct smtp_params *p) { p->port = 465; }
static void c_sni(struct smtp_params *p)
{
	p->tls_params.hostname = "localhost";
}
static void c_trust(struct smtp_params *p)
{
	p->tls_params.trust_file = "system";
}
static void c_crl(struct smtp_params *p) { p->tls_params.crl_file = "c"; }
static void c_fpr(struct smtp_params *p)
{
	p->tls_params.fingerprint = "AA:BB";
}
static void c_check(struct smtp_params *p) { p->tls_params.certcheck = 0; }
static void c_cert(struct smtp_params *p) { p->tls_params.cert_file = "c"; }
static void c_key(struct smtp_params *p) { p->tls_params.key_file = "k"; }
static void c_prio(struct smtp_params *p)
{
	p->tls_params.priorities = "NORMAL";
}
static void c_dh(struct smtp_params *p) { p->tls_params.min_dh_prime_bits = 1; }
static void c_starttls(struct smtp_params *p) { p->starttls = 0; }
static void c_socket(struct smtp_params *p) { p->route.socket = "/s"; }
static void c_proxy(struct smtp_params *p) { p->route.proxy_host = "px"; }
static void c_proxy_port(struct smtp_params *p) { p->route.proxy_port = 1; }
static void c_none(struct smtp_params *p) { (void)p; }

static void test_every_setting_counts(void)
{
	CHECK(!differs(c_none));
	CHECK(differs(c_host));
	CHECK(differs(c_port));
	CHECK(differs(c_sni));
	CHECK(differs(c_trust));
	CHECK(differs(c_crl));
	CHECK(differs(c_fpr));
	CHECK(differs(c_check));
	CHECK(differs(c_cert));
	CHECK(differs(c_key));
	CHECK(differs(c_prio));
	CHECK(differs(c_dh));
	CHECK(differs(c_starttls));
	CHECK(differs(c_socket));
	CHECK(differs(c_proxy));
	CHECK(differs(c_proxy_port));
}

/* A value holding what separates fields cannot pass for two fields. */
static void test_no_field_passes_for_another(void)
{
	struct smtp_params a, b;
	char *ka, *kb;

	base(&a);
	base(&b);
	a.tls_params.cert_file = "x\"\nkey_file=\"y";
	b.tls_params.cert_file = "x";
	b.tls_params.key_file = "y";
	ka = deliver_tls_key(&a);
	kb = deliver_tls_key(&b);
	CHECK(strcmp(ka, kb) != 0);
	CHECK(strstr(ka, "cert_file=\"x\\\"\\nkey_file=\\\"y\"\n") != NULL);
	free(ka);
	free(kb);
	base(&a);
	a.tls_params.crl_file = "-";	/* not the same as none */
	ka = deliver_tls_key(&a);
	base(&b);
	kb = deliver_tls_key(&b);
	CHECK(strcmp(ka, kb) != 0);
	free(ka);
	free(kb);
}

UNIT_MAIN(UNIT_CASE(test_every_setting_counts),
    UNIT_CASE(test_no_field_passes_for_another))
