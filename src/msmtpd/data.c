/*
 * data - the DATA phase decoder; see data.h.
 */
#include "msmtpd/data.h"

enum {
	S_BOL,		/* at the start of a line */
	S_DOT,		/* a "." started the line */
	S_DOTCR,	/* "." CR started the line */
	S_MID,		/* inside a line */
	S_CR		/* a CR waits to see whether LF follows */
};

void data_init(struct data_dec *d, unsigned long long max)
{
	d->state = S_BOL;
	d->flags = 0;
	d->done = 0;
	d->size = 0;
	d->max = max;
}

/* emit - append decoded bytes, unless the mail is already refused or
 * would grow beyond the limit. */
static void emit(struct data_dec *d, struct buf *out, const char *p,
    size_t n)
{
	if (d->flags != 0)
		return;
	if (d->max != 0 && n > d->max - d->size) {
		d->flags |= DATA_TOO_BIG;
		return;
	}
	d->size += n;
	buf_append(out, p, n);
}

/* plain_run - the length of the run of bytes at in that need no care. */
static size_t plain_run(const char *in, size_t len)
{
	size_t j = 0;

	while (j < len && in[j] != '\r' && in[j] != '\n' && in[j] != '\0')
		j++;
	return j;
}

/* mid - one step inside a line; the number of bytes used. */
static size_t mid(struct data_dec *d, const char *in, size_t len,
    struct buf *out)
{
	size_t n = plain_run(in, len);

	if (n > 0) {
		emit(d, out, in, n);
		return n;
	}
	if (in[0] == '\r')
		d->state = S_CR;
	else if (in[0] == '\n')
		d->flags |= DATA_BARE_LF;
	else
		d->flags |= DATA_NUL;
	return 1;
}

size_t data_decode(struct data_dec *d, const char *in, size_t len,
    struct buf *out)
{
	size_t i = 0;

	while (i < len && !d->done) {
		char c = in[i];

		switch (d->state) {
		case S_BOL:
			if (c == '.') {
				d->state = S_DOT;
				i++;
			} else {
				d->state = S_MID;
			}
			break;
		case S_DOT:
			if (c == '\r') {
				d->state = S_DOTCR;
				i++;
			} else {
				d->state = S_MID;	/* the dot is dropped */
			}
			break;
		case S_DOTCR:
			if (c == '\n') {
				d->done = 1;
				i++;
			} else {
				d->state = S_CR;	/* that CR was data */
			}
			break;
		case S_CR:
			if (c == '\n') {
				emit(d, out, "\n", 1);
				d->state = S_BOL;
				i++;
			} else {
				emit(d, out, "\r", 1);
				d->state = S_MID;
			}
			break;
		default:
			i += mid(d, in + i, len - i, out);
			break;
		}
	}
	return i;
}
