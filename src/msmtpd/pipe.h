/*
 * pipe - one run of the pipe command on the libuv loop: the mail streamed
 * to its standard input, its first stderr line kept, its end reported.
 *
 * The command is started with uv_spawn() from the argv that argv_build()
 * makes (the shell, the command as its script, the client's addresses as
 * its arguments: argv.h), as the leader of a new process group, its standard output on
 * /dev/null (the manual forbids it to write there: in --inetd mode that
 * would be the client's socket), its standard error read here.
 *
 * Writes are copied and queued; mpipe_congested() tells the caller to
 * stop reading from the client until the drain callback says the
 * command has caught up (flow control: the mail is never held whole).
 *
 * Two ways to end:
 *   mpipe_finish()  the mail is complete: the command sees the end of its
 *                   input; the done callback follows once it has exited.
 *   mpipe_abort()   the mail is incomplete: the process group gets
 *                   SIGTERM (SIGKILL after MPIPE_KILL_MS), and its input
 *                   is closed only after the command has exited and the
 *                   rest of its group got SIGKILL, so nothing in it can
 *                   ever read an end of input and take a truncated mail
 *                   for a whole one. No callback follows; the object frees
 *                   itself.
 * If the command exits by itself first, the done callback comes anyway,
 * with incomplete set unless mpipe_finish() had delivered the end.
 *
 * Ownership: mpipe_start() returns the object; it stays valid until the
 * done callback returns or mpipe_abort() is called, whichever is first,
 * and is freed by this module. The done callback gets a result that
 * lives only during the call.
 */
#ifndef MSMTPD_PIPE_H
#define MSMTPD_PIPE_H

#include <stddef.h>
#include <uv.h>

#include "msmtpd/exitmap.h"

/* Grace between SIGTERM and SIGKILL for an aborted command. */
#define MPIPE_KILL_MS	5000

struct mpipe;

struct mpipe_hooks {
	/* done - the command has ended; r says how */
	void	(*done)(void *arg, const struct pipe_result *r);
	/* drain - after mpipe_congested() was true: it is false again */
	void	(*drain)(void *arg);
	void	*arg;
};

/*
 * mpipe_start - run argv[0] with argv. 0, or -1 with res filled in
 * (PIPE_NOSTART and the errno) when it cannot be started.
 */
int mpipe_start(uv_loop_t *loop, char *const *argv,
    const struct mpipe_hooks *hooks, struct mpipe **out,
    struct pipe_result *res);
/* mpipe_write - queue a copy of data for the command's input. */
void mpipe_write(struct mpipe *p, const char *data, size_t len);
/* mpipe_congested - whether too much is queued (the caller should stop
 * reading until drain()). */
int mpipe_congested(struct mpipe *p);
void mpipe_finish(struct mpipe *p);
void mpipe_abort(struct mpipe *p);

#endif
