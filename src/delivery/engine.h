/*
 * engine - the delivery engine, loaded only when a mail is delivered.
 *
 * The SMTP engine needs GnuTLS, GNU SASL and libuv, and merely linking
 * them costs about 2 ms at every process start. The front end spools
 * mail without them, so the engine lives in a shared object,
 * msmtp-engine.so, that engine_load() dlopen()s on first use: next to
 * the running executable if present (the build tree), else at
 * LIBEXECDIR's place relative to the executable's directory (an
 * installed tree, wherever unpacked), else in LIBEXECDIR. msmtp-queue
 * links the engine directly instead.
 *
 * The object exports one symbol, msmtp_engine, a table of entry points
 * stamped with ENGINE_ABI so a stale object is refused rather than
 * called with the wrong structures. The table is static data owned by
 * the object; it stays valid for the life of the process.
 */
#ifndef DELIVERY_ENGINE_H
#define DELIVERY_ENGINE_H

#include "delivery/deliver.h"

#define ENGINE_ABI	8

struct engine_api {
	int	abi;
	int	(*deliver_now)(const struct deliver_job *job,
		    struct deliver_report *rep);
	void	(*deliver_report_free)(struct deliver_report *rep);
};

/* engine_load - the engine's table; NULL with *errstr set on failure
 * (EX_SOFTWARE material: the installation is broken). */
const struct engine_api *engine_load(char **errstr);

#endif
