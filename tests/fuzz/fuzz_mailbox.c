/*
 * fuzz_mailbox - msmtpd's address check against msmtp's address scanner:
 * every address msmtpd takes (src/msmtpd/mailbox.h) and passes to msmtp
 * as one argument must be read by msmtp as at most one recipient, never
 * split into several ("a@[x,b@c.example]" was three, past --max-rcpts);
 * one without quotes or colons must come through unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/headers.h"
#include "msmtpd/mailbox.h"
#include "util/strlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char addr[MAILBOX_MAX + 1];
	char *args[1] = { addr };
	struct strlist rcpts;

	if (size > MAILBOX_MAX || !mailbox_ok((const char *)data, size))
		return 0;
	if (memchr(data, '\0', size) != NULL)
		__builtin_trap();	/* mailbox_ok() let a NUL through */
	memcpy(addr, data, size);
	addr[size] = '\0';
	strlist_init(&rcpts);
	headers_cmdline_rcpts(args, 1, &rcpts);
	if (rcpts.n > 1)
		__builtin_trap();	/* one argument, several recipients */
	if (strpbrk(addr, "\":") == NULL &&
	    (rcpts.n != 1 || strcmp(rcpts.v[0], addr) != 0))
		__builtin_trap();	/* a plain address changed on its way */
	strlist_free(&rcpts);
	return 0;
}
