/*
 * keyring - a password from the Secret Service through libsecret; see
 * keyring.h.
 *
 * libsecret is loaded here, when a lookup is first needed, and not
 * linked: it brings GLib, GIO and GObject, whose loading and start-up
 * cost every send some 2 ms of CPU and 3 MB of memory (measured with
 * bench/send_1000.py), while only an account that has no password and no
 * passwordeval ever reaches the keyring. Each lookup takes its own
 * reference to the library and never drops it (RTLD_NODELETE: GLib
 * cannot be unloaded), so there is no state here to share.
 */
#include "util/keyring.h"

#include <dlfcn.h>
#include <libsecret/secret.h>

#include "util/xalloc.h"

#define LIBSECRET	"libsecret-1.so.0"

/* The functions taken from libsecret (and GLib, which it loads). */
struct libsecret {
	__typeof__(secret_password_lookup_sync)	*lookup;
	__typeof__(secret_password_store_sync)	*store;
	__typeof__(secret_password_free)	*free_password;
	__typeof__(secret_get_schema)		*get_schema;
	__typeof__(g_error_free)		*free_error;
};

/* libsecret_load - the library's functions; 0 when it is not there (a
 * machine without libsecret has no keyring: no answer, no error). */
static int libsecret_load(struct libsecret *ls)
{
	void *h;

	if ((h = dlopen(LIBSECRET, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL)
		return 0;
	ls->lookup = (__typeof__(ls->lookup))dlsym(h,
	    "secret_password_lookup_sync");
	ls->store = (__typeof__(ls->store))dlsym(h,
	    "secret_password_store_sync");
	ls->free_password = (__typeof__(ls->free_password))dlsym(h,
	    "secret_password_free");
	ls->get_schema = (__typeof__(ls->get_schema))dlsym(h,
	    "secret_get_schema");
	ls->free_error = (__typeof__(ls->free_error))dlsym(h, "g_error_free");
	return ls->lookup != NULL && ls->store != NULL &&
	    ls->free_password != NULL &&
	    ls->get_schema != NULL && ls->free_error != NULL;
}

/* msmtp_schema - the attributes secret-tool stores for msmtp. The name
 * is msmtp's, but not matched: secret-tool files its items under its
 * own generic schema, and those must be found too. */
static const SecretSchema *msmtp_schema(void)
{
	static const SecretSchema schema = {
		"de.marlam.msmtp.password", SECRET_SCHEMA_DONT_MATCH_NAME,
		{
			{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ NULL, 0 },
		},
		0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	};

	return &schema;
}

/* ask - one lookup by three attributes. A failure is no answer, and
 * *failed says so: the error says only that there is no bus or no
 * service (which msmtp does not report either), and asking again would
 * only wait for it again. */
static gchar *ask(const struct libsecret *ls, const SecretSchema *schema,
    const char *const kv[6], int *failed)
{
	GError *err = NULL;
	gchar *found;

	found = ls->lookup(schema, NULL, &err, kv[0], kv[1], kv[2], kv[3],
	    kv[4], kv[5], (char *)NULL);
	*failed = err != NULL;
	if (err != NULL)
		ls->free_error(err);
	return found;
}

/* take - our copy of libsecret's secret, whose memory it wipes. */
static char *take(const struct libsecret *ls, gchar *found)
{
	char *pw;

	if (found == NULL)
		return NULL;
	pw = xstrdup(found);
	ls->free_password(found);
	return pw;
}

char *keyring_lookup(const char *host, const char *service,
    const char *user)
{
	const char *const ours[6] = { "host", host, "service", service,
	    "user", user };
	const char *const gnome[6] = { "user", user, "protocol", service,
	    "server", host };
	struct libsecret ls;
	const SecretSchema *old;
	gchar *found;
	int failed;

	if (!libsecret_load(&ls))
		return NULL;
	found = ask(&ls, msmtp_schema(), ours, &failed);
	if (found == NULL && !failed) {	/* the older GNOME Keyring API's */
		old = ls.get_schema(SECRET_SCHEMA_TYPE_COMPAT_NETWORK);
		found = ask(&ls, old, gnome, &failed);
	}
	return take(&ls, found);
}

int keyring_store(const char *host, const char *service, const char *user,
    const char *label, const char *secret)
{
	struct libsecret ls;
	GError *err = NULL;
	gboolean ok;

	if (!libsecret_load(&ls))
		return -1;
	ok = ls.store(msmtp_schema(), SECRET_COLLECTION_DEFAULT, label, secret,
	    NULL, &err, "host", host, "service", service, "user", user,
	    (char *)NULL);
	if (err != NULL)
		ls.free_error(err);
	return ok && err == NULL ? 0 : -1;
}
