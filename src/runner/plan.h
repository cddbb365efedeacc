/*
 * plan - the rules of a pass's plan: which waiting mails drain_plan()
 * tries, and which group each joins; internal to src/runner, pure.
 *
 *   plan_wanted()  whether the pass is to try mail id: every one, or
 *                  only those of runner_opts.only (NULL: every one);
 *   plan_due()     whether it is due: its next attempt time has come,
 *                  or the pass is forced (--flush, the daemon's flush),
 *                  which tries every waiting mail;
 *   plan_key()     the group it joins: its account snapshot -- account
 *                  name, configuration file (none: the command line) and
 *                  settings (snapshot number: equal settings, equal
 *                  numbers) -- as "account \n conffile \n snapshot".
 *                  Mails of one key go through the same session; the
 *                  caller frees the key;
 *   plan_to_hold() whether it is held instead of tried: uncertain (a
 *                  deliverer died with it) under queue_uncertain hold;
 *                  acc NULL (a damaged snapshot): no, it joins the
 *                  mails that are held as damaged;
 *   plan_later()   *earliest, the first time after the pass that some
 *                  mail or breaker falls due (0: none yet), with when.
 */
#ifndef RUNNER_PLAN_H
#define RUNNER_PLAN_H

#include <time.h>

#include "account/account.h"
#include "queue/spool.h"
#include "util/strlist.h"

int plan_wanted(const struct strlist *only, const char *id);
int plan_due(const struct spool_waiting_mail *w, int forced, time_t now);
char *plan_key(const struct spool_waiting_mail *w);
int plan_to_hold(const struct spool_waiting_mail *w,
    const struct account *acc);
void plan_later(time_t *earliest, time_t when);

#endif
