/*
 * mailbox - the addresses msmtpd takes; see mailbox.h.
 *
 * SECURITY: all input is untrusted. Every scan is bounded by len; the
 * literal is copied into a fixed buffer only after its length is
 * checked.
 */
#include "msmtpd/mailbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* is_atext - RFC 5322 atext. */
static int is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

static int is_letdig(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* literal_ok - "[1.2.3.4]" or "[IPv6:...]", a real address either way. */
static int literal_ok(const char *d, size_t len)
{
	char text[INET6_ADDRSTRLEN + 8];
	unsigned char addr[sizeof(struct in6_addr)];
	size_t n;
	int af = AF_INET;

	if (len < 3 || d[0] != '[' || d[len - 1] != ']')
		return 0;
	d++;
	n = len - 2;
	if (n > 5 && strncasecmp(d, "IPv6:", 5) == 0) {
		af = AF_INET6;
		d += 5;
		n -= 5;
	}
	if (n >= sizeof(text) || memchr(d, '\0', n) != NULL)
		return 0;
	memcpy(text, d, n);
	text[n] = '\0';
	return inet_pton(af, text, addr) == 1;
}

int mailbox_domain_ok(const char *d, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return 0;
	if (d[0] == '[')
		return literal_ok(d, len);
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_letdig((unsigned char)d[i]) ||
		    (d[i] == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* quoted_ok - a quoted local part at a[0] == '"'; its length, or 0. */
static size_t quoted_ok(const char *a, size_t len)
{
	size_t i = 1;

	while (i < len) {
		unsigned char c = (unsigned char)a[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (++i >= len)
				return 0;
			c = (unsigned char)a[i];
		}
		if (c < 0x20 || c > 0x7e)
			return 0;
		i++;
	}
	return 0;
}

/* dotstring_ok - atoms joined by single dots, up to '@' or the end; its
 * length, or 0. */
static size_t dotstring_ok(const char *a, size_t len)
{
	size_t i;
	int after_dot = 1;

	for (i = 0; i < len && a[i] != '@'; i++) {
		if (a[i] == '.') {
			if (after_dot)
				return 0;
			after_dot = 1;
		} else if (is_atext((unsigned char)a[i])) {
			after_dot = 0;
		} else {
			return 0;
		}
	}
	return after_dot ? 0 : i;
}

int mailbox_ok(const char *a, size_t len)
{
	size_t local;

	if (len == 0 || len > MAILBOX_MAX || a[0] == '-')
		return 0;
	local = a[0] == '"' ? quoted_ok(a, len) : dotstring_ok(a, len);
	if (local == 0)
		return 0;
	if (local == len)
		return 1;	/* a local name such as postmaster or root */
	if (a[local] != '@')
		return 0;
	return mailbox_domain_ok(a + local + 1, len - local - 1);
}
