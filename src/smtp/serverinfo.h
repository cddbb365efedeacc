/*
 * serverinfo - the text msmtp --serverinfo prints about a server.
 *
 * A pure formatter: the caller opens a session (without AUTH: serverinfo
 * never authenticates), collects what it learnt into a struct
 * smtp_serverinfo and gets msmtp 1.8.23's layout appended to a buf:
 *
 *   SMTP server at HOST (CANON [ADDR]), port N:
 *       GREETING
 *   [the TLS block of tls_info_format()]
 *   Capabilities:                   or "No special capabilities."
 *       SIZE, PIPELINING, ETRN, DSN, STARTTLS, AUTH with their texts
 *   This server might advertise more or other capabilities when TLS is
 *   active.                         (STARTTLS offered, TLS not used)
 *
 * The AUTH methods are listed in msmtp 1.8.23's fixed order, each with
 * a trailing space; this build also lists SCRAM-SHA-1-PLUS and
 * SCRAM-SHA-256-PLUS (after their plain forms) when the server offers
 * them, which msmtp 1.8.23 does not know.
 *
 * Nothing here allocates for the caller or fails. SECURITY: the greeting
 * comes from the network; it is printed with anything that is not
 * printable ASCII replaced by '?'.
 */
#ifndef SMTP_SERVERINFO_H
#define SMTP_SERVERINFO_H

#include "smtp/caps.h"
#include "smtp/tls.h"
#include "util/buf.h"

struct smtp_serverinfo {
	int			 lmtp;
	const char		*host;		/* as configured */
	int			 port;
	const char		*canon;		/* reverse lookup, or NULL */
	const char		*address;	/* numeric, or NULL or "" */
	const char		*greeting;	/* without "220 " */
	const struct tls_info	*tls;		/* NULL: no TLS */
	const struct smtp_caps	*caps;
};

void smtp_serverinfo_format(const struct smtp_serverinfo *si,
    struct buf *out);

#endif
