/*
 * tlsbuf_test - tls.c's buffers against a real GnuTLS server in memory:
 * what a read gives tls_take() reaches GnuTLS whole, whether it arrives
 * with nothing pending (the storage changes hands) or behind bytes not
 * yet consumed (appended); what GnuTLS writes survives its caller
 * exchanging tls_output()'s storage, as conn_flush_tls() does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "smtp/tls.h"
#include "unit.h"
#include "util/buf.h"

/* One direction of the wire: bytes written, and how far they are read. */
struct pipe {
	struct buf	 data;
	size_t		 off;
};

struct server {
	gnutls_session_t			 session;
	gnutls_certificate_credentials_t	 cred;
	gnutls_x509_privkey_t			 key;
	gnutls_x509_crt_t			 crt;
	struct pipe				 in;	/* client to server */
	struct buf				 out;	/* server to client */
};

static ssize_t srv_push(gnutls_transport_ptr_t p, const void *d, size_t n)
{
	struct server *s = p;

	buf_append(&s->out, d, n);
	return (ssize_t)n;
}

static ssize_t srv_pull(gnutls_transport_ptr_t p, void *d, size_t n)
{
	struct server *s = p;
	size_t avail = s->in.data.len - s->in.off;

	if (avail == 0) {
		gnutls_transport_set_errno(s->session, EAGAIN);
		return -1;
	}
	if (n > avail)
		n = avail;
	memcpy(d, s->in.data.data + s->in.off, n);
	s->in.off += n;
	return (ssize_t)n;
}

/* make_cert - a self-signed ECDSA certificate (the client checks none). */
static void make_cert(struct server *s)
{
	time_t now = time(NULL);
	unsigned char serial = 1;
	const char *err = NULL;

	CHECK(gnutls_x509_privkey_init(&s->key) == 0);
	CHECK(gnutls_x509_privkey_generate(s->key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	CHECK(gnutls_x509_crt_init(&s->crt) == 0);
	CHECK(gnutls_x509_crt_set_version(s->crt, 3) == 0);
	CHECK(gnutls_x509_crt_set_serial(s->crt, &serial, 1) == 0);
	CHECK(gnutls_x509_crt_set_dn(s->crt, "CN=tlsbuf.test", &err) == 0);
	CHECK(gnutls_x509_crt_set_issuer_dn(s->crt, "CN=tlsbuf.test",
	    &err) == 0);
	CHECK(gnutls_x509_crt_set_activation_time(s->crt, now - 60) == 0);
	CHECK(gnutls_x509_crt_set_expiration_time(s->crt, now + 3600) == 0);
	CHECK(gnutls_x509_crt_set_key(s->crt, s->key) == 0);
	CHECK(gnutls_x509_crt_sign2(s->crt, s->crt, s->key,
	    GNUTLS_DIG_SHA256, 0) == 0);
}

static void server_init(struct server *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->in.data);
	buf_init(&s->out);
	make_cert(s);
	CHECK(gnutls_certificate_allocate_credentials(&s->cred) == 0);
	CHECK(gnutls_certificate_set_x509_key(s->cred, &s->crt, 1,
	    s->key) == 0);
	CHECK(gnutls_init(&s->session, GNUTLS_SERVER | GNUTLS_NONBLOCK) == 0);
	CHECK(gnutls_set_default_priority(s->session) == 0);
	CHECK(gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE,
	    s->cred) == 0);
	gnutls_transport_set_ptr(s->session, s);
	gnutls_transport_set_push_function(s->session, srv_push);
	gnutls_transport_set_pull_function(s->session, srv_pull);
}

static void server_free(struct server *s)
{
	gnutls_deinit(s->session);
	gnutls_certificate_free_credentials(s->cred);
	gnutls_x509_crt_deinit(s->crt);
	gnutls_x509_privkey_deinit(s->key);
	buf_free(&s->in.data);
	buf_free(&s->out);
}

static struct tls *client_new(void)
{
	struct tls_params p;
	struct tls *t = NULL;
	enum smtp_terr terr;
	char *err = NULL;

	memset(&p, 0, sizeof(p));
	p.hostname = "tlsbuf.test";
	CHECK(tls_new(&p, &t, &terr, &err) == 0);
	free(err);
	return t;
}

/* to_server - what the client wrote, as conn_flush_tls() takes it. */
static void to_server(struct tls *t, struct server *s)
{
	struct buf *o = tls_output(t), mine;

	mine = *o;		/* the caller keeps GnuTLS's storage */
	buf_init(o);
	buf_append(&s->in.data, mine.data, mine.len);
	buf_free(&mine);
}

/* to_client - what the server wrote, given to tls_take() in reads of at
 * most chunk bytes; two reads in a row (the second behind unconsumed
 * bytes) if twice. */
static void to_client(struct server *s, struct tls *t, size_t chunk,
    int twice)
{
	struct buf rd;
	size_t off = 0, n;
	int i;

	buf_init(&rd);
	while (off < s->out.len) {
		for (i = 0; i < (twice ? 2 : 1) && off < s->out.len; i++) {
			n = s->out.len - off < chunk ? s->out.len - off :
			    chunk;
			buf_append(&rd, s->out.data + off, n);
			off += n;
			tls_take(t, &rd);
			CHECK_INT(rd.len, 0);
			CHECK(rd.data != NULL && rd.data[0] == '\0');
		}
	}
	buf_reset(&s->out);
	buf_free(&rd);
}

static void handshake(struct tls *t, struct server *s, size_t chunk,
    int twice)
{
	enum smtp_terr terr;
	char *err = NULL;
	int crc = TLS_AGAIN, src = GNUTLS_E_AGAIN, rounds;

	for (rounds = 0; rounds < 20 && (crc != TLS_DONE || src != 0);
	    rounds++) {
		if (crc == TLS_AGAIN)
			crc = tls_handshake(t, &terr, &err);
		to_server(t, s);
		if (src == GNUTLS_E_AGAIN)
			src = gnutls_handshake(s->session);
		to_client(s, t, chunk, twice);
	}
	CHECK_INT(crc, TLS_DONE);
	CHECK_INT(src, 0);
	free(err);
}

/* reply_through - three records from the server, delivered as chunk and
 * twice say, read back whole by the client. */
static void reply_through(size_t chunk, int twice)
{
	static const char line[] = "250 2.0.0 Ok: queued\r\n";
	struct server s;
	struct tls *t;
	char got[256];
	size_t have = 0;
	ssize_t n;
	char *err = NULL;
	int i;

	CHECK(gnutls_global_init() == 0);
	server_init(&s);
	t = client_new();
	handshake(t, &s, chunk, twice);
	for (i = 0; i < 3; i++)
		CHECK_INT(gnutls_record_send(s.session, line, strlen(line)),
		    (long long)strlen(line));
	to_client(&s, t, chunk, twice);
	while ((n = tls_recv(t, got + have, sizeof(got) - have, &err)) > 0)
		have += (size_t)n;
	CHECK_INT(n, TLS_AGAIN);
	CHECK_INT(have, 3 * strlen(line));
	for (i = 0; i < 3 && have == 3 * strlen(line); i++)
		CHECK_MEM(got + i * strlen(line), strlen(line), line,
		    strlen(line));
	free(err);
	tls_free(t);
	server_free(&s);
	gnutls_global_deinit();
}

static void test_reads_whole(void)
{
	reply_through((size_t)1 << 20, 0);
}

static void test_reads_byte_by_byte(void)
{
	reply_through(1, 0);
}

static void test_reads_behind_unconsumed(void)
{
	reply_through(7, 1);
	reply_through(1000, 1);
}

/* test_send_survives_exchange - a body larger than a record goes out in
 * several, the caller exchanging the output's storage between writes. */
static void test_send_survives_exchange(void)
{
	struct server s;
	struct tls *t;
	char *body = malloc(70000), *got = malloc(70000);
	size_t have = 0, i;
	ssize_t n;
	char *err = NULL;

	CHECK(gnutls_global_init() == 0);
	for (i = 0; i < 70000; i++)
		body[i] = (char)('a' + i % 26);
	server_init(&s);
	t = client_new();
	handshake(t, &s, 4096, 0);
	for (i = 0; i < 70000; i += 10000) {
		CHECK_INT(tls_send(t, body + i, 10000, &err), TLS_DONE);
		to_server(t, &s);
	}
	while ((n = gnutls_record_recv(s.session, got + have,
	    70000 - have)) > 0 || n == GNUTLS_E_AGAIN) {
		if (n == GNUTLS_E_AGAIN)
			break;
		have += (size_t)n;
	}
	CHECK_INT(have, 70000);
	CHECK(memcmp(got, body, 70000) == 0);
	free(body);
	free(got);
	free(err);
	tls_free(t);
	server_free(&s);
	gnutls_global_deinit();
}

/* test_take_nothing - an empty read is no end of file. */
static void test_take_nothing(void)
{
	struct server s;
	struct tls *t;
	struct buf b;
	char c;
	char *err = NULL;

	CHECK(gnutls_global_init() == 0);
	server_init(&s);
	t = client_new();
	handshake(t, &s, 4096, 0);
	buf_init(&b);
	tls_take(t, &b);
	CHECK_INT(tls_recv(t, &c, 1, &err), TLS_AGAIN);
	free(err);
	buf_free(&b);
	tls_free(t);
	server_free(&s);
	gnutls_global_deinit();
}

UNIT_MAIN(
	UNIT_CASE(test_reads_whole),
	UNIT_CASE(test_reads_byte_by_byte),
	UNIT_CASE(test_reads_behind_unconsumed),
	UNIT_CASE(test_send_survives_exchange),
	UNIT_CASE(test_take_nothing)
)
