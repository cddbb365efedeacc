/*
 * NAME
 *	snapshot - account snapshots for the spool; see snapshot.h.
 * DESCRIPTION
 *	Every setting as one msmtprc line, written from conf_cmds[] so that
 *	reading it back goes through conf_set() like any config file.
 *	Secrets are left out on purpose.
 */
#include "account/snapshot.h"

#include "account/conf_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/buf.h"
#include "util/trim.h"
#include "util/xalloc.h"

/* word_for - the first non-empty word of c that stands for the value. */
static const char *word_for(const struct cmd *c, int ival, const char *sval)
{
	const struct word *w;

	for (w = c->words; w->word != NULL; w++) {
		if (w->word[0] == '\0')
			continue;
		if (c->kind == K_WORD && w->ival == ival)
			return w->word;
		if (c->kind == K_NAME && (sval == NULL ? w->sval == NULL :
		    w->sval != NULL && strcmp(w->sval, sval) == 0))
			return w->word;
	}
	return NULL;
}

/* dump_arg - the argument that gives c's field a's value, or NULL to
 * leave the line out (the built-in default already says it). */
static char *dump_arg(const struct account *a, const struct cmd *c)
{
	const char *base = (const char *)a, *s = NULL, *w;
	int i = 0;

	/* Each kind names a field of one type: read only that type, so a
	 * narrow int field is never loaded as a pointer. */
	if (c->kind == K_WORD || c->kind == K_INT)
		memcpy(&i, base + c->off, sizeof i);
	else if (c->kind != K_NOARG && c->kind != K_NOOP)
		memcpy(&s, base + c->off, sizeof s);
	switch (c->kind) {
	case K_STR:
	case K_FPR:
		return xstrdup(s ? s : "");
	case K_TEXT:
		return s ? xstrdup(s) : NULL;
	case K_WORD:
	case K_NAME:
		w = word_for(c, i, c->kind == K_NAME ? s : NULL);
		return w ? xstrdup(w) : NULL;
	case K_INT:
		if (i == 0 && c->min == 0)
			return xstrdup("0");
		if (i == 0)
			return (c->flags & F_OFF) ? xstrdup("off") : NULL;
		return xasprintf("%d", i);
	case K_DSN:
		return xstrdup(s ? s : "off");
	case K_NOARG:
	case K_NOOP:
		return NULL;
	}
	return NULL;
}

/* dump_lower - K_DSN values are stored upper-case, parsed lower-case. */
static void dump_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

void snapshot_dump(const struct account *a, struct buf *out)
{
	size_t i, j;
	char *arg;

	for (i = 0; i < conf_ncmds; i++) {
		const struct cmd *c = &conf_cmds[i];
		int seen = 0;

		for (j = 0; j < i; j++)
			seen |= conf_cmds[j].off == c->off && conf_cmds[j].kind != K_NOOP;
		if (seen || c->bit == ACC_PASSWORD ||
		    c->bit == ACC_OAUTH2_CLIENT_SECRET || c->kind == K_NOOP)
			continue;
		/* The password wins over it (msmtp's order): a snapshot
		 * with it would fetch a secret the account never used. */
		if (c->bit == ACC_PASSWORDEVAL && a->password != NULL)
			continue;
		if ((arg = dump_arg(a, c)) == NULL)
			continue;
		if (c->kind == K_DSN)
			dump_lower(arg);
		/* A line break cannot be written as one msmtprc line. */
		if (strchr(arg, '\n') == NULL && strchr(arg, '\r') == NULL)
			buf_printf(out, "%s \"%s\"\n", c->name, arg);
		free(arg);
	}
}

int snapshot_undump(const char *text, struct account *a, char **errstr)
{
	char *copy = xstrdup(text), *line, *next, *cmd, *arg;
	int rc = EX_OK;

	for (line = copy; rc == EX_OK && line != NULL && *line != '\0';
	    line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		cmd = trim(line, TRIM_BLANKS);
		for (arg = cmd; *arg != '\0' && !conf_is_blank(*arg); arg++)
			continue;
		if (*arg != '\0')
			*arg++ = '\0';
		arg = conf_unquote(trim(arg, TRIM_BLANKS));
		if (*cmd != '\0')
			rc = conf_set(a, cmd, arg, errstr);
	}
	free(copy);
	return rc;
}
