/*
 * tls - GnuTLS over in-memory buffers; see tls.h.
 *
 * The messages are msmtp 1.8.23's (its mtls-gnutls.c), so that a failure
 * reads the same; verification follows the same rules.
 *
 * SECURITY: ciphertext from the network is parsed by GnuTLS only. The
 * verification result is final: tls_handshake() never reports TLS_DONE
 * for a certificate that failed a check that was asked for. The DNs
 * shown by tls_info() are made printable ('?' for anything else).
 */
#include "smtp/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "util/hex.h"
#include "util/xalloc.h"

#define VERIFY_FAILED	"TLS certificate verification failed"

struct tls {
	gnutls_session_t			 session;
	gnutls_certificate_credentials_t	 cred;
	struct buf				 in;	/* received */
	size_t					 in_off;
	int					 eof;
	struct buf				 out;	/* to send */
	char					*hostname;
	unsigned char				 fpr[32];
	size_t					 fpr_len;
	int					 certcheck;
	int					 have_trust;
};

/* pull - GnuTLS reads what tls_feed() gave, or waits for more. */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct tls *t = ptr;
	size_t avail = t->in.len - t->in_off;

	if (avail == 0) {
		if (t->eof)
			return 0;
		gnutls_transport_set_errno(t->session, EAGAIN);
		return -1;
	}
	if (len > avail)
		len = avail;
	memcpy(data, t->in.data + t->in_off, len);
	t->in_off += len;
	if (t->in_off == t->in.len) {
		buf_reset(&t->in);
		t->in_off = 0;
	}
	return (ssize_t)len;
}

/* push - GnuTLS's output is kept for the transport to send. */
static ssize_t push(gnutls_transport_ptr_t ptr, const void *data,
    size_t len)
{
	struct tls *t = ptr;

	buf_append(&t->out, data, len);
	return (ssize_t)len;
}

/* set_err - *errstr and *terr for a failure; always returns -1. */
static int set_err(enum smtp_terr *terr, enum smtp_terr what, char **errstr,
    char *msg)
{
	*terr = what;
	*errstr = msg;
	return -1;
}

/* parse_fingerprint - "AB:CD:..." into bytes; the count, 0 if invalid. */
static size_t parse_fingerprint(const char *s, unsigned char *out,
    size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0' && n < max) {
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0)
			return 0;
		out[n++] = (unsigned char)(hi * 16 + lo);
		s += 2;
		if (*s == ':' || *s == ' ')
			s++;
	}
	if (*s != '\0' || (n != 16 && n != 20 && n != 32))
		return 0;
	return n;
}

/* set_priorities - tls_priorities, or the system's default. */
static int set_priorities(struct tls *t, const char *prio,
    enum smtp_terr *terr, char **errstr)
{
	const char *errpos = NULL;
	int e;

	if (prio == NULL) {
		e = gnutls_set_default_priority(t->session);
		if (e == 0)
			return 0;
		return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "cannot set default priority for TLS session: %s",
		    gnutls_strerror(e)));
	}
	e = gnutls_priority_set_direct(t->session, prio, &errpos);
	if (e == 0)
		return 0;
	if (errpos != NULL)
		return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "cannot set priorities for TLS session: error in "
		    "priority string at position %d",
		    (int)(errpos - prio + 1)));
	return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
	    "cannot set priorities for TLS session: %s", gnutls_strerror(e)));
}

/* set_trust - the trust store and CRL, when they will be used. */
static int set_trust(struct tls *t, const struct tls_params *p,
    enum smtp_terr *terr, char **errstr)
{
	gnutls_certificate_credentials_t c = t->cred;
	int e;

	if (p->trust_file == NULL || !p->certcheck || p->fingerprint != NULL)
		return 0;
	if (strcmp(p->trust_file, "system") == 0) {
		e = gnutls_certificate_set_x509_system_trust(c);
		if (e < 0)
			return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
			    "cannot set X509 system trust for TLS session: "
			    "%s", gnutls_strerror(e)));
	} else {
		e = gnutls_certificate_set_x509_trust_file(c, p->trust_file,
		    GNUTLS_X509_FMT_PEM);
		if (e <= 0)
			return set_err(terr, TERR_TLS_FILE, errstr, xasprintf(
			    "cannot set X509 trust file %s for TLS session: "
			    "%s", p->trust_file, gnutls_strerror(e)));
	}
	if (p->crl_file != NULL) {
		e = gnutls_certificate_set_x509_crl_file(c, p->crl_file,
		    GNUTLS_X509_FMT_PEM);
		if (e < 0)
			return set_err(terr, TERR_TLS_FILE, errstr, xasprintf(
			    "cannot set X509 CRL file %s for TLS session: %s",
			    p->crl_file, gnutls_strerror(e)));
	}
	t->have_trust = 1;
	return 0;
}

/* set_credentials - client certificate, trust, fingerprint. */
static int set_credentials(struct tls *t, const struct tls_params *p,
    enum smtp_terr *terr, char **errstr)
{
	int e;

	e = gnutls_certificate_allocate_credentials(&t->cred);
	if (e < 0) {
		t->cred = NULL;
		return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "cannot allocate certificate for TLS session: %s",
		    gnutls_strerror(e)));
	}
	if (p->key_file != NULL && p->cert_file != NULL) {
		e = gnutls_certificate_set_x509_key_file(t->cred,
		    p->cert_file, p->key_file, GNUTLS_X509_FMT_PEM);
		if (e < 0)
			return set_err(terr, TERR_TLS_FILE, errstr, xasprintf(
			    "cannot set X509 key file %s and/or X509 cert "
			    "file %s for TLS session: %s", p->key_file,
			    p->cert_file, gnutls_strerror(e)));
	}
	if (set_trust(t, p, terr, errstr) < 0)
		return -1;
	if (p->fingerprint != NULL && p->certcheck) {
		t->fpr_len = parse_fingerprint(p->fingerprint, t->fpr,
		    sizeof(t->fpr));
		if (t->fpr_len == 0)
			return set_err(terr, TERR_CONFIG, errstr, xasprintf(
			    "invalid fingerprint %s", p->fingerprint));
	}
	e = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    t->cred);
	if (e < 0)
		return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "cannot set credentials for TLS session: %s",
		    gnutls_strerror(e)));
	return 0;
}

/*
 * Session data is kept outside this process (the spool), where it can be
 * damaged, and GnuTLS's unpacking of its own format trusts it: damaged
 * data crashed it (test_tls_resume.py). So the data handed out starts
 * with the SHA-256 of the rest, and data whose digest does not match is
 * never given to GnuTLS.
 */
#define SEAL_LEN	32

/* offer_session - resume the session p->resume describes, if its seal
 * holds and GnuTLS can; anything else means a full handshake. */
static void offer_session(struct tls *t, const struct tls_params *p)
{
	unsigned char digest[SEAL_LEN];

	if (p->resume == NULL || p->resume_len <= SEAL_LEN)
		return;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p->resume + SEAL_LEN,
	    p->resume_len - SEAL_LEN, digest) < 0 ||
	    memcmp(digest, p->resume, SEAL_LEN) != 0)
		return;
	(void)gnutls_session_set_data(t->session, p->resume + SEAL_LEN,
	    p->resume_len - SEAL_LEN);
}

int tls_new(const struct tls_params *p, struct tls **out,
    enum smtp_terr *terr, char **errstr)
{
	struct tls *t = xcalloc(1, sizeof(*t));
	int e;

	buf_init(&t->in);
	buf_init(&t->out);
	t->hostname = xstrdup(p->hostname ? p->hostname : "");
	t->certcheck = p->certcheck;
	e = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (e != 0) {
		t->session = NULL;
		tls_free(t);
		return set_err(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "cannot initialize TLS session: %s", gnutls_strerror(e)));
	}
	if (set_priorities(t, p->priorities, terr, errstr) < 0 ||
	    set_credentials(t, p, terr, errstr) < 0) {
		tls_free(t);
		return -1;
	}
	if (p->min_dh_prime_bits > 0)
		gnutls_dh_set_prime_bits(t->session,
		    (unsigned)p->min_dh_prime_bits);
	if (t->hostname[0] != '\0')
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
		    t->hostname, strlen(t->hostname));
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_push_function(t->session, push);
	gnutls_transport_set_pull_function(t->session, pull);
	offer_session(t, p);
	*out = t;
	return 0;
}

void tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->session != NULL)
		gnutls_deinit(t->session);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	buf_free(&t->in);
	buf_free(&t->out);
	free(t->hostname);
	free(t);
}

void tls_feed(struct tls *t, const char *data, size_t len)
{
	if (len == 0)
		t->eof = 1;
	else
		buf_append(&t->in, data, len);
}

/* tls_take - a read's bytes are usually all GnuTLS has pending, so
 * the storage changes hands instead of the bytes being copied. */
void tls_take(struct tls *t, struct buf *b)
{
	struct buf spare;

	if (b->len == 0)
		return;
	if (t->in.len > 0) {
		buf_append(&t->in, b->data, b->len);
		buf_reset(b);
		return;
	}
	spare = t->in;
	t->in = *b;
	t->in.data[t->in.len] = '\0';
	t->in_off = 0;
	*b = spare;
	buf_reset(b);
}

struct buf *tls_output(struct tls *t)
{
	return &t->out;
}

/* peer_cert - the server's own certificate, imported; NULL on error. */
static gnutls_x509_crt_t peer_cert(struct tls *t, const char *what,
    char **errstr)
{
	const gnutls_datum_t *list;
	unsigned int n = 0;
	gnutls_x509_crt_t crt;

	list = gnutls_certificate_get_peers(t->session, &n);
	if (list == NULL || n == 0) {
		*errstr = xasprintf("%s: no certificate was found", what);
		return NULL;
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		*errstr = xasprintf("%s: cannot initialize certificate "
		    "structure", what);
		return NULL;
	}
	if (gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		*errstr = xasprintf("%s: error parsing certificate %u of %u",
		    what, 1u, n);
		return NULL;
	}
	return crt;
}

/* check_fingerprint - the server's certificate is the one pinned. */
static int check_fingerprint(struct tls *t, char **errstr)
{
	unsigned char fpr[32];
	size_t size = t->fpr_len;
	gnutls_digest_algorithm_t algo;
	gnutls_x509_crt_t crt;
	const char *name;

	algo = size == 32 ? GNUTLS_DIG_SHA256 : size == 20 ? GNUTLS_DIG_SHA1 :
	    GNUTLS_DIG_MD5;
	name = size == 32 ? "SHA256" : size == 20 ? "SHA1" : "MD5";
	if ((crt = peer_cert(t, VERIFY_FAILED, errstr)) == NULL)
		return -1;
	if (gnutls_x509_crt_get_fingerprint(crt, algo, fpr, &size) != 0) {
		gnutls_x509_crt_deinit(crt);
		*errstr = xasprintf("%s: error getting %s fingerprint",
		    VERIFY_FAILED, name);
		return -1;
	}
	gnutls_x509_crt_deinit(crt);
	if (size != t->fpr_len || memcmp(fpr, t->fpr, size) != 0) {
		*errstr = xasprintf("%s: the certificate fingerprint does "
		    "not match", VERIFY_FAILED);
		return -1;
	}
	return 0;
}

/* check_cert - msmtp's rules: see tls.h. */
static int check_cert(struct tls *t, char **errstr)
{
	gnutls_datum_t txt;
	unsigned int status = 0;
	int e;

	if (!t->certcheck)
		return 0;
	if (t->fpr_len > 0)
		return check_fingerprint(t, errstr);
	e = gnutls_certificate_verify_peers3(t->session, t->hostname,
	    &status);
	if (e != 0) {
		*errstr = xasprintf("%s: %s", VERIFY_FAILED,
		    gnutls_strerror(e));
		return -1;
	}
	if (!t->have_trust || status == 0)
		return 0;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &txt, 0) < 0) {
		*errstr = xasprintf("%s: status %#x", VERIFY_FAILED, status);
		return -1;
	}
	*errstr = xasprintf("%s: %s", VERIFY_FAILED, (char *)txt.data);
	gnutls_free(txt.data);
	return -1;
}

int tls_handshake(struct tls *t, enum smtp_terr *terr, char **errstr)
{
	int e;

	do
		e = gnutls_handshake(t->session);
	while (e < 0 && e != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(e));
	if (e == GNUTLS_E_AGAIN)
		return TLS_AGAIN;
	if (e < 0)
		return set_err(terr, TERR_TLS, errstr, xasprintf(
		    "TLS handshake failed: %s", gnutls_strerror(e)));
	if (check_cert(t, errstr) < 0) {
		*terr = TERR_TLS_VERIFY;
		return TLS_FAIL;
	}
	return TLS_DONE;
}

int tls_send(struct tls *t, const char *data, size_t len, char **errstr)
{
	ssize_t n;

	while (len > 0) {
		n = gnutls_record_send(t->session, data, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0) {
			*errstr = xasprintf("cannot write to TLS connection: "
			    "%s", gnutls_strerror((int)n));
			return TLS_FAIL;
		}
		data += n;
		len -= (size_t)n;
	}
	return TLS_DONE;
}

ssize_t tls_recv(struct tls *t, char *buf, size_t len, char **errstr)
{
	size_t before;
	ssize_t n;

	for (;;) {
		before = t->in.len - t->in_off;
		n = gnutls_record_recv(t->session, buf, len);
		if (n >= 0)
			return n;
		/* GnuTLS also says "again" after a post-handshake message
		 * (a TLS 1.3 session ticket) with more records behind it:
		 * go on while it makes progress. */
		if (n == GNUTLS_E_AGAIN && (gnutls_record_check_pending(
		    t->session) > 0 || (t->in.len - t->in_off > 0 &&
		    t->in.len - t->in_off < before)))
			continue;
		if (n == GNUTLS_E_AGAIN)
			return TLS_AGAIN;
		/* A renegotiation request or a warning alert: go on. */
		if (!gnutls_error_is_fatal((int)n))
			continue;
		*errstr = xasprintf("cannot read from TLS connection: %s",
		    gnutls_strerror((int)n));
		return TLS_FAIL;
	}
}

int tls_resumed(struct tls *t)
{
	return gnutls_session_is_resumed(t->session) != 0;
}

/* The longest a session is kept, whatever GnuTLS says of it. GnuTLS
 * dates session data by its own cache expiry (6 hours by default); a
 * TLS 1.3 ticket also carries the server's ticket_lifetime and its
 * arrival time, and GnuTLS does not offer a ticket past them (it makes
 * a full handshake instead), as RFC 8446, 4.6.1 wants. */
#define SESSION_MAX_LIFETIME	(24 * 3600)

unsigned char *tls_session_data(struct tls *t, size_t *len,
    time_t *expires)
{
	gnutls_datum_t d;
	unsigned char *copy;
	time_t now = time(NULL), until;

	/* Under TLS 1.3 the session is the server's ticket, which comes
	 * after the handshake; without one, gnutls_session_get_data2()
	 * would read on (and give data that cannot resume). */
	if (gnutls_protocol_get_version(t->session) == GNUTLS_TLS1_3 &&
	    !(gnutls_session_get_flags(t->session) &
	    GNUTLS_SFLAGS_SESSION_TICKET))
		return NULL;
	if (gnutls_session_get_data2(t->session, &d) < 0 || d.size == 0)
		return NULL;
	until = gnutls_db_check_entry_expire_time(&d);
	if (until != 0 && until <= now) {
		gnutls_free(d.data);
		return NULL;
	}
	if (until == 0 || until > now + SESSION_MAX_LIFETIME)
		until = now + SESSION_MAX_LIFETIME;
	copy = xmalloc(SEAL_LEN + d.size);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, d.data, d.size, copy) < 0) {
		free(copy);
		gnutls_free(d.data);
		return NULL;
	}
	memcpy(copy + SEAL_LEN, d.data, d.size);
	*len = SEAL_LEN + d.size;
	*expires = until;
	gnutls_free(d.data);
	return copy;
}

void tls_bye(struct tls *t)
{
	(void)gnutls_bye(t->session, GNUTLS_SHUT_WR);
}

/* printable - s with anything not printable ASCII replaced by '?'. */
static char *printable(const gnutls_datum_t *d)
{
	char *s = xmalloc(d->size + 1);
	unsigned int i;

	for (i = 0; i < d->size; i++)
		s[i] = d->data[i] >= 0x20 && d->data[i] < 0x7f ?
		    (char)d->data[i] : '?';
	s[d->size] = '\0';
	return s;
}

/* cert_info - the certificate part of tls_info(). */
static int cert_info(gnutls_x509_crt_t crt, struct tls_info *info,
    char **errstr)
{
	const char *what = "cannot get TLS certificate info";
	gnutls_datum_t dn;
	size_t size;

	size = sizeof(info->sha256);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256,
	    info->sha256, &size) != 0) {
		*errstr = xasprintf("%s: error getting SHA256 fingerprint",
		    what);
		return -1;
	}
	size = sizeof(info->sha1);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1,
	    info->sha1, &size) != 0) {
		*errstr = xasprintf("%s: error getting SHA1 fingerprint",
		    what);
		return -1;
	}
	info->activation = gnutls_x509_crt_get_activation_time(crt);
	info->expiration = gnutls_x509_crt_get_expiration_time(crt);
	if (gnutls_x509_crt_get_dn2(crt, &dn) == 0) {
		info->subject = printable(&dn);
		gnutls_free(dn.data);
	}
	if (gnutls_x509_crt_get_issuer_dn2(crt, &dn) == 0) {
		info->issuer = printable(&dn);
		gnutls_free(dn.data);
	}
	return 0;
}

int tls_info(struct tls *t, struct tls_info *info, char **errstr)
{
	gnutls_x509_crt_t crt;
	char *desc;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((crt = peer_cert(t, "cannot get TLS certificate info",
	    errstr)) == NULL)
		return -1;
	rc = cert_info(crt, info, errstr);
	gnutls_x509_crt_deinit(crt);
	desc = gnutls_session_get_desc(t->session);
	if (desc != NULL) {
		info->desc = xstrdup(desc);
		gnutls_free(desc);
	}
	if (rc < 0)
		tls_info_free(info);
	return rc;
}

void tls_info_free(struct tls_info *info)
{
	free(info->desc);
	free(info->subject);
	free(info->issuer);
	memset(info, 0, sizeof(*info));
}

/* put_hex - bytes as "AB:CD:..." */
static void put_hex(struct buf *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(out, "%s%02X", i ? ":" : "", p[i]);
}

/* put_time - t in local time as strftime's %c in the C locale (this
 * program does not call setlocale()). */
static void put_time(struct buf *out, time_t t)
{
	char tb[128];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(tb, sizeof(tb), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		tb[0] = '\0';
	buf_puts(out, tb);
}

void tls_info_format(const struct tls_info *info, struct buf *out)
{
	buf_printf(out, "TLS session parameters:\n    %s\n",
	    info->desc ? info->desc : "not available");
	buf_puts(out, "TLS certificate information:\n");
	buf_printf(out, "    Subject:\n        %s\n",
	    info->subject ? info->subject : "");
	buf_printf(out, "    Issuer:\n        %s\n",
	    info->issuer ? info->issuer : "");
	buf_puts(out, "    Validity:\n        Activation time: ");
	put_time(out, info->activation);
	buf_puts(out, "\n        Expiration time: ");
	put_time(out, info->expiration);
	buf_puts(out, "\n    Fingerprints:\n        SHA256: ");
	put_hex(out, info->sha256, sizeof(info->sha256));
	buf_puts(out, "\n        SHA1 (deprecated): ");
	put_hex(out, info->sha1, sizeof(info->sha1));
	buf_puts(out, "\n");
}

char *tls_channel_binding(struct tls *t, int *exporter)
{
	gnutls_datum_t cb, b64;
	char *s;

	*exporter = gnutls_protocol_get_version(t->session) == GNUTLS_TLS1_3;
	if (gnutls_session_channel_binding(t->session, *exporter ?
	    GNUTLS_CB_TLS_EXPORTER : GNUTLS_CB_TLS_UNIQUE, &cb) < 0)
		return NULL;
	if (gnutls_base64_encode2(&cb, &b64) < 0) {
		gnutls_free(cb.data);
		return NULL;
	}
	s = xstrndup((const char *)b64.data, b64.size);
	gnutls_free(cb.data);
	gnutls_free(b64.data);
	return s;
}

/* tls_peer_der - for smtp/certinfo.h: the advice shown after a failed
 * verification describes the certificate that failed. */
const unsigned char *tls_peer_der(struct tls *t, size_t *len)
{
	const gnutls_datum_t *list;
	unsigned int n = 0;

	list = gnutls_certificate_get_peers(t->session, &n);
	if (list == NULL || n == 0)
		return NULL;
	*len = list[0].size;
	return list[0].data;
}
