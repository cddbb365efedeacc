/*
 * serverinfo - msmtp's --serverinfo text; see serverinfo.h.
 */
#include "smtp/serverinfo.h"

#include <string.h>

/* The AUTH methods, in msmtp 1.8.23's order (plus the -PLUS forms). */
static const char *const auth_order[] = {
	"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
	"SCRAM-SHA-256-PLUS", "EXTERNAL", "GSSAPI", "CRAM-MD5",
	"DIGEST-MD5", "LOGIN", "NTLM", "OAUTHBEARER", "XOAUTH2",
};

/* put_printable - s with anything not printable ASCII as '?'. */
static void put_printable(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		buf_putc(out, *s >= 0x20 && *s < 0x7f ? *s : '?');
}

/* put_title - "SMTP server at HOST (CANON [ADDR]), port N:" */
static void put_title(const struct smtp_serverinfo *si, struct buf *out)
{
	const char *proto = si->lmtp ? "LMTP" : "SMTP";
	const char *addr = si->address && si->address[0] ? si->address :
	    NULL;

	if (si->canon != NULL && addr != NULL)
		buf_printf(out, "%s server at %s (%s [%s]), port %d:\n",
		    proto, si->host, si->canon, addr, si->port);
	else if (si->canon != NULL)
		buf_printf(out, "%s server at %s (%s), port %d:\n", proto,
		    si->host, si->canon, si->port);
	else if (addr != NULL)
		buf_printf(out, "%s server at %s ([%s]), port %d:\n", proto,
		    si->host, addr, si->port);
	else
		buf_printf(out, "%s server at %s, port %d:\n", proto,
		    si->host, si->port);
	buf_puts(out, "    ");
	put_printable(out, si->greeting ? si->greeting : "");
	buf_putc(out, '\n');
}

/* put_size - the SIZE block. */
static void put_size(unsigned long size, struct buf *out)
{
	buf_printf(out, "    SIZE %lu:\n        Maximum message size is ",
	    size);
	if (size == 0) {
		buf_puts(out, "unlimited\n");
		return;
	}
	buf_printf(out, "%lu bytes", size);
	if (size > 1024UL * 1024UL)
		buf_printf(out, " = %.2f MiB", (double)size / 1024.0 / 1024.0);
	else if (size > 1024UL)
		buf_printf(out, " = %.2f KiB", (double)size / 1024.0);
	buf_putc(out, '\n');
}

/* put_auth - the AUTH block. */
static void put_auth(const struct smtp_caps *caps, struct buf *out)
{
	size_t i;

	buf_puts(out, "    AUTH:\n        Supported authentication methods:\n"
	    "        ");
	for (i = 0; i < sizeof(auth_order) / sizeof(auth_order[0]); i++)
		if (smtp_caps_has_auth(caps, auth_order[i]))
			buf_printf(out, "%s ", auth_order[i]);
	buf_putc(out, '\n');
}

/* put_caps - "Capabilities:" and each one, or that there are none. */
static void put_caps(const struct smtp_serverinfo *si, struct buf *out)
{
	const struct smtp_caps *c = si->caps;
	int size = (c->flags & CAP_SIZE) && c->size_ok;
	unsigned shown = CAP_PIPELINING | CAP_ETRN | CAP_DSN | CAP_STARTTLS |
	    CAP_AUTH;

	if (!size && !(c->flags & shown)) {
		buf_puts(out, "No special capabilities.\n");
		return;
	}
	buf_puts(out, "Capabilities:\n");
	if (size)
		put_size(c->size_max, out);
	if (c->flags & CAP_PIPELINING)
		buf_puts(out, "    PIPELINING:\n        Support for command "
		    "grouping for faster transmission\n");
	if (c->flags & CAP_ETRN)
		buf_puts(out, "    ETRN:\n        Support for RMQS (Remote "
		    "Message Queue Starting)\n");
	if (c->flags & CAP_DSN)
		buf_puts(out, "    DSN:\n        Support for Delivery Status "
		    "Notifications\n");
	if (c->flags & CAP_STARTTLS)
		buf_puts(out, "    STARTTLS:\n        Support for TLS "
		    "encryption via the STARTTLS command\n");
	if (c->flags & CAP_AUTH)
		put_auth(c, out);
	if ((c->flags & CAP_STARTTLS) && si->tls == NULL)
		buf_puts(out, "This server might advertise more or other "
		    "capabilities when TLS is active.\n");
}

void smtp_serverinfo_format(const struct smtp_serverinfo *si,
    struct buf *out)
{
	put_title(si, out);
	if (si->tls != NULL)
		tls_info_format(si->tls, out);
	put_caps(si, out);
}
