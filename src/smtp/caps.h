/*
 * caps - the ESMTP capabilities a server announced in its EHLO/LHLO reply.
 *
 * smtp_caps_parse() reads a complete reply (see reply.h) and fills a
 * caller-owned struct smtp_caps; unknown keywords are ignored, and nothing
 * in the reply can make it fail. smtp_caps_free() releases auth_methods.
 */
#ifndef SMTP_CAPS_H
#define SMTP_CAPS_H

#include "smtp/reply.h"

enum smtp_cap {
	CAP_PIPELINING		= 1 << 0,
	CAP_STARTTLS		= 1 << 1,
	CAP_AUTH		= 1 << 2,
	CAP_SIZE		= 1 << 3,
	CAP_DSN			= 1 << 4,
	CAP_ETRN		= 1 << 5,
	CAP_8BITMIME		= 1 << 6,
	CAP_SMTPUTF8		= 1 << 7,
	CAP_ENHANCEDSTATUSCODES	= 1 << 8,
	CAP_CHUNKING		= 1 << 9
};

struct smtp_caps {
	unsigned	 flags;		/* enum smtp_cap bits */
	unsigned long	 size_max;	/* SIZE argument; 0 = none given */
	int		 size_ok;	/* SIZE had a plain number (what
					   --serverinfo shows) */
	char		*auth_methods;	/* " PLAIN LOGIN " style, upper case,
					   padded with spaces; NULL if none */
};

void smtp_caps_init(struct smtp_caps *c);
void smtp_caps_free(struct smtp_caps *c);
void smtp_caps_parse(const struct smtp_reply *ehlo, struct smtp_caps *c);
/* smtp_caps_has_auth - whether the server offers this SASL method. */
int smtp_caps_has_auth(const struct smtp_caps *c, const char *method);

#endif
