/*
 * fuzz_srv - the SRV reply reader (util/srvrec.h) on arbitrary bytes, as
 * a DNS server, or anyone who can answer for it, may send them. A chosen
 * target must be a non-empty, NUL-terminated name with no byte that
 * would start a line or a word of its own in the printed msmtprc.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/srvrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srvrec out = { NULL, 0 };
	const char *p;

	if (srvrec_parse(data, size, &out) != EX_OK)
		return 0;
	if (out.host == NULL || out.host[0] == '\0' || out.port > 65535)
		abort();
	for (p = out.host; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			abort();
	free(out.host);
	return 0;
}
