/*
 * alias - which mails an account filter selects; see spool.h
 * (spool_account_alias()).
 *
 * Every statement that filters by account calls account_is(account,
 * filter), an SQL function of the connection: true when filter is NULL
 * (no filter), equal to account, or the other name of an account known
 * by two (msmtprc's "account default : provider").
 */
#include "queue/spool_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

/* same_name - a and b, both not NULL, name one account for sp. */
static int same_name(const struct spool *sp, const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 1;
	if (sp->alias[0] == NULL)
		return 0;
	return (strcmp(a, sp->alias[0]) == 0 && strcmp(b, sp->alias[1]) == 0)
	    || (strcmp(a, sp->alias[1]) == 0 && strcmp(b, sp->alias[0]) == 0);
}

static void account_is(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct spool *sp = sqlite3_user_data(ctx);
	const char *account, *filter;

	(void)argc;
	filter = (const char *)sqlite3_value_text(argv[1]);
	if (filter == NULL) {
		sqlite3_result_int(ctx, 1);
		return;
	}
	account = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, account != NULL &&
	    same_name(sp, account, filter));
}

void spool_bind_account(struct spool *sp, sqlite3_stmt *st, int col,
    int other, const char *filter)
{
	const char *also = filter;

	if (filter == NULL)
		return;
	/* same_name()'s rule, turned into the set of names it accepts. */
	if (sp->alias[0] != NULL && strcmp(filter, sp->alias[0]) == 0)
		also = sp->alias[1];
	else if (sp->alias[0] != NULL && strcmp(filter, sp->alias[1]) == 0)
		also = sp->alias[0];
	sqlite3_bind_text(st, col, filter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, other, also, -1, SQLITE_STATIC);
}

int spool_register_account_is(struct spool *sp, char **errstr)
{
	int err;

	err = sqlite3_create_function(sp->db, "account_is", 2, SQLITE_UTF8 |
	    SQLITE_INNOCUOUS, sp, account_is, NULL, NULL);
	if (err != SQLITE_OK)
		return spool_error(sp, err, "cannot open the spool", errstr);
	return EX_OK;
}

void spool_account_alias(struct spool *sp, const char *name,
    const char *other)
{
	free(sp->alias[0]);
	free(sp->alias[1]);
	sp->alias[0] = name && other ? xstrdup(name) : NULL;
	sp->alias[1] = name && other ? xstrdup(other) : NULL;
}
