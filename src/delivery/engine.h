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
 *
 * engine_run() is the one way a mode of msmtp that talks to a server
 * now (sendmail mode's direct send, --serverinfo, --rmqs) runs its job:
 * the caller fills a struct deliver_job, and reads the report in a
 * callback, which is where msmtp's lines for it are said.
 */
#ifndef DELIVERY_ENGINE_H
#define DELIVERY_ENGINE_H

#include <pthread.h>

#include "delivery/deliver.h"

#define ENGINE_ABI	11

struct engine_api {
	int	abi;
	int	(*deliver_now)(const struct deliver_job *job,
		    struct deliver_report *rep);
	void	(*deliver_report_free)(struct deliver_report *rep);
	/* msmtp --oauth2-authorize (delivery/oauth2auth.h) */
	int	(*oauth2_authorize)(const struct account *acc, FILE *out,
		    char **errstr);
};

/* msmtp_engine - the table itself (engine_so.c), linked into
 * msmtp-engine.so and into msmtp-queue, which calls it directly. msmtp
 * itself must reach it only through engine_load(). */
extern const struct engine_api msmtp_engine;

/* engine_load - the engine's table; NULL with *errstr set on failure
 * (EX_SOFTWARE material: the installation is broken). */
const struct engine_api *engine_load(char **errstr);

/*
 * engine_preload_start, engine_preload_join - load the engine in a
 * thread of its own while the caller does something else, so that the
 * engine_load() to come finds it loaded. msmtp's default mode spools the
 * mail (mostly waiting on an fsync) before it may deliver it: loading
 * the engine (about 1.5 ms of dynamic linking) meanwhile takes it off
 * the send's critical path. A failure is not told here: engine_load()
 * tells it. The caller joins before it forks, runs anything else that
 * loads objects, or exits; joining one never started (or twice) is
 * harmless. The struct is the caller's.
 */
struct engine_preload {
	pthread_t	thread;
	int		started;
};
void engine_preload_start(struct engine_preload *pl);
void engine_preload_join(struct engine_preload *pl);

/* What the caller of engine_run() does with the report: rc is the job's
 * exit code; rep is the engine's, valid only during the call. */
typedef void (*engine_told_fn)(void *arg, int rc,
    const struct deliver_report *rep);

/*
 * engine_run - load the engine and run job (deliver_now()); told(arg,
 * ...) then gets the report, which is freed after it returns. The job
 * and everything it points to stay the caller's. Returns the job's exit
 * code (msmtp's sysexits code), or EX_SOFTWARE with *errstr set when no
 * engine can be loaded (told is then not called).
 */
int engine_run(const struct deliver_job *job, engine_told_fn told,
    void *arg, char **errstr);

#endif
