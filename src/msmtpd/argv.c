/*
 * argv - the pipe command line; see argv.h.
 *
 * SECURITY: the sender and the recipients come from the client. The
 * script text given to the shell is --command plus fixed text; the
 * client's bytes enter it only through argv_sender_inert(), and
 * otherwise only as positional parameters, which the shell expands but
 * never parses.
 */
#include "msmtpd/argv.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define FROM_VAR	"msmtpd_from"
#define PREAMBLE	FROM_VAR "=$1; shift; "
#define RCPTS		" \"$@\""

enum ctx { CTX_PLAIN, CTX_SQUOTED, CTX_DQUOTED };

/* What the reader knows after the text it has read. */
struct reader {
	enum ctx	ctx;
	int		lost;	/* past something it does not follow */
	int		op_end;	/* the last thing read was ; & | or a lone \ */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* nested - `...`, $(...), ${...} or bash's $'...' start at p. */
static int nested(const char *p)
{
	return p[0] == '`' || (p[0] == '$' && (p[1] == '(' || p[1] == '{' ||
	    p[1] == '\''));
}

static size_t step_plain(struct reader *r, const char *p)
{
	if (!is_blank(*p))
		r->op_end = *p != '\0' && strchr(";&|", *p) != NULL;
	if (*p == '\\') {
		r->op_end = p[1] == '\0';
		return p[1] != '\0' ? 2 : 1;
	}
	if (*p == '\'')
		r->ctx = CTX_SQUOTED;
	else if (*p == '"')
		r->ctx = CTX_DQUOTED;
	else if (nested(p) || *p == '#' || (p[0] == '<' && p[1] == '<'))
		r->lost = 1;
	return 1;
}

static size_t step_dquoted(struct reader *r, const char *p)
{
	if (*p == '\\' && p[1] != '\0' && strchr("$`\"\\\n", p[1]) != NULL)
		return 2;
	if (*p == '"')
		r->ctx = CTX_PLAIN;
	else if (nested(p))
		r->lost = 1;
	return 1;
}

/* step - read the character at p (two for an escape); how many. */
static size_t step(struct reader *r, const char *p)
{
	switch (r->ctx) {
	case CTX_SQUOTED:
		if (*p == '\'')
			r->ctx = CTX_PLAIN;
		return 1;
	case CTX_DQUOTED:
		r->op_end = 0;
		return step_dquoted(r, p);
	case CTX_PLAIN:
		break;
	}
	return step_plain(r, p);
}

/* read_to - read from p up to stop (NULL: to the end), or until lost;
 * where it stopped (past stop if an escape covered it). */
static const char *read_to(struct reader *r, const char *p, const char *stop)
{
	while (*p != '\0' && p != stop && !r->lost) {
		if (stop != NULL && p > stop)
			break;
		p += step(r, p);
	}
	return p;
}

/* where - how the first %F, at pct, is given the sender. */
static enum argv_from where(const struct reader *r, const char *head,
    const char *pct, const char *at)
{
	if (r->lost || at != pct ||
	    (pct > head && (pct[-1] == '$' || pct[-1] == '\\')))
		return ARGV_FROM_INERT;
	if (r->ctx == CTX_PLAIN)
		return ARGV_FROM_WORD;
	if (r->ctx == CTX_DQUOTED)
		return ARGV_FROM_DQUOTED;
	return ARGV_FROM_INERT;
}

/* check_end - a command the shell would not end where "$@" goes. */
static int check_end(const struct reader *r, const char *cmd, char **errstr)
{
	if (r->lost)
		return EX_OK;	/* the shell will say what is wrong */
	if (r->ctx != CTX_PLAIN) {
		*errstr = xasprintf("unterminated quote in command '%s'", cmd);
		return EX_USAGE;
	}
	if (r->op_end) {
		*errstr = xasprintf("the command '%s' must not end in ';', "
		    "'&', '|' or '\\': the recipients are appended to it",
		    cmd);
		return EX_USAGE;
	}
	return EX_OK;
}

int argv_prepare(const char *cmd, struct pipecmd *pc, char **errstr)
{
	struct reader r = { CTX_PLAIN, 0, 0 };
	char *text = xstrdup(cmd);
	size_t len = strlen(text);
	const char *pct, *at;
	int rc;

	memset(pc, 0, sizeof(*pc));
	while (len > 0 && is_blank(text[len - 1]))
		text[--len] = '\0';
	if (strspn(text, " \t\r\n") == len) {
		free(text);
		*errstr = xstrdup("the command is empty");
		return EX_USAGE;
	}
	pct = strstr(text, "%F");
	at = read_to(&r, text, pct);
	pc->from = pct == NULL ? ARGV_FROM_NONE : where(&r, text, pct, at);
	read_to(&r, at, NULL);
	if ((rc = check_end(&r, cmd, errstr)) != EX_OK) {
		free(text);
		return rc;
	}
	pc->tail = xstrdup(pct != NULL ? pct + 2 : "");
	if (pct != NULL)
		text[pct - text] = '\0';
	pc->head = text;
	return EX_OK;
}

void argv_release(struct pipecmd *pc)
{
	free(pc->head);
	free(pc->tail);
	memset(pc, 0, sizeof(*pc));
}

char *argv_quote(const char *s)
{
	struct buf b;

	if (s[0] != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/._+,:@-") == strlen(s))
		return xstrdup(s);	/* plain: one word as it is */
	buf_init(&b);
	buf_putc(&b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_puts(&b, "'\\''");
		else
			buf_putc(&b, *s);
	}
	buf_putc(&b, '\'');
	return buf_steal(&b);
}

int argv_sender_inert(const char *from)
{
	const char *p;

	if (from[0] == '\0' || from[0] == '-')
		return 0;
	for (p = from; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("@._+-", *p) != NULL))
			return 0;
	return 1;
}

char *argv_script(const struct pipecmd *pc, const char *from)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, PREAMBLE);
	buf_puts(&b, pc->head);
	switch (pc->from) {
	case ARGV_FROM_NONE:
		break;
	case ARGV_FROM_WORD:
		buf_puts(&b, "\"${" FROM_VAR "}\"");
		break;
	case ARGV_FROM_DQUOTED:
		buf_puts(&b, "${" FROM_VAR "}");
		break;
	case ARGV_FROM_INERT:
		buf_puts(&b, from);
		break;
	}
	buf_puts(&b, pc->tail);
	buf_puts(&b, RCPTS);
	return buf_steal(&b);
}

char **argv_build(const struct pipecmd *pc, const char *from,
    const struct strlist *rcpts)
{
	char **argv;
	size_t i, n = 0;

	if (from[0] == '\0')
		from = "<>";	/* msmtp's -f takes it as the null sender */
	if (pc->from == ARGV_FROM_INERT && !argv_sender_inert(from))
		return NULL;
	argv = xcalloc(rcpts->n + 6, sizeof(*argv));
	argv[n++] = xstrdup(ARGV_SHELL);
	argv[n++] = xstrdup("-c");
	argv[n++] = argv_script(pc, from);
	argv[n++] = xstrdup("sh");
	argv[n++] = xstrdup(from);
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
