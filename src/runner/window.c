/*
 * window - the duplicate window of the mails a drain sends; see
 * window.h.
 */
#include "runner/window.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

/* Log-linear buckets of microseconds: SUB per power of two. */
#define SUB_BITS	4
#define SUB		(1u << SUB_BITS)
#define NBUCKETS	(SUB * 64)

struct histogram {
	uint32_t	 count[NBUCKETS];
	uint64_t	 n;
	uint64_t	 max_us;
};

/* A mail committed, not yet known durable. */
struct pending {
	uint64_t	 reply_ns;
	uint64_t	 commit_ns;
};

struct window {
	struct histogram commit;
	struct histogram sync;
	struct pending	*pending;	/* in commit order */
	size_t		 npending, cap;
	uint64_t	 sync_began_ns;
};

struct window *window_new(void)
{
	const char *env = getenv("MSMTP_QUEUE_STATS");

	if (env == NULL || strcmp(env, "1") != 0)
		return NULL;
	return xcalloc(1, sizeof(struct window));
}

void window_free(struct window *w)
{
	if (w == NULL)
		return;
	free(w->pending);
	free(w);
}

uint64_t window_now(const struct window *w)
{
	struct timespec ts;

	if (w == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t us)
{
	unsigned e;

	if (us < SUB)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);
	return SUB + (e - SUB_BITS) * SUB +
	    (unsigned)((us >> (e - SUB_BITS)) & (SUB - 1));
}

/* bucket_mid - the middle of a bucket's range, in microseconds. */
static uint64_t bucket_mid(unsigned b)
{
	unsigned e, sub;
	uint64_t lo;

	if (b < SUB)
		return b;
	e = (b - SUB) / SUB + SUB_BITS;
	sub = (b - SUB) % SUB;
	lo = ((uint64_t)SUB + sub) << (e - SUB_BITS);
	return lo + ((1ull << (e - SUB_BITS)) >> 1);
}

static void add(struct histogram *h, uint64_t from_ns, uint64_t to_ns)
{
	uint64_t us = to_ns > from_ns ? (to_ns - from_ns) / 1000 : 0;

	h->count[bucket_of(us)]++;
	h->n++;
	if (us > h->max_us)
		h->max_us = us;
}

void window_committed(struct window *w, uint64_t reply_ns,
    uint64_t commit_ns)
{
	if (w == NULL || reply_ns == 0)
		return;
	add(&w->commit, reply_ns, commit_ns);
	if (w->npending == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->pending = xreallocarray(w->pending, w->cap,
		    sizeof(*w->pending));
	}
	w->pending[w->npending].reply_ns = reply_ns;
	w->pending[w->npending++].commit_ns = commit_ns;
}

/* covered - the pending mails committed by upto are durable at at. */
static void covered(struct window *w, uint64_t upto, uint64_t at)
{
	size_t i, kept = 0;

	for (i = 0; i < w->npending; i++) {
		if (w->pending[i].commit_ns <= upto)
			add(&w->sync, w->pending[i].reply_ns, at);
		else
			w->pending[kept++] = w->pending[i];
	}
	w->npending = kept;
}

void window_sync_began(struct window *w)
{
	if (w != NULL)
		w->sync_began_ns = window_now(w);
}

void window_synced(struct window *w)
{
	if (w != NULL)
		covered(w, w->sync_began_ns, window_now(w));
}

void window_durable(struct window *w, uint64_t at_ns)
{
	if (w != NULL)
		covered(w, at_ns, at_ns);
}

/* percentile - the bucket holding the p-th percent of h's samples. */
static uint64_t percentile(const struct histogram *h, unsigned p)
{
	uint64_t rank = (h->n * p + 99) / 100, seen = 0;
	unsigned b;

	if (rank == 0)
		rank = 1;
	for (b = 0; b < NBUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank)
			break;
	}
	if (b == NBUCKETS)
		return h->max_us;
	return bucket_mid(b) < h->max_us ? bucket_mid(b) : h->max_us;
}

static void print_one(const struct histogram *h, const char *name,
    FILE *fp)
{
	fprintf(fp, "msmtp-queue: window %s n=%llu p50_us=%llu p99_us=%llu "
	    "max_us=%llu\n", name, (unsigned long long)h->n,
	    (unsigned long long)percentile(h, 50),
	    (unsigned long long)percentile(h, 99),
	    (unsigned long long)h->max_us);
}

void window_print(const struct window *w, FILE *fp)
{
	if (w == NULL)
		return;
	print_one(&w->commit, "commit", fp);
	print_one(&w->sync, "fdatasync", fp);
}
