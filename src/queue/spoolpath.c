/*
 * spoolpath - where the spool is; see spoolpath.h.
 */
#include "queue/spoolpath.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/homedir.h"
#include "util/xalloc.h"

#define ENV_QUEUE_FILE	"MSMTP_QUEUE_FILE"

char *spoolpath_default(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	char *home, *path;

	if (state != NULL && state[0] == '/')
		return xasprintf("%s/msmtp/queue.db", state);
	home = homedir();
	path = xasprintf("%s/.local/state/msmtp/queue.db", home);
	free(home);
	return path;
}

/* user_name - the real user's login name (never $USER: a spool path
 * must not follow the environment to another user's name). */
static int user_name(struct buf *b, char **errstr)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL || pw->pw_name == NULL || pw->pw_name[0] == '\0') {
		*errstr = xasprintf("cannot expand %%U in the spool's name: "
		    "user id %lu has no name", (unsigned long)getuid());
		return EX_NOUSER;
	}
	buf_puts(b, pw->pw_name);
	return EX_OK;
}

/* add_home - a leading "~" or "~/" as the home directory, as msmtp
 * does for its files; "~user" is refused rather than taken for a
 * directory of that name. p is moved past what was used. */
static int add_home(struct buf *b, const char **p, char **errstr)
{
	char *home;

	if ((*p)[0] != '~')
		return EX_OK;
	if ((*p)[1] != '\0' && (*p)[1] != '/') {
		*errstr = xasprintf("%s: only ~ and ~/ are expanded in the "
		    "spool's name: give the full path", *p);
		return EX_NOUSER;
	}
	home = homedir();
	buf_puts(b, home);
	free(home);
	(*p)++;
	return EX_OK;
}

int spoolpath_expand(const char *name, char **out, char **errstr)
{
	struct buf b;
	const char *p = name;
	int rc;

	buf_init(&b);
	rc = add_home(&b, &p, errstr);
	for (; *p != '\0' && rc == EX_OK; p++) {
		if (p[0] != '%' || (p[1] != 'U' && p[1] != 'u' &&
		    p[1] != '%')) {
			buf_putc(&b, *p);
			continue;
		}
		p++;
		if (*p == 'U')
			rc = user_name(&b, errstr);
		else if (*p == 'u')
			buf_printf(&b, "%lu", (unsigned long)getuid());
		else
			buf_putc(&b, '%');
	}
	if (rc != EX_OK) {
		buf_free(&b);
		return rc;
	}
	*out = buf_steal(&b);
	return EX_OK;
}

/* env_file - $MSMTP_QUEUE_FILE, or NULL when unset or empty. */
static const char *env_file(void)
{
	const char *env = getenv(ENV_QUEUE_FILE);

	return env != NULL && env[0] != '\0' ? env : NULL;
}

int spoolpath_resolve(const char *configured, char **out, char **errstr)
{
	char *def;
	int rc;

	if (configured == NULL)
		configured = env_file();
	if (configured != NULL)
		return spoolpath_expand(configured, out, errstr);
	def = spoolpath_default();
	rc = spoolpath_expand(def, out, errstr);
	free(def);
	return rc;
}

static int listed(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* add_once - name, expanded, unless out has it already. */
static void add_once(const char *name, struct strlist *out,
    struct strlist *skipped)
{
	char *path = NULL, *errstr = NULL;

	if (spoolpath_expand(name, &path, &errstr) != EX_OK) {
		strlist_take(skipped, errstr);
		return;
	}
	if (listed(out, path))
		free(path);
	else
		strlist_take(out, path);
}

void spoolpath_all(const char *option, const struct strlist *configured,
    struct strlist *out, struct strlist *skipped)
{
	char *def;
	size_t i;

	if (option != NULL) {
		add_once(option, out, skipped);
		return;
	}
	if (env_file() != NULL)
		add_once(env_file(), out, skipped);
	for (i = 0; configured != NULL && i < configured->n; i++)
		add_once(configured->v[i], out, skipped);
	def = spoolpath_default();
	add_once(def, out, skipped);
	free(def);
}
