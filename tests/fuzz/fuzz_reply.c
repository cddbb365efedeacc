/*
 * fuzz_reply - the SMTP reply parser and the EHLO capability parser on
 * arbitrary server output, split into lines as the transport does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp/caps.h"
#include "smtp/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct smtp_reply r;
	struct smtp_caps c;
	size_t len;

	smtp_reply_init(&r);
	smtp_caps_init(&c);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		switch (smtp_reply_feed(&r, p, len)) {
		case REPLY_MORE:
			break;
		case REPLY_DONE:
			smtp_caps_parse(&r, &c);
			smtp_caps_has_auth(&c, "PLAIN");
			smtp_reply_reset(&r);
			break;
		case REPLY_BAD:
			smtp_reply_reset(&r);
			break;
		}
		p = nl ? nl + 1 : end;
	}
	smtp_caps_free(&c);
	smtp_reply_free(&r);
	return 0;
}
