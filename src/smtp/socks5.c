/*
 * socks5 - SOCKS5 messages; see socks5.h.
 */
#include "smtp/socks5.h"

#include <string.h>

#define SOCKS_VERSION	5
#define METHOD_NONE	0
#define CMD_CONNECT	1
#define ATYP_IPV4	1
#define ATYP_NAME	3
#define ATYP_IPV6	4

void socks5_greeting(struct buf *out)
{
	static const char offer[] = { SOCKS_VERSION, 1, METHOD_NONE };

	buf_append(out, offer, sizeof(offer));
}

int socks5_connect(struct buf *out, const char *host, int port)
{
	size_t len = strlen(host);
	char head[5];

	if (len > 255)
		return -1;
	head[0] = SOCKS_VERSION;
	head[1] = CMD_CONNECT;
	head[2] = 0;
	head[3] = ATYP_NAME;
	head[4] = (char)len;
	buf_append(out, head, sizeof(head));
	buf_append(out, host, len);
	buf_putc(out, (char)((port >> 8) & 0xff));
	buf_putc(out, (char)(port & 0xff));
	return 0;
}

long socks5_method_reply(const unsigned char *p, size_t n, const char **err)
{
	if (n < 2)
		return 0;
	if (p[0] != SOCKS_VERSION || p[1] != METHOD_NONE) {
		*err = "unexpected reply";
		return -1;
	}
	return 2;
}

/* rep_text - msmtp's words for a CONNECT reply code. */
static const char *rep_text(unsigned char rep)
{
	static const char *const text[] = {
		NULL,
		"general server failure",
		"connection not allowed",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"time-to-live expired",
		"command not supported",
		"address type not supported",
	};

	return rep < sizeof(text) / sizeof(text[0]) ? text[rep] :
	    "unknown error";
}

long socks5_connect_reply(const unsigned char *p, size_t n,
    const char **err)
{
	size_t want;

	if (n < 5)
		return 0;
	if (p[0] != SOCKS_VERSION) {
		*err = "unexpected reply";
		return -1;
	}
	if (p[1] != 0) {
		*err = rep_text(p[1]);
		return -1;
	}
	switch (p[3]) {
	case ATYP_IPV4:
		want = 4 + 4 + 2;
		break;
	case ATYP_IPV6:
		want = 4 + 16 + 2;
		break;
	case ATYP_NAME:
		want = 4 + 1 + (size_t)p[4] + 2;
		break;
	default:
		*err = "unexpected reply";
		return -1;
	}
	return n < want ? 0 : (long)want;
}
