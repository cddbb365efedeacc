/*
 * oauth2cmd - msmtp --oauth2-authorize; see oauth2cmd.h.
 */
#include "client/oauth2cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "account/conf.h"
#include "account/conffiles.h"
#include "account/select.h"
#include "delivery/engine.h"
#include "util/xalloc.h"

/* choose - the account as a send would take it, settled and checked. */
static int choose(const struct cmdline *cl, struct conf *conf,
    struct account **acc, char **errstr)
{
	enum select_rule rule;
	int rc;

	rc = conf_load_default(cl->conffile, cl->host, conf, errstr);
	if (rc == EX_OK)
		rc = select_account(conf, cl->account_id, cl->from, acc, &rule,
		    errstr);
	if (rc != EX_OK)
		return rc;
	account_merge(*acc, cl->acc);
	if ((rc = account_expand(*acc, NULL, errstr)) != EX_OK)
		return rc;
	account_fill_defaults(*acc);
	return account_check(*acc, 0, errstr);
}

int oauth2cmd_run(struct cmdline *cl, char **errstr)
{
	const struct engine_api *engine;
	struct account *acc = NULL;
	struct conf conf;
	int rc;

	if (cl->rcpts.n > 0) {
		*errstr = xstrdup("too many arguments");
		return EX_USAGE;
	}
	conf_init(&conf);
	rc = choose(cl, &conf, &acc, errstr);
	if (rc == EX_OK && (engine = engine_load(errstr)) == NULL)
		rc = EX_SOFTWARE;
	if (rc == EX_OK)
		rc = engine->oauth2_authorize(acc, stdout, errstr);
	account_free(acc);
	conf_free(&conf);
	return rc;
}
