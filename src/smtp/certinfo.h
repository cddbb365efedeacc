/*
 * certinfo - what a user needs to judge a server certificate that failed
 * verification: its subject, issuer, validity, names and SHA-256
 * fingerprint, as plain strings.
 *
 * The engine reads them (certinfo_read(), GnuTLS's x509 API) when the
 * handshake's checks refuse the certificate; they travel in the session
 * result and the delivery report to the edge, where delivery/advice.h
 * words the hint. A front end that does not link GnuTLS only reads the
 * fields.
 *
 * Ownership: the strings belong to the struct; certinfo_free() releases
 * them and certinfo_copy() duplicates them. A zeroed struct (have 0)
 * means no certificate was seen.
 *
 * SECURITY: the strings come from the network: anything but printable
 * ASCII is replaced by '?', so a certificate cannot drive the terminal.
 */
#ifndef SMTP_CERTINFO_H
#define SMTP_CERTINFO_H

#include <stddef.h>
#include <time.h>

struct certinfo {
	int	 have;		/* 0: none of the rest is set */
	char	*subject;	/* RFC 4514 DN */
	char	*issuer;
	char	*names;		/* subject alternative names, ", "
				   separated, or "" */
	time_t	 not_before;
	time_t	 not_after;
	char	 sha256[96];	/* "AB:CD:..." as tls_fingerprint takes */
};

/* certinfo_read - the facts of a DER certificate; -1 if it cannot be
 * parsed (ci is then left zeroed). */
int certinfo_read(const unsigned char *der, size_t len, struct certinfo *ci);
void certinfo_copy(struct certinfo *dst, const struct certinfo *src);
void certinfo_free(struct certinfo *ci);

#endif
