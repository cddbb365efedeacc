/*
 * certinfo - the facts of a server certificate, for the advice shown
 * when it fails verification; see certinfo.h.
 *
 * A file of its own, so that tls.c (the session and its checks) gains
 * only the accessor that hands out the certificate's bytes.
 */
#include "smtp/certinfo.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* printable - n bytes with anything not printable ASCII made '?'. */
static char *printable(const unsigned char *p, size_t n)
{
	char *s = xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	s[n] = '\0';
	return s;
}

/* dn_string - the subject (issuer 0) or issuer DN, or "". */
static char *dn_string(gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t dn = { NULL, 0 };
	char *s;
	int rc;

	rc = issuer ? gnutls_x509_crt_get_issuer_dn2(crt, &dn) :
	    gnutls_x509_crt_get_dn2(crt, &dn);
	if (rc != 0)
		return xstrdup("");
	s = printable(dn.data, dn.size);
	gnutls_free(dn.data);
	return s;
}

/* put_ip - an iPAddress SAN (4 or 16 bytes) in its usual text form. */
static void put_ip(struct buf *out, const unsigned char *p, size_t n)
{
	char text[INET6_ADDRSTRLEN];

	if ((n == 4 || n == 16) && inet_ntop(n == 4 ? AF_INET : AF_INET6, p,
	    text, sizeof(text)) != NULL)
		buf_puts(out, text);
	else
		buf_puts(out, "(an address of unknown form)");
}

/* san_names - the DNS names and IP addresses the certificate is for. */
static char *san_names(gnutls_x509_crt_t crt)
{
	unsigned char data[256];
	struct buf out;
	unsigned int seq;
	size_t size;
	char *s;
	int type;

	buf_init(&out);
	for (seq = 0; seq < 64; seq++) {
		size = sizeof(data);
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, data,
		    &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0 || (type != GNUTLS_SAN_DNSNAME &&
		    type != GNUTLS_SAN_IPADDRESS))
			continue;
		if (out.len > 0)
			buf_puts(&out, ", ");
		if (type == GNUTLS_SAN_IPADDRESS) {
			put_ip(&out, data, size);
			continue;
		}
		s = printable(data, size);
		buf_puts(&out, s);
		free(s);
	}
	s = xstrdup(out.len > 0 ? out.data : "");
	buf_free(&out);
	return s;
}

/* sha256_hex - the fingerprint as "AB:CD:..."; 0 on success. */
static int sha256_hex(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	unsigned char fpr[32];
	size_t size = sizeof(fpr), i, pos = 0;

	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fpr,
	    &size) != 0 || size != sizeof(fpr) || outlen < 3 * size)
		return -1;
	for (i = 0; i < size; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%s%02X",
		    i ? ":" : "", fpr[i]);
	return 0;
}

int certinfo_read(const unsigned char *der, size_t len, struct certinfo *ci)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;

	memset(ci, 0, sizeof(*ci));
	if (der == NULL || len == 0 || gnutls_x509_crt_init(&crt) < 0)
		return -1;
	d.data = (unsigned char *)der;
	d.size = (unsigned int)len;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    sha256_hex(crt, ci->sha256, sizeof(ci->sha256)) < 0) {
		gnutls_x509_crt_deinit(crt);
		memset(ci, 0, sizeof(*ci));
		return -1;
	}
	ci->subject = dn_string(crt, 0);
	ci->issuer = dn_string(crt, 1);
	ci->names = san_names(crt);
	ci->not_before = gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = gnutls_x509_crt_get_expiration_time(crt);
	ci->have = 1;
	gnutls_x509_crt_deinit(crt);
	return 0;
}

void certinfo_copy(struct certinfo *dst, const struct certinfo *src)
{
	*dst = *src;
	if (!src->have)
		return;
	dst->subject = xstrdup(src->subject);
	dst->issuer = xstrdup(src->issuer);
	dst->names = xstrdup(src->names);
}

void certinfo_free(struct certinfo *ci)
{
	free(ci->subject);
	free(ci->issuer);
	free(ci->names);
	memset(ci, 0, sizeof(*ci));
}
