/*
 * dotstuff - stream encoder for the DATA phase; see dotstuff.h.
 */
#include "smtp/dotstuff.h"

#include <string.h>

void dotstuff_init(struct dotstuff *d)
{
	d->at_bol = 1;
	d->pending_cr = 0;
	d->mailsize = 0;
}

/* flush_cr - a CR that turned out not to end a line is plain data. */
static void flush_cr(struct dotstuff *d, struct buf *out)
{
	if (!d->pending_cr)
		return;
	buf_putc(out, '\r');
	d->pending_cr = 0;
	d->at_bol = 0;
	d->mailsize++;
}

void dotstuff_encode(struct dotstuff *d, const char *in, size_t len,
    struct buf *out)
{
	const char *end = in + len, *run;

	buf_reserve(out, len + len / 32 + 8);
	while (in < end) {
		if (*in == '\n') {
			d->pending_cr = 0;
			buf_append(out, "\r\n", 2);
			d->at_bol = 1;
			d->mailsize++;
			in++;
			continue;
		}
		flush_cr(d, out);
		if (*in == '\r') {
			d->pending_cr = 1;
			in++;
			continue;
		}
		if (d->at_bol && *in == '.')
			buf_putc(out, '.');
		d->at_bol = 0;
		/* Copy the rest of the line's plain bytes in one go. */
		for (run = in; run < end && *run != '\n' && *run != '\r'; run++)
			;
		buf_append(out, in, (size_t)(run - in));
		d->mailsize += (unsigned long long)(run - in);
		in = run;
	}
}

void dotstuff_finish(struct dotstuff *d, struct buf *out)
{
	flush_cr(d, out);
	if (!d->at_bol)
		buf_append(out, "\r\n", 2);
	buf_append(out, ".\r\n", 3);
}
