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

/* plain_run - how many of in[0..len)'s first bytes are neither LF nor
 * CR: memchr() looks at many bytes a step, a loop at one (the loop was a
 * fiftieth of a runner's CPU). */
static size_t plain_run(const char *in, size_t len)
{
	const char *nl = memchr(in, '\n', len), *cr;
	size_t n = nl != NULL ? (size_t)(nl - in) : len;

	cr = memchr(in, '\r', n);
	return cr != NULL ? (size_t)(cr - in) : n;
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
		run = in + plain_run(in, (size_t)(end - in));
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
