/*
 * tls - a GnuTLS client session that runs over bytes, not over a socket.
 *
 * tls knows nothing of libuv: conn_tls.c (the transport) hands it what the
 * network delivered with tls_feed() and sends what tls_output() holds;
 * GnuTLS's push and pull functions work on those two buffers, so every
 * call here returns at once (TLS_AGAIN when more bytes are needed).
 *
 *   tls_new()         set up credentials and the session (no I/O): the
 *                     trust, CRL, key and certificate files are read here,
 *                     before any connection, as msmtp does;
 *   tls_handshake()   call again whenever bytes arrive until TLS_DONE;
 *                     it also checks the server's certificate:
 *                       tls_certcheck off: nothing is checked;
 *                       a tls_fingerprint: only the fingerprint (SHA256,
 *                       SHA1 or MD5, by length) of the server's
 *                       certificate, which is then trusted whatever else;
 *                       otherwise the chain against the trust file (or
 *                       the system's trust store for "system") and the
 *                       CRL, and the host name (tls_host_override or the
 *                       host) against the certificate.
 *                     A certificate that fails is an error, never a
 *                     warning: there is no fallback to clear text.
 *   tls_send()/tls_recv()   application data once the handshake is done;
 *   tls_bye()         queue a close_notify alert;
 *   tls_info()        what msmtp prints for --serverinfo and -d;
 *   tls_resumed(), tls_session_data()   session resumption: see below;
 *   tls_channel_binding()   for SCRAM-*-PLUS.
 *
 * Errors: functions that fail set *terr and *errstr (newly allocated,
 * msmtp's words, the caller frees):
 *   TERR_TLS_FILE   "cannot set X509 trust file F for TLS session: ..."
 *                   (key, cert, trust or CRL file; EX_NOINPUT)
 *   TERR_SOFTWARE   a library failure, "cannot set priorities for TLS
 *                   session: error in priority string at position N"
 *   TERR_TLS        "TLS handshake failed: ..." (EX_PROTOCOL)
 *   TERR_TLS_VERIFY "TLS certificate verification failed: ..."
 *   TERR_IO         "cannot read from TLS connection: ..." and write
 *
 * Ownership: the struct tls belongs to whoever created it until handed
 * to conn_start_tls(); tls_free() releases it. The strings in tls_params
 * are copied. tls_info() fills a caller-owned struct tls_info that
 * tls_info_free() releases.
 *
 * SECURITY: bytes from the network reach GnuTLS only; the DNs printed
 * by tls_info() come from the certificate and are made printable.
 */
#ifndef SMTP_TLS_H
#define SMTP_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "smtp/outcome.h"
#include "util/buf.h"

struct tls;

struct tls_params {
	const char	*hostname;	/* SNI and the name to verify */
	const char	*trust_file;	/* "system", a PEM file, or NULL */
	const char	*crl_file;	/* or NULL */
	const char	*fingerprint;	/* "AB:CD:..." (16, 20 or 32 bytes),
					   or NULL */
	const char	*cert_file;	/* client certificate, with key_file */
	const char	*key_file;
	int		 certcheck;	/* 0: accept any certificate */
	const char	*priorities;	/* GnuTLS priority string, or NULL */
	int		 min_dh_prime_bits;	/* 0: GnuTLS's default */
	const unsigned char *resume;	/* session data an earlier session
					   with the same settings gave
					   (tls_session_data()), or NULL */
	size_t		 resume_len;
};

/* Results of tls_handshake() and tls_recv(). */
enum { TLS_DONE = 0, TLS_AGAIN = -2, TLS_FAIL = -1 };

struct tls_info {
	char		*desc;		/* "(TLS1.3)-(ECDHE-...)-..." */
	char		*subject;	/* the server certificate's DN */
	char		*issuer;
	time_t		 activation;
	time_t		 expiration;
	unsigned char	 sha256[32];
	unsigned char	 sha1[20];
};

int tls_new(const struct tls_params *p, struct tls **out,
    enum smtp_terr *terr, char **errstr);
void tls_free(struct tls *t);

/* tls_feed - bytes received from the server; len 0 means end of file. */
void tls_feed(struct tls *t, const char *data, size_t len);
/* tls_take - what tls_feed() does with b's bytes (none: nothing), which b
 * gives up: b is left empty, its storage possibly exchanged with tls's
 * (both stay owned where they are declared). Data b's cap must exceed
 * its len by one, as every struct buf's does. */
void tls_take(struct tls *t, struct buf *b);
/* tls_output - bytes GnuTLS wants sent; the caller drains (consumes) it,
 * and may exchange its storage with a struct buf of its own. */
struct buf *tls_output(struct tls *t);

/* tls_handshake - TLS_DONE (handshake and checks passed), TLS_AGAIN, or
 * TLS_FAIL with *terr and *errstr set. */
int tls_handshake(struct tls *t, enum smtp_terr *terr, char **errstr);
/* tls_send - encrypt len bytes into tls_output(); TLS_FAIL on error. */
int tls_send(struct tls *t, const char *data, size_t len, char **errstr);
/* tls_recv - decrypted bytes (> 0), 0 at the server's close_notify,
 * TLS_AGAIN, or TLS_FAIL with *errstr set (a TERR_IO error). */
ssize_t tls_recv(struct tls *t, char *buf, size_t len, char **errstr);
/* tls_bye - put a close_notify alert into tls_output(). */
void tls_bye(struct tls *t);

/*
 * Resumption. The data in tls_params.resume is offered to the server; if
 * it takes it, the handshake is short (no certificate sent, no key
 * exchange signed). It never weakens the checks: the session data holds
 * the certificate the server presented when the session began, and
 * tls_handshake() checks it as it checks a new one, against this
 * session's trust file, CRL, fingerprint and host name. Data GnuTLS
 * cannot use is ignored (a full handshake). Still, the caller must offer
 * data only to the server identity it came from (same host, port, name,
 * trust settings and client certificate): see delivery/tlscache.h.
 *
 * tls_resumed - 1 if the handshake resumed a session, else 0.
 * tls_session_data - once the handshake is done: the data to resume this
 * session later (newly allocated, *len bytes, the caller frees; it starts
 * with a digest of the rest, and tls_new() ignores data whose digest
 * does not match, so damaged data means a full handshake), and
 * when it expires; NULL if there is none (TLS 1.3 before the server's
 * ticket arrived, or a server that gives none).
 */
int tls_resumed(struct tls *t);
unsigned char *tls_session_data(struct tls *t, size_t *len,
    time_t *expires);

/* tls_info - the negotiated parameters and the server's certificate. */
int tls_info(struct tls *t, struct tls_info *info, char **errstr);
void tls_info_free(struct tls_info *info);
/* tls_info_format - msmtp's "TLS session parameters:" block, lines
 * ending in "\n"; times in local time, as %c in the C locale. */
void tls_info_format(const struct tls_info *info, struct buf *out);

/* tls_peer_der - the server's own certificate (DER) as it was received,
 * also when it failed verification; NULL if none came. Valid until
 * tls_free(). */
const unsigned char *tls_peer_der(struct tls *t, size_t *len);

/*
 * tls_channel_binding - the channel binding data for SCRAM-*-PLUS, base64
 * encoded and newly allocated: tls-exporter under TLS 1.3 (*exporter 1),
 * tls-unique before (*exporter 0). NULL if the session has none.
 */
char *tls_channel_binding(struct tls *t, int *exporter);

#endif
