/*
 * tlscache - TLS sessions kept in the spool; see tlscache.h.
 */
#include "delivery/tlscache.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "queue/tlssession.h"
#include "util/xalloc.h"

struct tlscache_entry {
	char			*key;
	unsigned char		*data;		/* NULL: none new */
	size_t			 len;
	time_t			 expires;
	int			 full;		/* handshakes not yet counted */
	int			 resumed;
	struct tlscache_entry	*next;
};

static struct tlscache_entry *find(struct tlscache *tc, const char *key)
{
	struct tlscache_entry *e;

	for (e = tc->held; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static unsigned char *load(void *arg, const char *key, size_t *len)
{
	struct tlscache *tc = arg;
	struct tlscache_entry *e = find(tc, key);
	unsigned char *data = NULL;
	char *err = NULL;

	if (e != NULL && e->data != NULL && e->expires > time(NULL)) {
		data = xmalloc(e->len);
		memcpy(data, e->data, e->len);
		*len = e->len;
		return data;
	}
	if (spool_tls_load(tc->sp, key, time(NULL), &data, len, &err) !=
	    EX_OK)
		data = NULL;
	free(err);
	return data;
}

/* entry_free - the session's secret is wiped first (best effort). */
static void entry_free(struct tlscache_entry *e)
{
	free(e->key);
	if (e->data != NULL)
		explicit_bzero(e->data, e->len);
	free(e->data);
	free(e);
}

/* write_held - every entry to sp; an entry the spool cannot take now
 * (EX_TEMPFAIL: inside a transaction, or locked) stays held. */
static void write_held(struct tlscache *tc, struct spool *sp)
{
	struct tlscache_entry **ep = &tc->held, *e;
	char *err;
	int rc;

	while ((e = *ep) != NULL) {
		err = NULL;
		rc = spool_tls_store(sp, e->key, e->data, e->len, e->expires,
		    e->full, e->resumed, time(NULL), &err);
		free(err);
		if (rc == EX_TEMPFAIL) {
			ep = &e->next;
			continue;
		}
		*ep = e->next;
		entry_free(e);
	}
}

static void store(void *arg, const char *key, const unsigned char *data,
    size_t len, time_t expires, int resumed)
{
	struct tlscache *tc = arg;
	struct tlscache_entry *e = find(tc, key);

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(key);
		e->next = tc->held;
		tc->held = e;
	}
	if (data != NULL && len > 0) {	/* the newer session wins */
		if (e->data != NULL)
			explicit_bzero(e->data, e->len);
		free(e->data);
		e->data = xmalloc(len);
		memcpy(e->data, data, len);
		e->len = len;
		e->expires = expires;
	}
	if (resumed > 0)
		e->resumed++;
	else if (resumed == 0)
		e->full++;
	if (tc->immediate)
		write_held(tc, tc->sp);
}

void tlscache_init(struct tlscache *tc, struct spool *sp, int immediate)
{
	memset(tc, 0, sizeof(*tc));
	tc->sp = sp;
	tc->immediate = immediate;
	tc->c.load = load;
	tc->c.store = store;
	tc->c.arg = tc;
}

void tlscache_flush(struct tlscache *tc, struct spool *sp)
{
	write_held(tc, sp);
}

void tlscache_free(struct tlscache *tc)
{
	struct tlscache_entry *e;

	while ((e = tc->held) != NULL) {
		tc->held = e->next;
		entry_free(e);
	}
}
