/*
 * argv - the pipe command line; see argv.h.
 */
#include "msmtpd/argv.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/buf.h"
#include "util/xalloc.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* dquoted - the inside of "...": *s after the opening quote, left after
 * the closing one; -1 if it is missing. */
static int dquoted(const char **s, struct buf *w)
{
	const char *p = *s;

	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]))
			p++;
		buf_putc(w, *p);
	}
	if (*p != '"')
		return -1;
	*s = p + 1;
	return 0;
}

/* squoted - the inside of '...', like dquoted(). */
static int squoted(const char **s, struct buf *w)
{
	const char *end = strchr(*s, '\'');

	if (end == NULL)
		return -1;
	buf_append(w, *s, (size_t)(end - *s));
	*s = end + 1;
	return 0;
}

int argv_split(const char *cmd, struct strlist *words, char **errstr)
{
	const char *s = cmd;
	struct buf w;
	int rc = 0;

	buf_init(&w);
	while (rc == 0) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			break;
		buf_reset(&w);
		while (rc == 0 && *s != '\0' && !is_blank(*s)) {
			if (*s == '\'') {
				s++;
				rc = squoted(&s, &w);
			} else if (*s == '"') {
				s++;
				rc = dquoted(&s, &w);
			} else {
				if (*s == '\\' && s[1] != '\0')
					s++;
				buf_putc(&w, *s++);
			}
		}
		if (rc == 0)
			strlist_add(words, w.data);
	}
	buf_free(&w);
	if (rc != 0) {
		*errstr = xasprintf("unterminated quote in command '%s'", cmd);
		return EX_USAGE;
	}
	if (words->n == 0) {
		*errstr = xstrdup("the command is empty");
		return EX_USAGE;
	}
	return EX_OK;
}

/* put_from - word with its first "%F" replaced by from. */
static char *put_from(const char *word, const char *pct, const char *from)
{
	struct buf b;

	buf_init(&b);
	buf_append(&b, word, (size_t)(pct - word));
	buf_puts(&b, from);
	buf_puts(&b, pct + 2);
	return buf_steal(&b);
}

char **argv_build(const struct strlist *words, const char *from,
    const struct strlist *rcpts)
{
	char **argv = xcalloc(words->n + rcpts->n + 1, sizeof(*argv));
	const char *pct;
	size_t i, n = 0;
	int replaced = 0;

	if (from[0] == '\0')
		from = "<>";
	for (i = 0; i < words->n; i++) {
		pct = replaced ? NULL : strstr(words->v[i], "%F");
		if (pct != NULL) {
			argv[n++] = put_from(words->v[i], pct, from);
			replaced = 1;
		} else {
			argv[n++] = xstrdup(words->v[i]);
		}
	}
	for (i = 0; i < rcpts->n; i++)
		argv[n++] = xstrdup(rcpts->v[i]);
	argv[n] = NULL;
	return argv;
}

void argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}
