/*
 * fuzz_headers - a mail's header block read and rewritten as msmtp does,
 * and its addresses parsed: everything a local user can feed msmtp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mail/addr.h"
#include "mail/headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_headers h;
	struct header_rules r = { 0 };
	struct strlist rcpts;
	struct buf out, value;
	char *errstr = NULL;
	FILE *in;

	in = fmemopen((void *)data, size, "r");
	if (in == NULL)
		return 0;
	headers_init(&h);
	strlist_init(&rcpts);
	buf_init(&out);
	if (headers_read(in, HEADERS_RCPTS, &h, &errstr) == 0) {
		r.set_from = HEADER_FROM_AUTO;
		r.envelope_from = "a@b.example";
		r.set_date = r.set_msgid = 1;
		r.set_to = size % 2 ? HEADER_TO_ON : HEADER_TO_OFF;
		r.rcpts = &h.rcpts;
		r.remove_bcc = 1;
		headers_rewrite(&h, &r, &out);
	}
	free(errstr);
	errstr = NULL;
	buf_init(&value);
	buf_append(&value, data, size);
	addr_list_parse(value.data, &rcpts, &errstr);
	free(errstr);
	buf_free(&value);
	buf_free(&out);
	strlist_free(&rcpts);
	headers_free(&h);
	fclose(in);
	return 0;
}
