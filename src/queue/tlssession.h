/*
 * tlssession - the TLS sessions kept in the spool for resumption (table
 * tls_session, sql/0008_tls_session.sql).
 *
 * The spool only keeps bytes under a key: what the key names and what
 * the bytes are is delivery/tlscache.h's business. The spool is private
 * to its user (0600), which the session data needs: it holds the
 * session's secret.
 *
 *   spool_tls_load()   the data kept for key, if it has not expired by
 *                      now: newly allocated (the caller frees), *len
 *                      bytes; EX_NOINPUT if there is none;
 *   spool_tls_store()  keep data for key until expires (NULL data: keep
 *                      the old), and add full and resumed handshakes to
 *                      its counts;
 *                      expired data of every key is dropped on the way;
 *   spool_tls_counts() the handshakes counted, over all keys.
 *
 * Errors: a sysexits code and *errstr (new, the caller frees), as in
 * spool.h. A caller may ignore them: a session not kept costs a full
 * handshake, never a mail.
 */
#ifndef QUEUE_TLSSESSION_H
#define QUEUE_TLSSESSION_H

#include <stddef.h>
#include <time.h>

struct spool;

int spool_tls_load(struct spool *sp, const char *key, time_t now,
    unsigned char **data, size_t *len, char **errstr);
int spool_tls_store(struct spool *sp, const char *key,
    const unsigned char *data, size_t len, time_t expires, int full,
    int resumed, time_t now, char **errstr);
int spool_tls_counts(struct spool *sp, long long *full, long long *resumed,
    char **errstr);

#endif
