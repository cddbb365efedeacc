/*
 * passrule - which configured password a queued mail may use.
 *
 * The rule: a secret goes only to the host, port and user it was
 * configured for, from the configuration file it was configured in. A
 * mail carries the snapshot of its account's settings (without the
 * password); whoever delivers it later (msmtp-queue, with whatever
 * configuration it loaded) takes a literal password only from that
 * account in that file, and only while its host, port and user are the
 * snapshot's. Otherwise the snapshot's own sources apply (passwordeval,
 * then the netrc files and the prompt; account/password.h). A literal
 * password never overrides a snapshot's passwordeval.
 *
 * Kept apart from password.c, which the engine (msmtp-engine.so) links
 * without the configuration reader.
 */
#ifndef ACCOUNT_PASSRULE_H
#define ACCOUNT_PASSRULE_H

#include "account/conf.h"

/*
 * password_configured - the literal password for a queued mail whose
 * account snapshot (the settings it was spooled with) is snap, by the
 * rule that a secret goes only to the host, port and user it was
 * configured for, from the file it was configured in: snap's account in
 * snap's own file (found in loaded, the runner's configuration, when
 * that is the file; else read from the file), and only when its host,
 * port and user are snap's. NULL when there is none, and always for a
 * snapshot without auth, with a passwordeval (a literal password never
 * overrides it) or from the command line. When it gives none for an
 * account that could have one there, *hint (newly allocated, else NULL)
 * says why and what to do: the reason a mail is held with when no other
 * source (the keyring, netrc, the prompt) gives one either.
 */
char *password_configured(const struct account *snap,
    const struct conf *loaded, char **hint);

#endif
