/*
 * NAME
 *	conf_load - the msmtprc file reader; see conf.h.
 * DESCRIPTION
 *	Splits each line into command and argument (trimming, quotes, one
 *	CR), handles what is file structure rather than a setting
 *	("defaults", "account NAME : PARENT,...", "eval") and hands every
 *	other command to conf_set(). Then the per-file checks (backoff
 *	bounds, the secret rule) and the merge of the user file over the
 *	system file. Behaviour follows Debian's msmtp 1.8.23.
 * DIAGNOSTICS
 *	Sysexits codes with a newly allocated message; see conf.h.
 * SECURITY
 *	Reads configuration that may hold passwords: the user file must be
 *	private to its owner if it holds a "password" command (unless root),
 *	and the line buffers are wiped. "eval" runs a shell command from the
 *	file, as msmtp does; the child gets /dev/null as stdin (ours may
 *	carry the mail), and the files opened here are close-on-exec.
 */
#include "account/conf_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/harden.h"
#include "util/secretline.h"
#include "util/trim.h"
#include "util/xalloc.h"

/* acc_add - append a to c (one file's accounts, or the merged result). */
static void acc_add(struct conf *c, struct account *a)
{
	if (c->nacc == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->acc = xreallocarray(c->acc, c->cap, sizeof(*c->acc));
	}
	c->acc[c->nacc++] = a;
}

/* One file being read: where its lines go, and what the checks after it
 * need to know. */
struct parser {
	const char	*file;
	unsigned long	 line;
	struct conf	 accs;		/* this file's accounts */
	struct account	*defaults;
	struct account	*cur;		/* where commands go; NULL: none yet */
	int		 in_defaults;
	int		 has_secret;	/* a literal "password" was seen */
};

/* conf_is_blank - the blanks msmtp trims: space and tab. */
int conf_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* conf_unquote - s without one pair of enclosing double quotes, in place. */
char *conf_unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

/* chomp - drop a trailing LF, then one CR. */
static void chomp(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
}

/* line_error - EX_CONFIG "<file>: line N: <message>". */
static int line_error(const struct parser *p, char **errstr,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int line_error(const struct parser *p, char **errstr,
    const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_printf(&b, "%s: line %lu: ", p->file, p->line);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*errstr = buf_steal(&b);
	return EX_CONFIG;
}

/*
 * new_account - an account holding the current defaults' values but not
 * their mask bits: as in msmtp, "account c : a, b" lays over c only what
 * a and b set themselves (or inherited), never what they got from
 * "defaults".
 */
static struct account *new_account(const struct parser *p, const char *id)
{
	struct account *a = account_copy(p->defaults, id);

	free(a->conffile);
	a->conffile = xstrdup(p->file);
	a->mask = 0;
	return a;
}

/* note_default_of - "account default : parent", parent its only one
 * (else NULL), makes "default" another name of parent. */
static void note_default_of(struct conf *c, const char *name,
    const char *parent)
{
	if (strcmp(name, "default") != 0)
		return;
	free(c->default_of);
	c->default_of = parent ? xstrdup(parent) : NULL;
}

/* take_default_of - from's idea of "default", if it defines one. */
static void take_default_of(struct conf *to, struct conf *from)
{
	if (conf_find(from, "default") == NULL)
		return;
	free(to->default_of);
	to->default_of = from->default_of;
	from->default_of = NULL;
}

/* start_account - "account NAME [: PARENT,...]". */
static int start_account(struct parser *p, char *arg, char **errstr)
{
	char *colon = strchr(arg, ':'), *name, *list, *item, *last = NULL;
	struct account *a, *parent;
	int nparents = 0;

	if (colon != NULL)
		*colon = '\0';
	name = conf_unquote(trim(arg, TRIM_BLANKS));
	if (*name == '\0')
		return line_error(p, errstr, "missing account name");
	if (strpbrk(name, ":,") != NULL)
		return line_error(p, errstr, "an account name must not "
		    "contain colons or commas");
	if (conf_find(&p->accs, name) != NULL)
		return line_error(p, errstr,
		    "account %s was already defined", name);
	a = new_account(p, name);
	for (list = colon ? colon + 1 : NULL; list != NULL; list = item) {
		if ((item = strchr(list, ',')) != NULL)
			*item++ = '\0';
		list = conf_unquote(trim(list, TRIM_BLANKS));
		if (*list == '\0') {
			account_free(a);
			return line_error(p, errstr, "missing account name");
		}
		if ((parent = conf_find(&p->accs, list)) == NULL) {
			account_free(a);
			return line_error(p, errstr,
			    "account %s not (yet) defined", list);
		}
		account_merge(a, parent);
		last = list;
		nparents++;
	}
	note_default_of(&p->accs, name, nparents == 1 ? last : NULL);
	acc_add(&p->accs, a);
	p->cur = a;
	p->in_defaults = 0;
	return EX_OK;
}

/* set_command - an ordinary command, for the current account. */
static int set_command(struct parser *p, const char *cmd, const char *arg,
    int from_eval, char **errstr)
{
	char *err = NULL;
	int rc;

	if (!p->in_defaults && p->cur == NULL) {
		/* msmtp 1.2 compat: commands before any "account" */
		p->cur = new_account(p, "default");
		acc_add(&p->accs, p->cur);
	}
	rc = conf_set(p->in_defaults ? p->defaults : p->cur, cmd, arg, &err);
	if (rc != EX_OK) {
		*errstr = xasprintf("%s: line %lu: %s", p->file, p->line, err);
		free(err);
		return rc;
	}
	if (!from_eval && strcmp(cmd, "password") == 0)
		p->has_secret = 1;
	return EX_OK;
}

static int parse_line(struct parser *p, char *line, int from_eval,
    char **errstr);

/* run_eval - "eval CMD": parse the first line CMD prints instead. */
static int run_eval(struct parser *p, const char *cmd, char **errstr)
{
	char *out, *err;
	int rc;

	if (secretline_eval(cmd, &out, NULL, &err) != EX_OK) {
		*errstr = xasprintf("%s: %s", p->file, err);
		free(err);
		return EX_IOERR;
	}
	rc = parse_line(p, out, 1, errstr);
	secretline_free(out);	/* "eval" may well print a password line */
	return rc;
}

/* parse_line - one line, without its line end. */
static int parse_line(struct parser *p, char *line, int from_eval,
    char **errstr)
{
	char *cmd, *arg;

	cmd = trim(line, TRIM_BLANKS);
	if (*cmd == '\0' || *cmd == '#')
		return EX_OK;
	for (arg = cmd; *arg != '\0' && !conf_is_blank(*arg); arg++)
		continue;
	if (*arg != '\0')
		*arg++ = '\0';
	arg = conf_unquote(trim(arg, TRIM_BLANKS));
	if (strcmp(cmd, "eval") == 0 && !from_eval) {
		if (*arg == '\0')
			return line_error(p, errstr,
			    "command %s needs an argument", cmd);
		return run_eval(p, arg, errstr);
	}
	if (strcmp(cmd, "defaults") == 0) {
		if (*arg != '\0')
			return line_error(p, errstr,
			    "command %s does not take an argument", cmd);
		p->in_defaults = 1;
		p->cur = NULL;
		return EX_OK;
	}
	if (strcmp(cmd, "account") == 0)
		return start_account(p, arg, errstr);
	if (strcmp(cmd, "eval") == 0)
		return line_error(p, errstr, "unknown command %s", cmd);
	return set_command(p, cmd, arg, from_eval, errstr);
}

/* check_secret - msmtp's rule for a user file holding a password. */
static int check_secret(const char *file, FILE *fp, uid_t euid,
    char **errstr)
{
	struct stat st;

	if (fstat(fileno(fp), &st) != 0) {
		*errstr = xasprintf("%s: %s", file, strerror(errno));
		return EX_IOERR;
	}
	if (st.st_uid != euid) {
		*errstr = xasprintf("%s: contains secrets and therefore "
		    "must be owned by you", file);
		return EX_CONFIG;
	}
	if (st.st_mode & (S_IXUSR | S_IRWXG | S_IRWXO)) {
		*errstr = xasprintf("%s: contains secrets and therefore "
		    "must have no more than user read/write permissions", file);
		return EX_CONFIG;
	}
	return EX_OK;
}

/* parse_stream - every line of fp into p. */
static int parse_stream(struct parser *p, FILE *fp, char **errstr)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = EX_OK;

	while (rc == EX_OK && getline(&line, &cap, fp) >= 0) {
		p->line++;
		chomp(line);
		rc = parse_line(p, line, 0, errstr);
	}
	wipe(line, cap);	/* it held a "password" line, perhaps */
	free(line);
	if (rc == EX_OK && ferror(fp)) {
		*errstr = xasprintf("%s: input error", p->file);
		rc = EX_IOERR;
	}
	return rc;
}

/* check_backoff - an account whose longest wait is shorter than its
 * first is refused, with both values: which one is wrong is the user's
 * call. */
static int check_backoff(const char *file, const struct account *a,
    char **errstr)
{
	if (a->queue_backoff_max >= a->queue_backoff_min)
		return EX_OK;
	*errstr = xasprintf("%s: account %s: queue_backoff_max (%d seconds) "
	    "is less than queue_backoff_min (%d seconds)", file, a->id,
	    a->queue_backoff_max, a->queue_backoff_min);
	return EX_CONFIG;
}

/*
 * read_file - parse one file, appending its accounts to out. If it cannot
 * be opened, returns EX_IOERR with *open_errno set and *errstr untouched.
 */
static int read_file(const char *file, int check, uid_t euid,
    struct conf *out, int *open_errno, char **errstr)
{
	char iobuf[BUFSIZ];	/* ours, to be wiped: "password" lines */
	struct parser p;
	FILE *fp;
	int rc;
	size_t i;

	*open_errno = 0;
	if ((fp = fopen(file, "re")) == NULL) {
		*open_errno = errno;
		return EX_IOERR;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	memset(&p, 0, sizeof(p));
	conf_init(&p.accs);
	p.file = file;
	p.defaults = account_new(NULL);
	rc = parse_stream(&p, fp, errstr);
	for (i = 0; rc == EX_OK && i < p.accs.nacc; i++)
		rc = check_backoff(file, p.accs.acc[i], errstr);
	if (rc == EX_OK && check && p.has_secret && euid != 0)
		rc = check_secret(file, fp, euid, errstr);
	fclose(fp);
	wipe(iobuf, sizeof(iobuf));
	account_free(p.defaults);
	if (rc == EX_OK)
		take_default_of(out, &p.accs);
	free(p.accs.default_of);
	for (i = 0; i < p.accs.nacc; i++) {
		if (rc == EX_OK)
			acc_add(out, p.accs.acc[i]);
		else
			account_free(p.accs.acc[i]);
	}
	free(p.accs.acc);
	return rc;
}

/* load_user - read the user file and lay its accounts over c's. */
static int load_user(const char *file, int required, uid_t euid,
    struct conf *c, char **errstr)
{
	struct conf user;
	size_t i, n;
	int rc, err;

	conf_init(&user);
	c->userfile = xstrdup(file);
	rc = read_file(file, 1, euid, &user, &err, errstr);
	if (err != 0 && !required) {
		c->userfile_error = xstrdup(strerror(err));
		return EX_OK;
	}
	if (err != 0)
		*errstr = xasprintf("%s: %s", file, strerror(err));
	if (rc != EX_OK) {
		conf_free(&user);
		return rc;
	}
	c->userfile_loaded = 1;
	for (i = n = 0; i < c->nacc; i++) {
		if (conf_find(&user, c->acc[i]->id) != NULL)
			account_free(c->acc[i]);
		else
			c->acc[n++] = c->acc[i];
	}
	c->nacc = n;
	take_default_of(c, &user);
	free(user.default_of);
	for (i = 0; i < user.nacc; i++)
		acc_add(c, user.acc[i]);
	free(user.acc);
	return EX_OK;
}

int conf_load(const char *sysfile, const char *userfile,
    int userfile_required, uid_t euid, struct conf *out, char **errstr)
{
	int rc, err;

	conf_init(out);
	if (sysfile != NULL) {
		out->sysfile = xstrdup(sysfile);
		rc = read_file(sysfile, 0, 0, out, &err, errstr);
		if (err != 0)
			out->sysfile_error = xstrdup(strerror(err));
		else if (rc != EX_OK)
			return rc;
		else
			out->sysfile_loaded = 1;
	}
	if (userfile == NULL)
		return EX_OK;
	return load_user(userfile, userfile_required, euid, out, errstr);
}
