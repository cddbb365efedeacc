/*
 * NAME
 *	conf_set - one msmtprc command applied to an account; see conf.h.
 * DESCRIPTION
 *	Looks the command up in conf_cmds[] (conf_cmds.c) and parses its
 *	argument by the row's kind: words, integers and durations, DSN
 *	lists, fingerprints, file names with "~". The file reader and the
 *	command line both come here, so values and error texts are shared.
 *	Behaviour follows Debian's msmtp 1.8.23, which was run to settle
 *	every detail (which empty arguments unset a value and which are
 *	errors, the exact messages).
 * DIAGNOSTICS
 *	EX_CONFIG with a newly allocated message; a is unchanged on error.
 */
#include "account/conf_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/duration.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/homedir.h"
#include "util/xalloc.h"

/* find_word - the entry of words equal to arg, or NULL. */
static const struct word *find_word(const struct word *w, const char *arg)
{
	for (; w->word != NULL; w++)
		if (strcmp(w->word, arg) == 0)
			return w;
	return NULL;
}

/* parse_int - msmtp's get_pos_int() (strtol base 0), then a range; 0
 * only where min allows it (queue_keep_sent: keep nothing). */
static int parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end != '\0' || errno == ERANGE || v < 0 ||
	    (v == 0 && min > 0) ||
	    v > INT_MAX || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* dsn_word - the length of the DSN keyword at s, its bit in *bit. */
static size_t dsn_word(const char *s, int *bit)
{
	static const char *const names[] = { "failure", "delay", "success" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(names[i]);
		if (strncmp(s, names[i], n) == 0 &&
		    (s[n] == ',' || s[n] == '\0')) {
			*bit = 1 << i;
			return n;
		}
	}
	return 0;
}

/* parse_dsn_notify - "never" or a list of distinct failure, delay,
 * success; the value upper-cased, or NULL if invalid. */
static char *parse_dsn_notify(const char *arg)
{
	const char *p = arg;
	int seen = 0, bit;
	size_t n;
	char *v;

	if (strcmp(arg, "never") != 0) {
		for (;;) {
			if ((n = dsn_word(p, &bit)) == 0 || (seen & bit))
				return NULL;
			seen |= bit;
			p += n;
			if (*p == '\0')
				break;
			p++;
		}
	}
	v = xstrdup(arg);
	for (n = 0; v[n] != '\0'; n++)
		v[n] = (char)toupper((unsigned char)v[n]);
	return v;
}

/* parse_fingerprint - 16, 20 or 32 hex pairs separated by ':' or ' ',
 * as "AB:CD:..."; NULL if invalid. */
static char *parse_fingerprint(const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t len = strlen(s), n = (len + 1) / 3, i;
	char *v;

	if (len % 3 != 2 || (n != 16 && n != 20 && n != 32))
		return NULL;
	v = xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
		char sep = s[3 * i + 2];

		if (hi < 0 || lo < 0 ||
		    (i + 1 < n && sep != ':' && sep != ' ')) {
			free(v);
			return NULL;
		}
		v[3 * i] = digits[hi];
		v[3 * i + 1] = digits[lo];
		if (i + 1 < n)
			v[3 * i + 2] = ':';
	}
	v[len] = '\0';
	return v;
}

/* file_name - arg with a leading '~' replaced by the home directory. */
static char *file_name(const char *arg)
{
	char *home, *s;

	if (arg[0] != '~')
		return xstrdup(arg);
	home = homedir();
	s = xasprintf("%s%s", home, arg + 1);
	free(home);
	return s;
}

/* set_str - replace the string field of c in a by v (adopted). */
static void set_str(struct account *a, const struct cmd *c, char *v)
{
	char **field = (char **)(void *)((char *)a + c->off);

	free(*field);
	*field = v;
}

/* set_int - set the int field of c in a. */
static void set_int(struct account *a, const struct cmd *c, int v)
{
	*(int *)(void *)((char *)a + c->off) = v;
}

/* apply_string - K_STR, K_TEXT: store arg. */
static void apply_string(struct account *a, const struct cmd *c,
    const char *arg)
{
	if (c->kind == K_STR && *arg == '\0')
		set_str(a, c, NULL);
	else if (c->flags & F_HOME)
		set_str(a, c, file_name(arg));
	else
		set_str(a, c, xstrdup(arg));
}

/* apply - set command c in a from arg; -1 if arg is invalid. */
static int apply(struct account *a, const struct cmd *c, const char *arg)
{
	const struct word *w;
	char *v;
	int n = 0;

	switch (c->kind) {
	case K_STR:
	case K_TEXT:
		apply_string(a, c, arg);
		return 0;
	case K_WORD:
	case K_NAME:
		if ((w = find_word(c->words, arg)) == NULL)
			return -1;
		if (c->kind == K_WORD)
			set_int(a, c, w->ival);
		else
			set_str(a, c, w->sval ? xstrdup(w->sval) : NULL);
		return 0;
	case K_INT:
		if (*arg != '\0' && !((c->flags & F_OFF) &&
		    strcmp(arg, "off") == 0) &&
		    ((c->flags & F_DUR) ? duration_parse(arg, c->min, c->max,
		    &n) : parse_int(arg, c->min, c->max, &n)) != 0)
			return -1;
		set_int(a, c, n);
		return 0;
	case K_NOARG:
		set_int(a, c, c->ival);
		return 0;
	case K_DSN:
		v = NULL;
		if (strcmp(arg, "off") != 0 &&
		    (v = parse_dsn_notify(arg)) == NULL)
			return -1;
		set_str(a, c, v);
		return 0;
	case K_FPR:
		v = NULL;
		if (*arg != '\0' && (v = parse_fingerprint(arg)) == NULL)
			return -1;
		set_str(a, c, v);
		return 0;
	case K_NOOP:
		return 0;
	}
	return -1;
}

/* line_error_for - "command C: <arg>: a line break ... not allowed". */
static char *line_error_for(const char *cmd, const char *arg)
{
	char *what = xasprintf("command %s:", cmd), *msg;

	msg = escape_line_error(what, arg);
	free(what);
	return msg;
}

int conf_set(struct account *a, const char *cmd, const char *arg,
    char **errstr)
{
	const struct cmd *c = conf_find_cmd(cmd);
	char *shown;

	if (arg == NULL)
		arg = "";
	if (c == NULL) {
		*errstr = xasprintf("unknown command %s", cmd);
		return EX_CONFIG;
	}
	if ((c->flags & F_REQ) && *arg == '\0') {
		*errstr = xasprintf("command %s needs an argument", cmd);
		return EX_CONFIG;
	}
	if (c->kind == K_NOARG && *arg != '\0') {
		*errstr = xasprintf("command %s does not take an argument",
		    cmd);
		return EX_CONFIG;
	}
	if ((c->flags & F_LINE) && escape_breaks_line_str(arg)) {
		*errstr = line_error_for(cmd, arg);
		return EX_CONFIG;
	}
	if (apply(a, c, arg) != 0) {
		shown = escape_str(arg);
		*errstr = (c->flags & F_DUR) ? xasprintf("invalid duration "
		    "%s for command %s (" DURATION_EXAMPLES ")", shown, cmd) :
		    xasprintf("invalid argument %s for command %s", shown,
		    cmd);
		free(shown);
		return EX_CONFIG;
	}
	if (c->bit >= 0)
		a->mask |= ACC_MASK(c->bit);
	return EX_OK;
}
