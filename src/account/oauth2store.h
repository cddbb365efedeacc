/*
 * oauth2store - where an account's OAuth2 tokens are kept between runs:
 * one 0600 file per (user, host) under $XDG_STATE_HOME/msmtp/oauth2/
 * (default ~/.local/state), in a 0700 directory.
 *
 * The file holds the refresh token that msmtp --oauth2-authorize got
 * (or, when the Secret Service took it, that it is there: item
 * host HOST, service oauth2, user USER; account/oauth2.c), the client
 * secret it was got with (so that msmtp-queue, whose spooled
 * account snapshot never carries the secret, can refresh too), and the
 * last access token with the time it expires. One "key value" line
 * each; unknown lines are ignored.
 *
 * Writers take the store's lock (oauth2_store_lock()) around
 * read-refresh-write, so that two runners never spend the same refresh
 * token twice (Microsoft's rotate on every use); the file is replaced by
 * rename(), so a reader never sees half of one.
 *
 * Ownership: struct oauth2_tokens owns its strings; oauth2_tokens_free()
 * wipes them. Errors: a sysexits code and *errstr, newly allocated.
 *
 * SECURITY: tokens are never written anywhere else, and files and
 * buffers that held them are wiped or made 0600 before use.
 */
#ifndef ACCOUNT_OAUTH2STORE_H
#define ACCOUNT_OAUTH2STORE_H

#include <time.h>

struct account;

struct oauth2_tokens {
	char	*refresh;	/* NULL when in_keyring */
	int	 in_keyring;	/* the refresh token is in the keyring */
	char	*client_secret;	/* as given when authorized, or NULL */
	char	*access;
	time_t	 expires;	/* of access; 0: unknown */
};

/* oauth2_store_path - the account's file (newly allocated). */
char *oauth2_store_path(const struct account *a);

/* oauth2_store_read - path into t (zeroed first); 0 when there is no
 * file (t then empty), -1 when it cannot be read. */
int oauth2_store_read(const char *path, struct oauth2_tokens *t);

/* oauth2_store_write - replace path with t, creating the directories. */
int oauth2_store_write(const char *path, const struct oauth2_tokens *t,
    char **errstr);

/* oauth2_store_lock - an exclusive lock on path's tokens, held until
 * oauth2_store_unlock(fd); -1 (no lock, go on) when it cannot be had. */
int oauth2_store_lock(const char *path);
void oauth2_store_unlock(int fd);

void oauth2_tokens_free(struct oauth2_tokens *t);

#endif
