/*
 * snapshot - a resolved account as text, for the spool.
 *
 * Each spooled mail carries the account it was accepted for, so that a
 * changed or deleted msmtprc never strands it. snapshot_dump() appends
 * a's settings as msmtprc lines ("cmd \"arg\"\n"), one per setting,
 * written from the command table so that reading them back goes through
 * conf_set() like any file. The password is left out, and so is a
 * passwordeval that it overrides: no secret reaches the spool.
 *
 * snapshot_undump() applies such text to an account (normally a fresh
 * account_new()); it fails only on text that snapshot_dump() did not
 * write: EX_CONFIG, *errstr set to a new message the caller frees.
 */
#ifndef ACCOUNT_SNAPSHOT_H
#define ACCOUNT_SNAPSHOT_H

#include "account/account.h"
#include "util/buf.h"

void snapshot_dump(const struct account *a, struct buf *out);
int snapshot_undump(const char *text, struct account *a, char **errstr);

#endif
